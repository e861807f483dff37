/**
 * The decoder's runs of members (StreamDecoder.memberRun): leaves, data objects, members
 * with attributes, members the schema lacks and end tags read straight from the bytes of an
 * ASCII response decode exactly as the general path decodes them, in every chunking, and
 * what a run leaves to the general path (new attribute lists, references, CRs, space,
 * prefixes, repeated members, wrong end tags) gets the general path's result or error; item
 * templates read the items of a list as their recorded item was read.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { compileSchema, readSchemaDir } from "../generator/load.js";
import {
  ResponseDecoder,
  encodeElement,
  vimPropertyTypes,
  vimTypes,
  type Codec,
} from "../index.js";
import { type ContainerHandler, StreamDecoder } from "../runtime/codec/decode.js";
import { type XmlHandler, XmlTokenizer } from "../runtime/xml/tokenizer.js";
import { SampleFactory } from "./support/samples.js";

const options = { registry: vimTypes, propertyTypes: vimPropertyTypes };
const ir = compileSchema(readSchemaDir("schema"));
const samples = new SampleFactory(ir);
const NS = `xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"`;

type Outcome = { value: unknown } | { error: string };

/**
 * Decode `xml` as one value of `type`, with or without runs of members (and item templates);
 * counts the runs that read something and the items read with a template.
 */
function decode(
  type: string,
  xml: string,
  chunkSize: number,
  memberRuns: boolean,
  templates = true,
) {
  let result: unknown;
  const root: ContainerHandler = {
    open: (d) => d.expect(vimTypes.get(type) as Codec),
    value: (v) => (result = v),
  };
  const decoder = new StreamDecoder({ ...options, itemTemplates: templates }, root);
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
    // Every chunk in the same memory, overwritten after each write (as a reader may reuse
    // its buffer): nothing the decoder keeps may be a view of it.
    const reused = new Uint8Array(Math.min(chunkSize, bytes.length));
    for (let i = 0; i < bytes.length; i += chunkSize) {
      const chunk = bytes.subarray(i, i + chunkSize);
      reused.set(chunk);
      tokenizer.write(reused.subarray(0, chunk.length));
      reused.fill(0x3c);
    }
    tokenizer.end();
    outcome = { value: result };
  } catch (err) {
    outcome = { error: `${(err as Error).constructor.name}: ${(err as Error).message}` };
  }
  return { outcome, runsRead, itemsReplayed: decoder.itemsReplayed };
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
/** How each form writes an xsi:type attribute's name (vcsim declares the prefix on each element). */
function xsiTypeIn(form: "vcsim" | "server"): string {
  return form === "vcsim"
    ? `xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance" XMLSchema-instance:type`
    : "xsi:type";
}

function listing(n: number, form: "vcsim" | "server"): string {
  const xsi = xsiTypeIn(form);
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
  return `<returnval ${NS} xmlns:xsd="http://www.w3.org/2001/XMLSchema">${objects}</returnval>`;
}

