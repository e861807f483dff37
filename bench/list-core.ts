/**
 * The listing the benchmark times, shared by bench/list.ts (the full SDK) and
 * bench/list-lean.ts (esx-vi/lean): options from the command line, one line per run.
 */
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import {
  CreateContainerView,
  DestroyView,
  VimConnection,
  listVirtualMachines,
  type ConnectionTypes,
} from "../lean.js";
import { retrieveVmsRequest } from "./raw-request.js";

export const PATHS = [
  "name",
  "runtime.powerState",
  "config.hardware.memoryMB",
  "config.hardware.numCPU",
  "config.uuid",
  "summary",
];

/** `types`: what the connection decodes with; undefined for the default (the full SDK's). */
export async function main(types: ConnectionTypes | undefined): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("url", { type: "string", demandOption: true })
    .option("insecure", { type: "boolean", default: false })
    .option("repeat", { type: "number", default: 1 })
    .option("raw", { type: "boolean", default: false })
    .option("page-size", { type: "number" })
    .strict()
    .parseAsync();

  const url = new URL(argv.url);
  const username = decodeURIComponent(url.username) || process.env.ESX_VI_USER || "root";
  const password = decodeURIComponent(url.password) || process.env.ESX_VI_PASSWORD || "";
  url.username = "";
  url.password = "";
  const conn = await VimConnection.connect(url.href, {
    username,
    password,
    tls: argv.insecure ? { verify: false } : undefined,
    types,
  });

  /** The same request, its bytes read and counted, not decoded: the transfer alone. */
  async function rawList(): Promise<number> {
    const view = await CreateContainerView(conn, {
      container: conn.rootFolder,
      type: ["VirtualMachine"],
      recursive: true,
    });
    const body = retrieveVmsRequest(
      conn.serviceContent.propertyCollector,
      view,
      PATHS,
      argv["page-size"],
    );
    const res = await conn.transport.request({
      method: "POST",
      path: conn.transport.sdkPath,
      headers: {
        "Content-Type": 'text/xml; charset="utf-8"',
        SOAPAction: `urn:vim25/${conn.apiVersion}`,
      },
      body,
      what: "raw RetrievePropertiesEx",
    });
    let bytes = 0;
    for await (const chunk of res.body) bytes += chunk.length;
    await DestroyView(conn, view);
    return bytes;
  }

  for (let i = 0; i < argv.repeat; i++) {
    const started = performance.now();
    if (argv.raw) {
      const bytes = await rawList();
      console.log(`bytes=${bytes} list_ms=${(performance.now() - started).toFixed(1)}`);
    } else {
      const vms = await listVirtualMachines(conn, PATHS, { pageSize: argv["page-size"] });
      console.log(`vms=${vms.length} list_ms=${(performance.now() - started).toFixed(1)}`);
    }
  }
  await conn.close();
}
