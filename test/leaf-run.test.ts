/**
 * The decoder's leaf runs (StreamDecoder.leafRun): members read straight from the bytes of
 * an ASCII response decode exactly as the general path decodes them, in every chunking,
 * and what the fast path leaves to the general path (attributes, references, CRs, members
 * far apart, repeated or unknown members, a wrong end tag) gets the general path's result
 * or error.
 */
import { describe, expect, it } from "vitest";
import { compileSchema, readSchemaDir } from "../generator/load.js";
import { encodeElement, vimPropertyTypes, vimTypes, type Codec } from "../index.js";
import { type ContainerHandler, StreamDecoder } from "../runtime/codec/decode.js";
import { type XmlHandler, XmlTokenizer } from "../runtime/xml/tokenizer.js";
import { SampleFactory } from "./support/samples.js";

const options = { registry: vimTypes, propertyTypes: vimPropertyTypes };
const ir = compileSchema(readSchemaDir("schema"));
const samples = new SampleFactory(ir);
const NS = `xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`;

type Outcome = { value: unknown } | { error: string };

/** Decode `xml` as one value of `type`, with or without leaf runs; counts the leaves they read. */
function decode(type: string, xml: string, chunkSize: number, leafRuns: boolean) {
  let result: unknown;
  const root: ContainerHandler = {
    open: (d) => d.expect(vimTypes.get(type) as Codec),
    value: (v) => (result = v),
  };
  const decoder = new StreamDecoder(options, root);
  let fastLeaves = 0;
  const handler: XmlHandler = {
    openElement: (ns, local) => decoder.openElement(ns, local),
    text: (text) => decoder.text(text),
    closeElement: () => decoder.closeElement(),
    leafElement: (ns, local, t) => decoder.leafElement(ns, local, t),
  };
  if (leafRuns)
    handler.leafRun = (buf, bytes, pos, t) => {
      const after = decoder.leafRun(buf, bytes, pos, t);
      if (after !== pos) fastLeaves++;
      return after;
    };
  const tokenizer = new XmlTokenizer(handler);
  decoder.attach(tokenizer);
  let outcome: Outcome;
  try {
    const bytes = Buffer.from(xml);
    for (let i = 0; i < bytes.length; i += chunkSize)
      tokenizer.write(bytes.subarray(i, i + chunkSize));
    tokenizer.end();
    outcome = { value: result };
  } catch (err) {
    outcome = { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
  return { outcome, fastLeaves };
}

/** The outcome with leaf runs, after checking it is the general path's in every chunking. */
function same(type: string, xml: string, sizes = [1, 5, 64, 1 << 20]) {
  const general = decode(type, xml, 1 << 20, false).outcome;
  let fastLeaves = 0;
  for (const size of sizes) {
    const fast = decode(type, xml, size, true);
    expect(fast.outcome, `chunks of ${size}`).toEqual(general);
    fastLeaves += fast.fastLeaves;
  }
  return { outcome: general, fastLeaves };
}

/** A sample with its strings made ASCII (an ASCII response is where leaf runs apply). */
function ascii(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/[^\x00-\x7f]/gu, "?");
  if (Array.isArray(value)) return value.map(ascii);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  if (value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ascii(v)]));
}