describe("runs keep the leaves this schema does not have in $extra, as the general path does", () => {
  const stats = (inner: string) => `<v ${NS}>${inner}</v>`;
  /** The outcome, checked against the general path in every chunking; one run reads it all. */
  const read = (inner: string) => {
    const { outcome } = same("VirtualMachineQuickStats", stats(inner));
    expect(decode("VirtualMachineQuickStats", stats(inner), 1 << 20, true).runsRead).toBe(1);
    return outcome;
  };

  it("a newer server's members with children: untyped values, nested, repeated", () => {
    const outcome = read(
      "<overallCpuUsage>1</overallCpuUsage>" +
        "<newReq><key>a</key><value><on>true</on><by>x</by></value></newReq>" +
        "<newReq><key>b</key><value><on>false</on></value><key>c</key></newReq>" +
        "<newEmpty><toString></toString></newEmpty><newDeep><inner><x>1</x></inner></newDeep>" +
        "<guestHeartbeatStatus>gray</guestHeartbeatStatus>",
    );
    expect(outcome).toHaveProperty("value.$extra", {
      newReq: [
        { key: "a", value: { on: "true", by: "x" } },
        { key: ["b", "c"], value: { on: "false" } },
      ],
      newEmpty: { toString: "" },
      newDeep: { inner: { x: "1" } },
    });
    expect(outcome).toHaveProperty("value.guestHeartbeatStatus", "gray");
  });

  it("the children of a value of a type this schema does not have (an unknown xsi:type)", () => {
    const xml = `<v ${NS}><key>k</key><value xsi:type="NewType"><a>1</a><b><c>2</c><c>3</c></b></value></v>`;
    const { outcome } = same("OptionValue", xml);
    expect(outcome).toHaveProperty("value.value", {
      $type: "NewType",
      a: "1",
      b: { c: ["2", "3"] },
    });
  });

  it("elements this schema does not have, with an xsi:type: typed by it, as the general path types them", () => {
    // Each twice: the first time the tokenizer parses the attribute list (the general path),
    // the second time the run reads the element with the list it kept.
    const description = (label: string) =>
      `<info xsi:type="Description"><label>${label}</label><summary>s</summary></info>`;
    const value =
      `<value xsi:type="NewType">${description("a")}${description("b")}` +
      `<deep xsi:type="NewInner"><x>1</x></deep><deep xsi:type="NewInner"><x>2</x></deep>` +
      `<n xsi:type="xsd:int">1</n><n xsi:type="xsd:int">2</n></value>`;
    const xsd = `xmlns:xsd="http://www.w3.org/2001/XMLSchema"`;
    const { outcome } = same("OptionValue", `<v ${NS} ${xsd}><key>k</key>${value}</v>`);
    expect(outcome).toHaveProperty("value.value.info", [
      { $type: "Description", label: "a", summary: "s" },
      { $type: "Description", label: "b", summary: "s" },
    ]);
    expect(outcome).toHaveProperty("value.value.n", [1, 2]);
    expect(outcome).toHaveProperty("value.value.deep", [
      { $type: "NewInner", x: "1" },
      { $type: "NewInner", x: "2" },
    ]);
    const { outcome: inObject } = same(
      "VirtualMachineQuickStats",
      stats(
        `<overallCpuUsage>1</overallCpuUsage>${description("a")}${description("b")}` +
          `<guestHeartbeatStatus>gray</guestHeartbeatStatus>`,
      ),
    );
    expect(inObject).toHaveProperty("value.$extra.info", [
      { $type: "Description", label: "a", summary: "s" },
      { $type: "Description", label: "b", summary: "s" },
    ]);
    expect(inObject).toHaveProperty("value.guestHeartbeatStatus", "gray");
  });

  it("a newer server's leaves: their texts as strings, a repeated one as a list", () => {
    const outcome = read(
      "<overallCpuUsage>1</overallCpuUsage><new-Thing_2.x>a b</new-Thing_2.x><guestMemoryUsage>2</guestMemoryUsage>" +
        "<later>1</later><later>2</later><later></later><guestHeartbeatStatus>gray</guestHeartbeatStatus>",
    );
    expect(outcome).toHaveProperty("value.$extra", {
      "new-Thing_2.x": "a b",
      later: ["1", "2", ""],
    });
    expect(outcome).toHaveProperty("value.guestMemoryUsage", 2);
    expect(outcome).toHaveProperty("value.guestHeartbeatStatus", "gray");
  });

  it.each([
    ["a reference in its text", "<newThing>a&amp;b</newThing>"],
    ["a CR in its text", "<newThing>a\r\nb</newThing>"],
    ["an attribute", `<newThing xsi:type="xsd:int">1</newThing>`],
    ["a prefix", `<n:newThing xmlns:n="urn:vim25">1</n:newThing>`],
    ["a child with an attribute", `<newThing><a xsi:type="xsd:int">1</a></newThing>`],
    ["a child with a prefix", `<newThing><n:a xmlns:n="urn:vim25">1</n:a></newThing>`],
    ["text before a child", "<newThing>t<a>1</a></newThing>"],
    ["space between children", "<newThing><a>1</a>\n<b>2</b></newThing>"],
    ["a comment among its children", "<newThing><a>1</a><!-- c --><b>2</b></newThing>"],
    ["CDATA", "<newThing><![CDATA[<a>]]></newThing>"],
    ["a self-closing child", "<newThing><a/><b>2</b></newThing>"],
    ["a wrong end tag below it", "<newThing><a>1</b></newThing>"],
    ["self-closing", "<newThing/>"],
    ["a wrong end tag", "<newThing>1</newThinG>"],
    ["a name of 65 characters", `<${"n".repeat(65)}>1</${"n".repeat(65)}>`],
    [
      "a known member out of order (the general path finds it)",
      "<guestMemoryUsage>2</guestMemoryUsage><overallCpuUsage>1</overallCpuUsage>",
    ],
    [
      "a known member given twice (the general path refuses it)",
      "<overallCpuUsage>1</overallCpuUsage><overallCpuUsage>1</overallCpuUsage>",
    ],
  ])("one with %s is the general path's, with its value or error", (_what, unknown) => {
    const general = decode("VirtualMachineQuickStats", stats(unknown), 1 << 20, false).outcome;
    expect(same("VirtualMachineQuickStats", stats(unknown)).outcome).toEqual(general);
    const around = `<overallCpuUsage>1</overallCpuUsage>${unknown}<guestHeartbeatStatus>gray</guestHeartbeatStatus>`;
    same("VirtualMachineQuickStats", stats(around));
  });
});

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
    // list it has not seen before, or where an item waits to be recorded (a short
    // document's first item waits for its end): no more for 40 VMs than for 2.
    const runs = (n: number) => decode("RetrieveResult", listing(n, "vcsim"), 1 << 20, true);
    expect(runs(40).runsRead).toBeLessThanOrEqual(runs(2).runsRead);
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

