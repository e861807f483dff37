/**
 * The decoder's runs of members (StreamDecoder.memberRun): leaves, data objects, members
 * with attributes and end tags read straight from the bytes of an ASCII response decode
 * exactly as the general path decodes them, in every chunking, and what a run leaves to the
 * general path (new attribute lists, references, CRs, space, prefixes, repeated or unknown
 * members, wrong end tags) gets the general path's result or error.
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

/** Decode `xml` as one value of `type`, with or without runs of members; counts the runs that read something. */
function decode(type: string, xml: string, chunkSize: number, memberRuns: boolean) {
  let result: unknown;
  const root: ContainerHandler = {
    open: (d) => d.expect(vimTypes.get(type) as Codec),
    value: (v) => (result = v),
  };
  const decoder = new StreamDecoder(options, root);
  let runsRead = 0;
  const handler: XmlHandler = {
    openElement: (ns, local) => decoder.openElement(ns, local),
    text: (text) => decoder.text(text),
    closeElement: () => decoder.closeElement(),
    leafElement: (ns, local, t) => decoder.leafElement(ns, local, t),
  };
  if (memberRuns)
    handler.memberRun = (buf, bytes, pos, t) => {
      const after = decoder.memberRun(buf, bytes, pos, t);
      if (after !== pos) runsRead++;
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
  return { outcome, runsRead };
}

/** The outcome with runs of members, after checking it is the general path's in every chunking. */
function same(type: string, xml: string, sizes = [1, 5, 64, 1 << 20]) {
  const general = decode(type, xml, 1 << 20, false).outcome;
  let runsRead = 0;
  for (const size of sizes) {
    const fast = decode(type, xml, size, true);
    expect(fast.outcome, `chunks of ${size}`).toEqual(general);
    runsRead += fast.runsRead;
  }
  return { outcome: general, runsRead };
}

/** A sample with its strings made ASCII (an ASCII response is where runs apply). */
function ascii(value: unknown): unknown {
  if (typeof value === "string") return value.replace(/[^\x00-\x7f]/gu, "?");
  if (Array.isArray(value)) return value.map(ascii);
  if (value === null || typeof value !== "object" || value instanceof Date) return value;
  if (value instanceof Uint8Array) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, ascii(v)]));
}

describe("runs of leaves decode as the general path does", () => {
  const types = ir.dataObjects.filter((_, i) => i % 5 === 0).map((o) => o.name);

  it.each(types)("%s", (type) => {
    const value = ascii(samples.object(type));
    const xml = encodeElement(vimTypes.get(type)!, value, "v", vimTypes);
    const { outcome } = same(type, xml);
    expect(outcome).toEqual({ value });
  });

  it("they are what reads the plain leaves of those samples", () => {
    let runsRead = 0;
    for (const type of types) {
      const value = ascii(samples.object(type));
      runsRead += decode(
        type,
        encodeElement(vimTypes.get(type)!, value, "v", vimTypes),
        1 << 20,
        true,
      ).runsRead;
    }
    expect(runsRead).toBeGreaterThan(types.length);
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
    const { outcome, runsRead } = same("VirtualMachineSummary", xml, [1 << 20]);
    expect(outcome).toEqual({ value });
    expect(runsRead).toBeGreaterThan(0);
  });
});