describe("leaf runs decode as the general path does", () => {
  const types = ir.dataObjects.filter((_, i) => i % 5 === 0).map((o) => o.name);

  it.each(types)("%s", (type) => {
    const value = ascii(samples.object(type));
    const xml = encodeElement(vimTypes.get(type)!, value, "v", vimTypes);
    const { outcome } = same(type, xml);
    expect(outcome).toEqual({ value });
  });

  it("they are what reads the plain leaves of those samples", () => {
    let fastLeaves = 0;
    for (const type of types) {
      const value = ascii(samples.object(type));
      fastLeaves += decode(
        type,
        encodeElement(vimTypes.get(type)!, value, "v", vimTypes),
        1 << 20,
        true,
      ).fastLeaves;
    }
    expect(fastLeaves).toBeGreaterThan(types.length);
  });

  it("they do read most leaves of a listing-like value", () => {
    const value = {
      $type: "VirtualMachineSummary",
      vm: { type: "VirtualMachine", value: "vm-1" },
      runtime: {
        $type: "VirtualMachineRuntimeInfo",
        connectionState: "connected",
        powerState: "poweredOn",
        toolsInstallerMounted: false,
        bootTime: new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 6)),
        numMksConnections: 0,
      },
      guest: {
        $type: "VirtualMachineGuestSummary",
        guestId: "otherGuest",
        toolsStatus: "toolsNotInstalled",
      },
      config: {
        $type: "VirtualMachineConfigSummary",
        name: "vm one",
        template: false,
        vmPathName: "[ds] vm/vm.vmx",
        memorySizeMB: 32,
        numCpu: 1,
        numEthernetCards: 1,
        numVirtualDisks: 1,
        uuid: "cd0681bf-2f18-5c00-9b9b-8197c0095348",
      },
      storage: {
        $type: "VirtualMachineStorageSummary",
        committed: 0n,
        uncommitted: 0n,
        unshared: 0n,
        timestamp: new Date(0),
      },
      quickStats: { $type: "VirtualMachineQuickStats", guestHeartbeatStatus: "gray" },
      overallStatus: "green",
    };
    const xml = encodeElement(vimTypes.get("VirtualMachineSummary")!, value, "v", vimTypes);
    const { outcome, fastLeaves } = same("VirtualMachineSummary", xml, [1 << 20]);
    expect(outcome).toEqual({ value });
    expect(fastLeaves).toBeGreaterThan(0);
  });
});

describe("what leaf runs leave to the general path", () => {
  const stats = (inner: string) => `<v ${NS}>${inner}</v>`;

  it.each([
    [
      "members far apart (the map finds them)",
      "<overallCpuUsage>1</overallCpuUsage><guestHeartbeatStatus>gray</guestHeartbeatStatus><uptimeSeconds>9</uptimeSeconds>",
    ],
    [
      "references and line ends in a text",
      "<guestHeartbeatStatus>gr&#101;en</guestHeartbeatStatus><ftLogBandwidth>\r\n7</ftLogBandwidth>",
    ],
    [
      "an attribute",
      `<overallCpuUsage xsi:type="xsd:int">1</overallCpuUsage><guestHeartbeatStatus>gray</guestHeartbeatStatus>`,
    ],
    [
      "space before the end tag's '>'",
      "<overallCpuUsage>1</overallCpuUsage ><guestMemoryUsage>2</guestMemoryUsage><guestHeartbeatStatus>gray</guestHeartbeatStatus>",
    ],
    [
      "an empty member",
      "<guestHeartbeatStatus>gray</guestHeartbeatStatus><ftLatencyStatus></ftLatencyStatus>",
    ],
    [
      "a self-closing member",
      "<guestHeartbeatStatus>gray</guestHeartbeatStatus><ftLatencyStatus/>",
    ],
    [
      "a member this schema does not have",
      "<overallCpuUsage>1</overallCpuUsage><newThing>x</newThing><guestMemoryUsage>2</guestMemoryUsage><guestHeartbeatStatus>gray</guestHeartbeatStatus>",
    ],
  ])("%s", (_what, inner) => {
    expect(same("VirtualMachineQuickStats", stats(inner)).outcome).toHaveProperty("value");
  });

  it.each([
    [
      "a member given twice",
      "<overallCpuUsage>1</overallCpuUsage><overallCpuUsage>2</overallCpuUsage><guestHeartbeatStatus>gray</guestHeartbeatStatus>",
      "DecodeError: .*appears more than once",
    ],
    ["a wrong end tag", "<overallCpuUsage>1</overallCpuUsag>", "XmlSyntaxError: .*does not match"],
    [
      "a wrong end tag of the same length",
      "<overallCpuUsage>1</overallCpuUsagX>",
      "XmlSyntaxError: .*does not match",
    ],
    [
      "a value that is not a number",
      "<overallCpuUsage>one</overallCpuUsage><guestHeartbeatStatus>gray</guestHeartbeatStatus>",
      "DecodeError: .*one",
    ],
    [
      "a value not in the enum... kept, as the general path keeps it",
      "<guestHeartbeatStatus>purple</guestHeartbeatStatus>",
      "",
    ],
  ])("%s", (_what, inner, error) => {
    const { outcome } = same("VirtualMachineQuickStats", stats(inner));
    if (error)
      expect(outcome).toHaveProperty("error", expect.stringMatching(new RegExp(`^${error}`)));
    else expect(outcome).toHaveProperty("value.guestHeartbeatStatus", "purple");
  });
});