describe("item templates: items written alike are read by checking their markup", () => {
  const CHUNKINGS = [1, 7, 64, 1000, 4096, 1 << 20];

  /** `same` for the items of a listing, also with templates off; the items read with one, per chunking. */
  function items(xml: string, type = "RetrieveResult") {
    const general = decode(type, xml, 1 << 20, false).outcome;
    const replayed: number[] = [];
    for (const size of CHUNKINGS) {
      expect(
        decode(type, xml, size, true, false).outcome,
        `chunks of ${size}, no templates`,
      ).toEqual(general);
      const fast = decode(type, xml, size, true);
      expect(fast.outcome, `chunks of ${size}`).toEqual(general);
      replayed.push(fast.itemsReplayed);
    }
    return { outcome: general, replayed };
  }

  /** A listing of `n` VMs (listing's form) with item `i` rewritten by `change`. */
  function listingWith(
    n: number,
    change: (item: string, i: number) => string,
    form: "vcsim" | "server" = "vcsim",
  ) {
    const xml = listing(n, form);
    const start = xml.indexOf("<objects>");
    const end = xml.lastIndexOf("</objects>") + "</objects>".length;
    const all = xml
      .slice(start, end)
      .split("</objects>")
      .slice(0, -1)
      .map((o) => o + "</objects>");
    return xml.slice(0, start) + all.map(change).join("") + xml.slice(end);
  }

  const objectsOf = (outcome: unknown) => {
    if ("error" in (outcome as object)) throw new Error((outcome as { error: string }).error);
    return (outcome as { value: { objects: any[] } }).value.objects;
  };

  it.each(["vcsim", "server"] as const)(
    "a listing in %s's form: every item after the first, in one chunk",
    (form) => {
      const { outcome, replayed } = items(listing(30, form));
      expect(objectsOf(outcome)).toHaveLength(30);
      expect(objectsOf(outcome)[29].propSet[2].val).toBe(32 * 30);
      // 28 of 30: the first item's attribute lists are new (the general path reads them), the
      // second is recorded. In chunks, an item a chunk cuts waits for more input, bytes one
      // by one too: what waits is read again once as much again has arrived.
      expect(replayed).toEqual(CHUNKINGS.map(() => 28));
    },
  );

  it("the values are each item's own: texts, numbers, dates, references, enums", () => {
    const xml = listingWith(6, (item, i) =>
      i === 4
        ? item
            .replace("2026-12-07T00:18:10.227833845Z", "2030-01-02T03:04:05Z")
            .replace("<powerState>poweredOn</powerState>", "<powerState>suspended</powerState>")
            .replace(">toolsNotInstalled<", ">toolsNotRunning<")
            .replace("<committed>0</committed>", "<committed>12345678901234</committed>")
        : item,
    );
    const { outcome, replayed } = items(xml);
    expect(replayed.at(-1)).toBe(4);
    const summary = objectsOf(outcome)[4].propSet[3].val;
    expect(summary.runtime.bootTime).toEqual(new Date(Date.UTC(2030, 0, 2, 3, 4, 5)));
    expect(summary.runtime.powerState).toBe("suspended");
    expect(summary.guest.toolsStatus).toBe("toolsNotRunning");
    expect(summary.storage.committed).toBe(12345678901234n);
    expect(summary.runtime.host).toEqual({ type: "HostSystem", value: "host-0" });
    expect(objectsOf(outcome)[3].propSet[3].val.runtime.host).toEqual({
      type: "HostSystem",
      value: "host-1",
    });
  });

  it.each([
    [
      "an optional member left out",
      (item: string) => item.replace(/<toolsStatus>.*?<\/toolsStatus>/, ""),
    ],
    [
      "a member more",
      (item: string) => item.replace("</guest>", "<guestFullName>x</guestFullName></guest>"),
    ],
    [
      "a reference in a text",
      (item: string) => item.replace("[ds] vm/vm.vmx", "[ds] a&amp;b/vm.vmx"),
    ],
    ["a CR in a text", (item: string) => item.replace("[ds] vm/vm.vmx", "[ds]\r\nvm")],
    ["a comment", (item: string) => item.replace("<guest>", "<guest><!-- c -->")],
    ["CDATA", (item: string) => item.replace("otherGuest", "<![CDATA[other<Guest>]]>")],
    ["space between members", (item: string) => item.replace("<guest>", "<guest>\n  ")],
    ["a self-closing member", (item: string) => item.replace(/<guest>.*?<\/guest>/, "<guest/>")],
    [
      "another reference type, of the same length",
      (item: string) => item.replace(`<host type="HostSystem">`, `<host type="HostXystem">`),
    ],
    [
      "another managed type",
      (item: string) => item.replace(`<obj type="VirtualMachine">`, `<obj type="Folder">`),
    ],
    [
      "an unknown member",
      (item: string) => item.replace("</runtime>", "<newThing><a>1</a></newThing></runtime>"),
    ],
    [
      "a prefixed member",
      (item: string) =>
        item.replace("<guest>", `<v:guest xmlns:v="urn:vim25">`).replace("</guest>", "</v:guest>"),
    ],
    [
      "an xsi:type of a subtype",
      (item: string) =>
        item.replace("<quickStats>", `<quickStats xsi:type="VirtualMachineQuickStats">`),
    ],
  ])(
    "an item that differs (%s) is read as before; the next ones with the template",
    (_what, change) => {
      const xml = listingWith(8, (item, i) => (i === 3 ? change(item) : item));
      const { outcome, replayed } = items(xml);
      expect(objectsOf(outcome)).toHaveLength(8);
      expect(replayed.at(-1)).toBe(5); // items 2 and 4-7
    },
  );

  it("items with leaves this schema does not have are read with the template, into $extra", () => {
    // As vcsim's video cards carry graphicsMemorySizeInKB, which the 5.5 schema lacks.
    const xml = listingWith(8, (item, i) =>
      item
        .replace("</runtime>", `<newCount>${i}</newCount><newFlag>true</newFlag></runtime>`)
        .replace(
          "</guest>",
          `<newList>a${i}</newList><newList>b</newList><newList></newList></guest>`,
        ),
    );
    const { outcome, replayed } = items(xml);
    expect(replayed.at(-1)).toBe(6);
    expect(replayed[CHUNKINGS.indexOf(4096)]).toBe(6);
    const summary = objectsOf(outcome)[7].propSet[3].val;
    expect(summary.runtime.$extra).toEqual({ newCount: "7", newFlag: "true" });
    expect(summary.guest.$extra).toEqual({ newList: ["a7", "b", ""] });
    expect(summary.guest.toolsStatus).toBe("toolsNotInstalled");
    expect(objectsOf(outcome)[4].propSet[3].val.runtime.$extra.newCount).toBe("4");
  });

  it("items with members this schema does not have, with children, are read with the template", () => {
    // A newer server's member with children, in every item (its own texts in each).
    const requirement = (key: string, value: string) =>
      `<newRequirement><key>${key}</key><featureName>${key}</featureName>` +
      `<value><setting><text>${value}</text></setting></value></newRequirement>`;
    const xml = listingWith(8, (item, i) =>
      item.replace(
        "</runtime>",
        `${requirement("cpuid.sse3", `Bool:Min:${i}`)}${requirement("cpuid.lm", "x")}</runtime>`,
      ),
    );
    const { outcome, replayed } = items(xml);
    expect(replayed.at(-1)).toBe(6);
    expect(replayed[CHUNKINGS.indexOf(4096)]).toBe(6);
    expect(objectsOf(outcome)[7].propSet[3].val.runtime.$extra).toEqual({
      newRequirement: [
        {
          key: "cpuid.sse3",
          featureName: "cpuid.sse3",
          value: { setting: { text: "Bool:Min:7" } },
        },
        { key: "cpuid.lm", featureName: "cpuid.lm", value: { setting: { text: "x" } } },
      ],
    });
  });

  it("items with values of a type this schema does not have (an xsi:type) are read with the template", () => {
    // A newer server's subtype in a member the schema has, in every item (its own texts in
    // each), in both forms of the xsi prefix: a value of its own, { $type, ...children }.
    for (const form of ["vcsim", "server"] as const) {
      const xsi = xsiTypeIn(form);
      const requirement = (key: string, value: string) =>
        `<featureRequirement ${xsi}="NewFeatureRequirement"><key>${key}</key>` +
        `<featureName>${key}</featureName><value><min>${value}</min></value></featureRequirement>`;
      const xml = listingWith(
        8,
        (item, i) =>
          item.replace(
            "</runtime>",
            `${requirement("cpuid.sse3", `Bool:Min:${i}`)}${requirement("cpuid.lm", "x")}</runtime>`,
          ),
        form,
      );
      const { outcome, replayed } = items(xml);
      expect(replayed.at(-1), form).toBe(6);
      // (In 4 KiB chunks, a chunk's end may cut the second item: the third is recorded.)
      expect(replayed[CHUNKINGS.indexOf(4096)], form).toBeGreaterThanOrEqual(5);
      const runtime = objectsOf(outcome)[7].propSet[3].val.runtime;
      expect(runtime.featureRequirement).toEqual([
        {
          $type: "NewFeatureRequirement",
          key: "cpuid.sse3",
          featureName: "cpuid.sse3",
          value: { min: "Bool:Min:7" },
        },
        {
          $type: "NewFeatureRequirement",
          key: "cpuid.lm",
          featureName: "cpuid.lm",
          value: { min: "x" },
        },
      ]);
      expect(runtime.bootTime).toEqual(new Date("2026-12-07T00:18:10.227Z"));
      expect(objectsOf(outcome)[4].propSet[3].val.runtime.featureRequirement[0].value.min).toBe(
        "Bool:Min:4",
      );
    }
  });

  it("items with values of a newer type whose children have an xsi:type are read with the template", () => {
    // As a newer server's device types carry a `deviceInfo` of type Description: values of a
    // known type (Description) and of an unknown one, inside a value of an unknown type and
    // as a member the schema lacks.
    for (const form of ["vcsim", "server"] as const) {
      const xsi = xsiTypeIn(form);
      const xml = listingWith(
        8,
        (item, i) =>
          item.replace(
            "</runtime>",
            `<featureRequirement ${xsi}="NewFeatureRequirement"><key>k${i}</key>` +
              `<info ${xsi}="Description"><label>L${i}</label><summary>S</summary></info>` +
              `<more ${xsi}="NewInner"><x>${i}</x></more></featureRequirement>` +
              `<newInfo ${xsi}="Description"><label>N${i}</label><summary>S</summary></newInfo>` +
              `<newChoice ${xsi}="ChoiceOption"><valueIsReadonly>true</valueIsReadonly></newChoice></runtime>`,
          ),
        form,
      );
      const { outcome, replayed } = items(xml);
      expect(replayed.at(-1), form).toBe(6);
      const runtime = objectsOf(outcome)[7].propSet[3].val.runtime;
      expect(runtime.featureRequirement).toEqual([
        {
          $type: "NewFeatureRequirement",
          key: "k7",
          info: { $type: "Description", label: "L7", summary: "S" },
          more: { $type: "NewInner", x: "7" },
        },
      ]);
      expect(runtime.$extra).toEqual({
        newInfo: { $type: "Description", label: "N7", summary: "S" },
        // (A required list it leaves out is made empty, as finish makes it.)
        newChoice: { $type: "ChoiceOption", valueIsReadonly: true, choiceInfo: [] },
      });
      expect(objectsOf(outcome)[5].propSet[3].val.runtime.$extra.newInfo.label).toBe("N5");
    }
  });

  it.each([
    ["of another type", (item: string) => item.replace(`="NewFeatureRequirement"`, `="OtherNew"`)],
    [
      "of the schema's type",
      (item: string) =>
        item
          .replace(`="NewFeatureRequirement">`, `="VirtualMachineFeatureRequirement">`)
          .replace("<value><min>1</min></value>", "<value>1</value>"),
    ],
    ["a child left out", (item: string) => item.replace("<featureName>f</featureName>", "")],
    ["a child more", (item: string) => item.replace("<key>k</key>", "<key>k</key><key>l</key>")],
    [
      "with text only",
      (item: string) => item.replace(/<key>k.*?<\/featureRequirement>/, "t</featureRequirement>"),
    ],
    [
      "a child with an xsi:type",
      (item: string) => item.replace("<key>k</key>", `<key xsi:type="xsd:string">k</key>`),
    ],
    [
      "a child with a reference's type",
      (item: string) => item.replace("<key>k</key>", `<key type="HostSystem">k</key>`),
    ],
    [
      "a child of another type",
      (item: string) =>
        item.replace(
          "<value><min>1</min></value>",
          `<value xsi:type="Description"><label>1</label><summary>s</summary></value>`,
        ),
    ],
  ])("an item whose value of an unknown type differs (%s) is read as before", (_what, change) => {
    const xml = listingWith(
      8,
      (item, i) => {
        const withNew = item.replace(
          "</runtime>",
          `<featureRequirement xsi:type="NewFeatureRequirement"><key>k</key><featureName>f</featureName>` +
            `<value><min>1</min></value></featureRequirement></runtime>`,
        );
        return i === 3 ? change(withNew) : withNew;
      },
      "server",
    );
    const { outcome, replayed } = items(xml);
    expect(replayed.at(-1)).toBe(5); // items 2 and 4-7
    expect(objectsOf(outcome)[6].propSet[3].val.runtime.featureRequirement).toEqual([
      { $type: "NewFeatureRequirement", key: "k", featureName: "f", value: { min: "1" } },
    ]);
  });

  it.each([
    ["a child left out", (item: string) => item.replace("<by>x</by>", "")],
    ["a child more", (item: string) => item.replace("<by>x</by>", "<by>x</by><by>y</by>")],
    [
      "a child's text as children",
      (item: string) => item.replace("<by>x</by>", "<by><z>x</z></by>"),
    ],
    [
      "a child with an attribute",
      (item: string) => item.replace("<by>", `<by xsi:type="xsd:string">`),
    ],
  ])("an item whose member with children differs (%s) is read as before", (_what, change) => {
    const xml = listingWith(8, (item, i) => {
      const withNew = item.replace("</guest>", "<newThing><on>1</on><by>x</by></newThing></guest>");
      return i === 3 ? change(withNew) : withNew;
    });
    const { outcome, replayed } = items(xml);
    expect(replayed.at(-1)).toBe(5); // items 2 and 4-7
    expect(objectsOf(outcome)[6].propSet[3].val.guest.$extra).toEqual({
      newThing: { on: "1", by: "x" },
    });
  });

  it("an item whose extra leaf is missing, differs in name or comes twice is read as before", () => {
    const xml = listingWith(8, (item, i) => {
      const extra =
        ["<newA>1</newA>", "<newA>1</newA>", "<newA>1</newA>", "", "<newB>1</newB>"][i] ??
        "<newA>1</newA>";
      return item.replace("</runtime>", `${extra}${i === 5 ? extra : ""}</runtime>`);
    });
    const { outcome, replayed } = items(xml);
    expect(replayed.at(-1)).toBe(3); // items 2, 6 and 7 (3, 4 and 5 differ)
    const runtime = (i: number) => objectsOf(outcome)[i].propSet[3].val.runtime;
    expect(runtime(3)).not.toHaveProperty("$extra");
    expect(runtime(4).$extra).toEqual({ newB: "1" });
    expect(runtime(5).$extra).toEqual({ newA: ["1", "1"] });
    expect(runtime(6).$extra).toEqual({ newA: "1" });
  });

  it("a property's name is part of the markup: the same tags under another name decode by that name's type", () => {
    // memoryMB is an int, config.uuid a string: with `xsd:int` on both, the value still
    // takes the type its property has (as the general path decodes it).
    const xml = listingWith(6, (item, i) =>
      i >= 3
        ? item.replace("<name>config.hardware.memoryMB</name>", "<name>config.uuid</name>")
        : item,
    );
    const { outcome, replayed } = items(xml);
    expect(objectsOf(outcome)[2].propSet[2].val).toBe(96);
    expect(objectsOf(outcome)[3].propSet[2].val).toBe("128");
    expect(objectsOf(outcome)[5].propSet[2].val).toBe("192");
    expect(replayed.at(-1)).toBe(3); // items 1-2 with the first template, 4-5 with the second
  });

  it("two shapes alternating, and more shapes than are kept, decode as before", () => {
    const two = listingWith(12, (item, i) =>
      i % 2 ? item.replace(/<toolsStatus>.*?<\/toolsStatus>/, "") : item,
    );
    // Item 1 (B) is recorded, 2 (A) misses, 3 (B) matches, 4 (A) is recorded: 3 and 5-11.
    expect(items(two).replayed.at(-1)).toBe(8);
    // Sixteen shapes: four optional members each there or not, by the bits of the item's number.
    const drop = (item: string, i: number, bit: number, member: RegExp) =>
      i & bit ? item.replace(member, "") : item;
    const many = listingWith(48, (item, i) =>
      [
        /<toolsStatus>.*?<\/toolsStatus>/,
        /<guestId>.*?<\/guestId>/,
        /<numCpu>.*?<\/numCpu>/,
        /<memorySizeMB>.*?<\/memorySizeMB>/,
      ].reduce((changed, member, k) => drop(changed, i, 1 << k, member), item),
    );
    const { outcome } = items(many);
    expect(objectsOf(outcome)).toHaveLength(48);
    expect(objectsOf(outcome)[47].propSet[3].val.config).not.toHaveProperty("numCpu");
    expect(objectsOf(outcome)[43].propSet[3].val.config).toHaveProperty("numCpu", 1);
  });

  it.each([
    [
      "a value that does not decode",
      (item: string) => item.replace("<numCpu>1</numCpu>", "<numCpu>one</numCpu>"),
      "DecodeError: .*one",
    ],
    [
      "a wrong end tag",
      (item: string) => item.replace("</guest>", "</gust>"),
      "XmlSyntaxError: .*does not match",
    ],
    [
      "a single member given twice",
      (item: string) => item.replace("</guest>", "<toolsStatus>toolsOk</toolsStatus></guest>"),
      "DecodeError: .*appears more than once",
    ],
    [
      "an end tag missing at the end",
      (item: string) => item.slice(0, -"</objects>".length),
      "XmlSyntaxError",
    ],
  ])("%s in a later item: the error the general path gives", (_what, change, error) => {
    const xml = listingWith(6, (item, i) => (i === 4 ? change(item) : item));
    const { outcome } = items(xml);
    expect(outcome).toHaveProperty("error", expect.stringMatching(new RegExp(`^${error}`)));
  });

  it("required lists an item leaves out become empty, as finish makes them", () => {
    const byVm = (i: number) => `<faultsByVm><vm type="VirtualMachine">vm-${i}</vm></faultsByVm>`;
    const xml = `<v ${NS}><reason>r</reason>${[0, 1, 2, 3, 4].map(byVm).join("")}</v>`;
    const { outcome, replayed } = items(xml, "ClusterDrsFaults");
    expect(outcome).toHaveProperty("value.faultsByVm.4", {
      $type: "ClusterDrsFaultsFaultsByVm",
      vm: { type: "VirtualMachine", value: "vm-4" },
      fault: [],
    });
    expect(replayed.at(-1)).toBe(3); // items 2-4
  });

  it("a property's items are read by their holder's template, never their own", () => {
    // One ObjectContent whose propSet items look alike: each is decoded on its own.
    const props = [1, 2, 3, 4].map(
      (i) => `<propSet><name>name</name><val xsi:type="xsd:string">n${i}</val></propSet>`,
    );
    const xml = `<returnval ${NS}><objects><obj type="VirtualMachine">vm-1</obj>${props.join("")}</objects></returnval>`;
    const { outcome, replayed } = items(xml);
    expect(replayed.at(-1)).toBe(0);
    expect(outcome).toHaveProperty("value.objects.0.propSet.3.val", "n4");
  });
});