describe("what runs of leaves leave to the general path", () => {
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

/** A RetrieveResult of `n` VMs as vcsim writes one (xsi bound on each value), or a real server (bound once). */
function listing(n: number, form: "vcsim" | "server"): string {
  const xsi =
    form === "vcsim"
      ? `xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type`
      : "xsi:type";
  const prop = (name: string, type: string, val: string) =>
    `<propSet><name>${name}</name><val ${xsi}="${type}">${val}</val></propSet>`;
  let objects = "";
  for (let i = 0; i < n; i++) {
    objects +=
      `<objects><obj type="VirtualMachine">vm-${i}</obj>` +
      prop("name", "xsd:string", `VM ${i}`) +
      prop("runtime.powerState", "VirtualMachinePowerState", "poweredOn") +
      prop("config.hardware.memoryMB", "xsd:int", String(32 * (i + 1))) +
      prop(
        "summary",
        "VirtualMachineSummary",
        `<vm type="VirtualMachine">vm-${i}</vm>` +
          `<runtime><host type="HostSystem">host-${i % 2}</host><connectionState>connected</connectionState>` +
          `<powerState>poweredOn</powerState><toolsInstallerMounted>false</toolsInstallerMounted>` +
          `<bootTime>2026-12-07T00:18:10.227833845Z</bootTime><numMksConnections>0</numMksConnections></runtime>` +
          `<guest><guestId>otherGuest</guestId><toolsStatus>toolsNotInstalled</toolsStatus></guest>` +
          `<config><name>VM ${i}</name><template>false</template><vmPathName>[ds] vm/vm.vmx</vmPathName>` +
          `<memorySizeMB>32</memorySizeMB><numCpu>1</numCpu></config>` +
          `<storage><committed>0</committed><uncommitted>0</uncommitted><unshared>0</unshared>` +
          `<timestamp>2026-12-07T00:18:10.227621529Z</timestamp></storage>` +
          `<quickStats><guestHeartbeatStatus>gray</guestHeartbeatStatus></quickStats>` +
          `<overallStatus>green</overallStatus>`,
      ) +
      `</objects>`;
  }
  return `<returnval ${NS}>${objects}</returnval>`;
}

describe("runs read data objects, members with attributes and end tags as the general path does", () => {
  it.each(["vcsim", "server"] as const)("a listing in %s's form", (form) => {
    const { outcome } = same("RetrieveResult", listing(3, form));
    const objects = (outcome as { value: { objects: any[] } }).value.objects;
    expect(objects).toHaveLength(3);
    expect(objects[2].obj).toEqual({ type: "VirtualMachine", value: "vm-2" });
    expect(objects[2].propSet.map((p: { val: unknown }) => p.val).slice(0, 3)).toEqual([
      "VM 2",
      "poweredOn",
      96,
    ]);
    const summary = objects[2].propSet[3].val;
    expect(summary.runtime.host).toEqual({ type: "HostSystem", value: "host-0" });
    expect(summary.runtime.bootTime).toBeInstanceOf(Date);
    expect(summary.storage.committed).toBe(0n);
    expect(summary.quickStats).toEqual({
      $type: "VirtualMachineQuickStats",
      guestHeartbeatStatus: "gray",
    });
  });

  it("runs read a listing through, once each attribute text has been seen", () => {
    // In one chunk, a new run starts only where the general path parses an attribute
    // list it has not seen before: as many for 40 VMs as for 2.
    const runs = (n: number) => decode("RetrieveResult", listing(n, "vcsim"), 1 << 20, true);
    expect(runs(40).runsRead).toBe(runs(2).runsRead);
    expect(runs(2).runsRead).toBeLessThan(10);
  });
});

describe("what runs leave to the general path, around data objects and attributes", () => {
  const one = (inner: string) => `<returnval ${NS}><objects>${inner}</objects></returnval>`;
  const vm = `<obj type="VirtualMachine">vm-1</obj>`;
  const name = (val: string) => `<propSet><name>name</name>${val}</propSet>`;

  it.each([
    ["space between members", `\n  ${vm}\n  ${name(`<val xsi:type="xsd:string">a</val>`)}\n`],
    [
      "space before an object's end tag's '>'",
      `${vm}<propSet><name>name</name><val xsi:type="xsd:string">a</val></propSet >`,
    ],
    [
      "an element this schema does not have, with children",
      `${vm}<newThing><a>1</a></newThing>${name(`<val xsi:type="xsd:string">a</val>`)}`,
    ],
    [
      "'>' in an attribute value",
      `${vm}${name(`<val xsi:type="xsd:string" a="x>y">a</val>`)}${name(`<val xsi:type="xsd:string" a="x>y">b</val>`)}`,
    ],
    [
      "a default namespace declared on a member",
      `<obj xmlns="urn:vim25" type="VirtualMachine">vm-1</obj>`,
    ],
    ["a value without xsi:type", `${vm}${name("<val>a</val>")}`],
    [
      "a list in an anyType value",
      `${vm}<propSet><name>x</name><val xsi:type="ArrayOfString"><string>a</string><string>b</string></val></propSet>`,
    ],
    [
      "references in a value with attributes",
      `${vm}${name(`<val xsi:type="xsd:string">a&amp;b&#x3c;</val>`)}`,
    ],
    ["a self-closing value with attributes", `${vm}${name(`<val xsi:type="xsd:string"/>`)}`],
    [
      "an attribute list too long to keep",
      `${vm}${name(`<val xsi:type="xsd:string" a="${"x".repeat(300)}">a</val>`)}`,
    ],
  ])("%s", (_what, inner) => {
    expect(same("RetrieveResult", one(inner)).outcome).toHaveProperty("value");
  });

  it.each([
    ["a self-closing data object", `${vm}<propSet/>`, "DecodeError: .*required element <name>"],
    [
      "a wrong end tag of a data object",
      `${vm}${name(`<val xsi:type="xsd:string">a</val>`).replace("</propSet>", "</propSeX>")}`,
      "XmlSyntaxError: .*does not match",
    ],
    [
      "a wrong end tag after attributes",
      `<obj type="VirtualMachine">vm-1</obX>`,
      "XmlSyntaxError: .*does not match",
    ],
    [
      "a prefixed data object closed without its prefix",
      `${vm}<v:propSet xmlns:v="urn:vim25"><name>name</name><val xsi:type="xsd:string">a</val></propSet>`,
      "XmlSyntaxError: .*end tag </propSet> does not match <v:propSet>",
    ],
    [
      "a data object given twice",
      `${vm}<propSet><name>a</name></propSet>`.replace(
        "<propSet>",
        "<propSet><name>n</name><name>m</name>",
      ),
      "DecodeError: .*appears more than once",
    ],
    [
      "an undeclared prefix in a value's type",
      `${vm}<propSet><name>x</name><val xsi:type="foo:Bar">a</val></propSet>`,
      "XmlSyntaxError: .*undeclared namespace prefix",
    ],
  ])("%s", (_what, inner, error) => {
    const { outcome } = same("RetrieveResult", one(inner));
    expect(outcome).toHaveProperty("error", expect.stringMatching(new RegExp(`^${error}`)));
  });

  it("enum values read in place, with space around them and not listed", () => {
    const state = (text: string) =>
      `${vm}<propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">${text}</val></propSet>`;
    const runtime = (text: string) =>
      `<v ${NS}><connectionState>connected</connectionState><powerState>${text}</powerState><toolsInstallerMounted>false</toolsInstallerMounted><numMksConnections>0</numMksConnections></v>`;
    for (const [text, value] of [
      ["poweredOn", "poweredOn"],
      [" poweredOff\n", "poweredOff"],
      ["poweredUp", "poweredUp"],
      ["", ""],
    ]) {
      const listing = same("RetrieveResult", one(state(text!))).outcome;
      expect(listing).toHaveProperty("value.objects.0.propSet.0.val", value);
      expect(same("VirtualMachineRuntimeInfo", runtime(text!)).outcome).toHaveProperty(
        "value.powerState",
        value,
      );
    }
  });

  it("an error found while a start tag is handled points at that tag, in any chunking", () => {
    const xml = one(`${vm}<propSet><name>x</name><val xsi:type="foo:Bar">a</val></propSet>`);
    const column = xml.indexOf("<val") + 1;
    for (const memberRuns of [false, true])
      for (const size of [1, 7, 1 << 20]) {
        expect(decode("RetrieveResult", xml, size, memberRuns).outcome).toHaveProperty(
          "error",
          expect.stringContaining(`line 1, column ${column} `),
        );
      }
  });

  it("a data object given twice where one is allowed", () => {
    const summary = (runtime: string) =>
      `<v ${NS}>${runtime}${runtime}<quickStats/><overallStatus>green</overallStatus></v>`;
    const { outcome } = same(
      "VirtualMachineSummary",
      summary(
        "<runtime><connectionState>connected</connectionState><powerState>poweredOn</powerState><toolsInstallerMounted>false</toolsInstallerMounted><numMksConnections>0</numMksConnections></runtime>",
      ),
    );
    expect(outcome).toHaveProperty(
      "error",
      expect.stringMatching(/^DecodeError: .*<runtime> appears more than once/),
    );
  });
});
