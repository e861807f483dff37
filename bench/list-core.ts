/**
 * The listing the benchmark times, shared by bench/list.ts (the full SDK) and
 * bench/list-lean.ts (esx-vi/lean): options from the command line, one line per run.
 */
import { createInterface } from "node:readline";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { VimConnection, listVirtualMachines, type ConnectionTypes } from "../lean.js";
import { rawVmListing } from "./raw-request.js";

export const PATHS = [
  "name",
  "runtime.powerState",
  "config.hardware.memoryMB",
  "config.hardware.numCPU",
  "config.uuid",
  "summary",
];

/** Where a listing's time went (--timeline), from the RetrievePropertiesEx response. */
interface Timeline {
  /** From sending the request to the first chunk of the response. */
  ttfb: number;
  /** From the first chunk to the last. */
  firstToLast: number;
  /** Time the reader of the chunks spent on them (for the SDK: decoding). */
  reader: number;
}

/** `body`, its chunks timed as they are read; `done` gets the timeline after the last one. */
function timedBody<T>(
  body: AsyncIterable<T>,
  sent: number,
  done: (timeline: Timeline) => void,
): AsyncIterable<T> {
  return {
    async *[Symbol.asyncIterator]() {
      let first = 0;
      let last = 0;
      let reader = 0;
      for await (const chunk of body) {
        last = performance.now();
        if (first === 0) first = last;
        yield chunk; // resumes when the reader asks for the next chunk
        reader += performance.now() - last;
      }
      done({ ttfb: first - sent, firstToLast: last - first, reader });
    },
  };
}

const ms = (value: number) => value.toFixed(1);

/** `types`: what the connection decodes with; undefined for the default (the full SDK's). */
export async function main(types: ConnectionTypes | undefined): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("url", { type: "string", demandOption: true })
    .option("insecure", { type: "boolean", default: false })
    .option("repeat", { type: "number", default: 1 })
    .option("raw", { type: "boolean", default: false })
    .option("page-size", { type: "number" })
    .option("timeline", {
      type: "boolean",
      default: false,
      describe: "also print where the time went: ttfb_ms, first_to_last_ms and decode_ms",
    })
    .option("paced", {
      type: "boolean",
      default: false,
      describe:
        "one listing per line read from standard input (instead of --repeat), until it closes",
    })
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

  /** Of the last listing, with --timeline. */
  let timeline: Timeline | undefined;

  /** The same request, its bytes read and counted, not decoded: the transfer alone. */
  async function rawList(): Promise<number> {
    const listing = await rawVmListing(conn, PATHS, argv["page-size"]);
    const sent = performance.now();
    const res = await listing.post();
    let bytes = 0;
    const chunks = argv.timeline ? timedBody(res.body, sent, (t) => (timeline = t)) : res.body;
    for await (const chunk of chunks) bytes += chunk.length;
    await listing.close();
    return bytes;
  }

  if (argv.timeline) {
    // The SDK's calls go through transport.post: time the listing's response body there.
    const post = conn.transport.post.bind(conn.transport);
    conn.transport.post = async (request) => {
      const sent = performance.now();
      const response = await post(request);
      if (request.method !== "RetrievePropertiesEx") return response;
      const body = response.body as AsyncIterable<Uint8Array>;
      return { ...response, body: timedBody(body, sent, (t) => (timeline = t)) };
    };
  }

  // --paced: the bench interleaves single listings of three processes (see bench/run.ts).
  const turns: AsyncIterable<unknown> = argv.paced
    ? createInterface({ input: process.stdin })
    : (async function* () {
        for (let i = 0; i < argv.repeat; i++) yield i;
      })();
  for await (const _turn of turns) {
    const started = performance.now();
    let line: string;
    if (argv.raw) {
      const bytes = await rawList();
      line = `bytes=${bytes} list_ms=${ms(performance.now() - started)}`;
    } else {
      const vms = await listVirtualMachines(conn, PATHS, { pageSize: argv["page-size"] });
      line = `vms=${vms.length} list_ms=${ms(performance.now() - started)}`;
    }
    if (timeline) {
      line += ` ttfb_ms=${ms(timeline.ttfb)} first_to_last_ms=${ms(timeline.firstToLast)}`;
      if (!argv.raw) line += ` decode_ms=${ms(timeline.reader)}`;
      timeline = undefined;
    }
    console.log(line);
  }
  await conn.close();
}