describe("after a listing, the decoder kept for V8's hidden classes (ResponseDecoder.end)", () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const envelope = (returnval: string) =>
    `<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/">` +
    `<soapenv:Body><RetrievePropertiesExResponse xmlns="urn:vim25">${returnval}` +
    `</RetrievePropertiesExResponse></soapenv:Body></soapenv:Envelope>`;
  const response = Buffer.from(envelope(listing(12, "vcsim")));

  /** The response decoded, each chunk in memory of its own; its result and items replayed. */
  function decodeListing(chunk: number) {
    const decoder = new ResponseDecoder(
      "RetrievePropertiesEx",
      { codec: vimTypes.get("RetrieveResult")!, occurrence: "o" },
      options,
    );
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < response.length; i += chunk) {
      chunks.push(new Uint8Array(response.subarray(i, i + chunk)));
      decoder.write(chunks.at(-1)!);
    }
    const outcome = decoder.end();
    if (outcome.kind !== "result") throw new Error("a fault");
    return {
      value: outcome.value as { objects: object[] },
      chunks,
      replayed: decoder.itemsReplayed,
    };
  }

  it("holds none of the response's values but one item, and none of its chunks", async () => {
    const watch = (chunk: number) => {
      const { value, chunks, replayed } = decodeListing(chunk);
      expect(replayed).toBeGreaterThan(0);
      return {
        result: new WeakRef(value),
        items: value.objects.map((item) => new WeakRef(item)),
        chunks: chunks.map((c) => new WeakRef(c.buffer)),
      };
    };
    for (const chunk of [4096, response.length]) {
      const refs = watch(chunk);
      // (A WeakRef's target stays alive until the job that made it ends.)
      await new Promise((resolve) => setTimeout(resolve, 0));
      gc();
      expect(refs.result.deref(), `chunks of ${chunk}`).toBeUndefined();
      expect(refs.items.filter((item) => item.deref() !== undefined)).toHaveLength(1);
      expect(refs.chunks.filter((c) => c.deref() !== undefined)).toHaveLength(0);
    }
  });

  it("items larger than the chunks are recorded and replayed: a recording waits for input", () => {
    // (The items here are about 1.5 KB: before, chunks smaller than an item never let one
    // be recorded, since a recording needs the whole item in one buffer.)
    for (const chunk of [512, 1000, 1400]) {
      expect(decodeListing(chunk).replayed, `chunks of ${chunk}`).toBe(10);
    }
    // And in 1-byte chunks: the held bytes are read again as they double, not at each byte,
    // so the waits (at most 64 per list) do not run out.
    expect(decodeListing(1).replayed).toBe(10);
  });

  it("a response decoded after it reads as it did, in any chunking", () => {
    const first = decodeListing(response.length);
    expect(first.replayed).toBe(10);
    for (const chunk of [1, 7, 1000, 4096, response.length]) {
      const before = decodeListing(chunk);
      const after = decodeListing(chunk); // (after the release of `before`'s decoder)
      expect(before.value, `chunks of ${chunk}`).toEqual(first.value);
      expect(after.value, `chunks of ${chunk}`).toEqual(first.value);
      expect(after.replayed, `chunks of ${chunk}`).toBe(before.replayed);
    }
  });
});
