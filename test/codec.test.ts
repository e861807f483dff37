import { describe, expect, it } from "vitest";
import {
  DecodeError,
  EncodeError,
  deserialize,
  FileInfoCodec,
  VmDiskFileInfoCodec,
  VirtualMachineRuntimeInfoCodec,
  isInstanceOf,
  vimPropertyTypes,
  vimTypes,
  isType,
  serialize,
  type HostDatastoreBrowserSearchResults,
  type ObjectContent,
  type PropertyFilterSpec,
} from "../index.js";
import {
  DateTimeCodec,
  LongCodec,
  parseCommonDateTime,
  parseDateTimeGeneral,
} from "../runtime/codec/primitives.js";
import { InvalidText } from "../runtime/codec/types.js";
import { defineEnum } from "../runtime/codec/define.js";
import { decodeElement } from "../runtime/codec/document.js";

const VIM = 'xmlns="urn:vim25"';
const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"';
const XSD = 'xmlns:xsd="http://www.w3.org/2001/XMLSchema"';

describe("object codec layout", () => {
  it("resolves members once, inherited first, and makes values of its type", () => {
    // VmDiskFileInfo extends FileInfo extends DynamicData: base members first, wire order.
    const codec = VmDiskFileInfoCodec;
    const layout = codec.layout();
    expect(codec.layout()).toBe(layout);
    const names = layout.fields.map((f) => f.name);
    expect(names).toEqual([
      "dynamicType",
      "dynamicProperty",
      "path",
      "fileSize",
      "modification",
      "owner",
      "diskType",
      "capacityKb",
      "hardwareVersion",
      "controllerType",
      "diskExtents",
      "thin",
    ]);
    expect(FileInfoCodec.fields.map((f) => f.name)).toEqual(names.slice(0, 6));
    expect(layout.fields.map((f) => f.index)).toEqual(names.map((_, i) => i));
    expect([...layout.fieldMap.keys()]).toEqual(names);
    expect(layout.requiredFields).toEqual(["path"]);
    expect(layout.base).toBe(FileInfoCodec);
    // The getters read the same layout.
    expect(codec.fields).toBe(layout.fields);
    expect(codec.fieldMap).toBe(layout.fieldMap);
    expect(codec.requiredFields).toBe(layout.requiredFields);
    const value = layout.newValue();
    expect(value).toEqual({ $type: "VmDiskFileInfo" });
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(layout.newValue()).not.toBe(value);
  });
});

describe("polymorphic dispatch on xsi:type", () => {
  const results = `<returnval ${VIM} ${XSI}>
    <datastore type="Datastore">datastore-11</datastore>
    <folderPath>[datastore1] vm1/</folderPath>
    <file xsi:type="VmDiskFileInfo"><path>vm1.vmdk</path><fileSize>1048576</fileSize><capacityKb>8388608</capacityKb><controllerType>VirtualLsiLogicController</controllerType></file>
    <file xsi:type="FolderFileInfo"><path>sub</path></file>
    <file xsi:type="VmConfigFileInfo"><path>vm1.vmx</path><configVersion>8</configVersion></file>
    <file xsi:type="TemplateConfigFileInfo"><path>t.vmtx</path><configVersion>10</configVersion></file>
    <file xsi:type="IsoImageFileInfo"><path>a.iso</path></file>
    <file><path>plain</path></file>
  </returnval>`;

  it("decodes FileInfo subtypes inside HostDatastoreBrowserSearchResults", () => {
    const r = deserialize<HostDatastoreBrowserSearchResults>(
      "HostDatastoreBrowserSearchResults",
      results,
    );
    expect(r.file!.map((f) => f.$type)).toEqual([
      "VmDiskFileInfo",
      "FolderFileInfo",
      "VmConfigFileInfo",
      "TemplateConfigFileInfo",
      "IsoImageFileInfo",
      "FileInfo",
    ]);
    const disk = r.file![0]!;
    expect(isType("VmDiskFileInfo", disk)).toBe(true);
    if (isType("VmDiskFileInfo", disk)) {
      // Narrowed: members of the subtype are typed.
      expect(disk.capacityKb).toBe(8388608n);
      expect(disk.controllerType).toBe("VirtualLsiLogicController");
    }
    expect(r.file!.every((f) => isInstanceOf(f, FileInfoCodec))).toBe(true);
    // The guard honours subtypes (DynamicCast): a TemplateConfigFileInfo is a VmConfigFileInfo.
    expect(isType("VmConfigFileInfo", r.file![3])).toBe(true);
    expect(isType("VmConfigFileInfo", r.file![1])).toBe(false);
    expect(isType("VmDiskFileInfo", r.file![5])).toBe(false);
  });

  it("writes a type's members in wire order, its base type's first", () => {
    // TraversalSpec extends SelectionSpec (name); its own members follow in schema order.
    const xml = serialize("TraversalSpec", {
      selectSet: [{ name: "x" }],
      skip: false,
      path: "childEntity",
      type: "Folder",
      name: "n",
    });
    expect(xml.slice(xml.indexOf(">") + 1)).toBe(
      "<name>n</name><type>Folder</type><path>childEntity</path><skip>false</skip>" +
        '<selectSet xsi:type="SelectionSpec"><name>x</name></selectSet></TraversalSpec>',
    );
  });

  it("writes and reads TraversalSpec inside SelectionSpec lists", () => {
    const spec: PropertyFilterSpec = {
      propSet: [{ type: "VirtualMachine", all: false, pathSet: ["name"] }],
      objectSet: [
        {
          obj: { type: "Folder", value: "group-d1" },
          skip: false,
          selectSet: [
            {
              $type: "TraversalSpec",
              name: "folderToChildEntity",
              type: "Folder",
              path: "childEntity",
              skip: false,
              selectSet: [
                { name: "folderToChildEntity" },
                { $type: "TraversalSpec", name: "dcToVm", type: "Datacenter", path: "vmFolder" },
              ],
            } as PropertyFilterSpec["objectSet"][0]["selectSet"] extends (infer S)[] | undefined
              ? S
              : never,
          ],
        },
      ],
    };
    const xml = serialize("PropertyFilterSpec", spec, { elementName: "spec" });
    expect(xml).toContain(
      '<selectSet xsi:type="TraversalSpec"><name>folderToChildEntity</name><type>Folder</type><path>childEntity</path><skip>false</skip>',
    );
    // A plain SelectionSpec in a SelectionSpec slot still says its type: the slot is polymorphic.
    expect(xml).toContain(
      '<selectSet xsi:type="SelectionSpec"><name>folderToChildEntity</name></selectSet>',
    );
    const back = deserialize<PropertyFilterSpec>("PropertyFilterSpec", xml);
    const outer = back.objectSet[0]!.selectSet![0]!;
    expect(isType("TraversalSpec", outer)).toBe(true);
    if (isType("TraversalSpec", outer)) {
      expect(outer.selectSet!.map((s) => s.$type)).toEqual(["SelectionSpec", "TraversalSpec"]);
      expect(isType("SelectionSpec", outer.selectSet![1])).toBe(true);
    }
  });
});

describe("anyType slots", () => {
  const property = (
    xsiPrefixDecl: string,
    prefix: string,
  ) => `<DynamicProperty ${VIM} ${xsiPrefixDecl}>
      <name>datastore</name>
      <val ${prefix}:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">datastore-1</ManagedObjectReference><ManagedObjectReference type="Datastore">datastore-2</ManagedObjectReference></val>
    </DynamicProperty>`;

  it("decodes ArrayOfManagedObjectReference in DynamicProperty.val", () => {
    expect(deserialize("DynamicProperty", property(XSI, "xsi"))).toEqual({
      $type: "DynamicProperty",
      name: "datastore",
      val: {
        $type: "ArrayOfManagedObjectReference",
        value: [
          { type: "Datastore", value: "datastore-1" },
          { type: "Datastore", value: "datastore-2" },
        ],
      },
    });
  });

  it("decodes ArrayOfString in DynamicProperty.val and writes it back the same way", () => {
    const xml = `<x ${VIM} ${XSI}><name>n</name><val xsi:type="ArrayOfString"><string>a &amp; b</string><string></string><string>日本</string></val></x>`;
    const value = deserialize("DynamicProperty", xml);
    expect(value).toEqual({
      $type: "DynamicProperty",
      name: "n",
      val: { $type: "ArrayOfString", value: ["a & b", "", "日本"] },
    });
    expect(serialize("DynamicProperty", value)).toContain(
      '<val xsi:type="ArrayOfString"><string>a &amp; b</string><string></string><string>日本</string></val>',
    );
  });

  it("resolves the XSI prefix by namespace: xsi:, vcsim's XMLSchema-instance:, or any other", () => {
    const expected = deserialize("DynamicProperty", property(XSI, "xsi"));
    const vcsim = property(
      'xmlns:XMLSchema-instance="http://www.w3.org/2001/XMLSchema-instance"',
      "XMLSchema-instance",
    );
    expect(deserialize("DynamicProperty", vcsim)).toEqual(expected);
    expect(
      deserialize(
        "DynamicProperty",
        property('xmlns:q="http://www.w3.org/2001/XMLSchema-instance"', "q"),
      ),
    ).toEqual(expected);
    // A prefix spelled "xsi" but bound elsewhere is not xsi:type.
    const impostor = property('xmlns:xsi="urn:not-xsi"', "xsi");
    expect(deserialize<{ val: unknown }>("DynamicProperty", impostor).val).not.toEqual(
      (expected as { val: unknown }).val,
    );
  });

  it("resolves the xsd: prefix of type values by namespace too", () => {
    const xml = `<x ${VIM} xmlns:i="http://www.w3.org/2001/XMLSchema-instance" xmlns:s="http://www.w3.org/2001/XMLSchema"><name>n</name><val i:type="s:long">9007199254740993</val></x>`;
    expect(deserialize<{ val: unknown }>("DynamicProperty", xml).val).toBe(9007199254740993n);
  });

  it("decodes property values with their schema types inside ObjectContent", () => {
    const xml = `<objects ${VIM} ${XSI} ${XSD}>
      <obj type="VirtualMachine">vm-42</obj>
      <propSet><name>datastore</name><val xsi:type="ArrayOfManagedObjectReference"><ManagedObjectReference type="Datastore">ds-1</ManagedObjectReference></val></propSet>
      <propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">poweredOn</val></propSet>
      <propSet><name>config.hardware.numCPU</name><val xsi:type="xsd:int">2</val></propSet>
      <propSet><name>summary.quickStats.overallCpuUsage</name><val xsi:type="xsd:int">17</val></propSet>
      <propSet><name>customField.unknownToSchema</name><val xsi:type="xsd:short">3</val></propSet>
    </objects>`;
    const oc = deserialize<ObjectContent>("ObjectContent", xml);
    expect(Object.fromEntries(oc.propSet!.map((p) => [p.name, p.val]))).toEqual({
      datastore: [{ type: "Datastore", value: "ds-1" }],
      "runtime.powerState": "poweredOn",
      "config.hardware.numCPU": 2,
      "summary.quickStats.overallCpuUsage": 17,
      // A path the schema cannot type falls back to anyType decoding, which keeps the wire type.
      "customField.unknownToSchema": { $type: "xsd:short", value: 3 },
    });
  });
});

describe("strings", () => {
  it("escape XML specials and keep non-ASCII text exactly", () => {
    const text = `<tag attr="v"> & 'apos' ]]> Ünïcödé 日本語 😀 \t tab \r\n crlf \r cr`;
    const xml = serialize("String", text, { elementName: "s" });
    expect(xml).toBe(
      `<s xmlns="urn:vim25" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">` +
        `&lt;tag attr="v"&gt; &amp; 'apos' ]]&gt; Ünïcödé 日本語 😀 \t tab &#13;\n crlf &#13; cr</s>`,
    );
    expect(deserialize("String", xml)).toBe(text);
    expect(deserialize("String", new TextEncoder().encode(xml))).toBe(text);
  });

  it("escape the type attribute of references", () => {
    const xml = serialize(
      "ManagedObjectReference",
      { type: 'a"<&>\n', value: "v&1" },
      { elementName: "r" },
    );
    expect(xml).toContain('type="a&quot;&lt;&amp;&gt;&#10;">v&amp;1</r>');
    expect(deserialize("ManagedObjectReference", xml)).toEqual({ type: 'a"<&>\n', value: "v&1" });
  });

  it("refuse characters XML 1.0 cannot carry, naming where", () => {
    expect(() => serialize("AboutInfo", aboutInfo({ name: "bad\u0001" }))).toThrow(EncodeError);
    expect(() => serialize("AboutInfo", aboutInfo({ name: "bad\u0001" }))).toThrow(
      /AboutInfo\.name: character U\+0001/,
    );
    expect(() => serialize("String", "lone \ud800 surrogate")).toThrow(/U\+D800/);
  });
});

function aboutInfo(over: Record<string, unknown> = {}) {
  return {
    name: "VMware ESXi",
    fullName: "VMware ESXi 5.5.0",
    vendor: "VMware, Inc.",
    version: "5.5.0",
    build: "1",
    osType: "vmnix-x86",
    productLineId: "embeddedEsx",
    apiType: "HostAgent",
    apiVersion: "5.5",
    ...over,
  };
}

describe("numbers", () => {
  it("keep Long 9007199254740993 exact both ways", () => {
    const xml = `<x ${VIM}><key>1</key><fileSize>9007199254740993</fileSize><path>p</path></x>`;
    expect(deserialize<{ fileSize: bigint }>("FileInfo", xml).fileSize).toBe(9007199254740993n);
    expect(serialize("Long", 9007199254740993n, { elementName: "l" })).toContain(
      ">9007199254740993</l>",
    );
    expect(deserialize("Long", serialize("Long", -(2n ** 63n)))).toBe(-(2n ** 63n));
  });

  it("refuse a number that would lose precision as a Long, and out-of-range values", () => {
    // eslint-disable-next-line no-loss-of-precision -- the point: this number is already rounded
    expect(() => serialize("Long", 9007199254740993)).toThrow(/not a safe integer: pass a bigint/);
    expect(() => serialize("Long", 2n ** 63n)).toThrow(/out of range for long/);
    expect(() => serialize("Int", 2147483648)).toThrow(/out of range for int/);
    expect(() => serialize("Int", 1.5)).toThrow(/expected an integer/);
    expect(() => deserialize("Short", `<x ${VIM}>40000</x>`)).toThrow(/out of range for short/);
    expect(() => deserialize("Int", `<x ${VIM}>0x10</x>`)).toThrow(DecodeError);
    expect(() => deserialize("Long", `<x ${VIM}>1e3</x>`)).toThrow(/is not a long/);
  });

  it("read booleans, floats and dates as XML Schema writes them", () => {
    expect(deserialize("Boolean", `<x ${VIM}>1</x>`)).toBe(true);
    expect(deserialize("Boolean", `<x ${VIM}> false </x>`)).toBe(false);
    expect(() => deserialize("Boolean", `<x ${VIM}>yes</x>`)).toThrow(/not a boolean/);
    expect(deserialize("Double", `<x ${VIM}>-INF</x>`)).toBe(-Infinity);
    expect(deserialize("Float", `<x ${VIM}>1.5E2</x>`)).toBe(150);
    expect(
      deserialize<Date>("DateTime", `<x ${VIM}>2013-08-20T13:45:01.123456+02:00</x>`).toISOString(),
    ).toBe("2013-08-20T11:45:01.123Z");
    // No zone means UTC (as libvirt reads it), not local time.
    expect(deserialize<Date>("DateTime", `<x ${VIM}>2013-08-20T13:45:01</x>`).toISOString()).toBe(
      "2013-08-20T13:45:01.000Z",
    );
    expect(() => deserialize("DateTime", `<x ${VIM}>2013-13-20T13:45:01Z</x>`)).toThrow(
      /not a valid date/,
    );
    expect(deserialize("Binary", `<x ${VIM}>AP8K\n</x>`)).toEqual(new Uint8Array([0, 255, 10]));
  });
});

describe("decode errors and forward compatibility", () => {
  it("names the element path of a missing required member", () => {
    const xml = `<returnval ${VIM}><key>k</key><userName>u</userName><fullName>f</fullName><lastActiveTime>2020-01-01T00:00:00Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale></returnval>`;
    expect(() => deserialize("UserSession", xml)).toThrow(DecodeError);
    expect(() => deserialize("UserSession", xml)).toThrow(
      "cannot decode returnval: required element <loginTime> of UserSession is missing",
    );
    const nested = `<r ${VIM}><obj type="VirtualMachine">vm-1</obj><propSet><val>x</val></propSet></r>`;
    expect(() => deserialize("ObjectContent", nested)).toThrow(
      "cannot decode r/propSet: required element <name> of DynamicProperty is missing",
    );
  });

  it("names the element path of a bad value", () => {
    const xml = `<r ${VIM}><key type="VirtualMachine">vm-1</key><startOrder>first</startOrder><startDelay>1</startDelay><startAction>a</startAction><stopDelay>1</stopDelay><stopAction>s</stopAction><waitForHeartbeat>yes</waitForHeartbeat></r>`;
    expect(() => deserialize("AutoStartPowerInfo", xml)).toThrow(
      "cannot decode r/startOrder: 'first' is not an int",
    );
  });

  it("decodes an absent required list as empty (an absent required value stays an error)", () => {
    expect(deserialize("RetrieveResult", `<r ${VIM}></r>`)).toEqual({
      $type: "RetrieveResult",
      objects: [],
    });
  });

  it("keeps elements the schema does not know in $extra and writes them back after the known members", () => {
    const xml = `<r ${VIM} ${XSI} ${XSD}><key>k</key><newerField><deep>1</deep><deep>2</deep></newerField><userName>u</userName><fullName>f</fullName><loginTime>2020-01-01T00:00:00Z</loginTime><lastActiveTime>2020-01-01T00:00:00Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale><newerFlag xsi:type="xsd:boolean">true</newerFlag></r>`;
    const session = deserialize<{ userName: string; $extra?: Record<string, unknown> }>(
      "UserSession",
      xml,
    );
    expect(session.userName).toBe("u");
    expect(session.$extra).toEqual({ newerField: { deep: ["1", "2"] }, newerFlag: true });
    const again = serialize("UserSession", session);
    expect(again).toContain(
      '<messageLocale>en</messageLocale><newerField><deep>1</deep><deep>2</deep></newerField><newerFlag xsi:type="xsd:boolean">true</newerFlag></UserSession>',
    );
    expect(deserialize("UserSession", again)).toEqual(session);
  });

  it("keeps unknown elements named as objects' inherited members (toString, __proto__) as any other", () => {
    const xml = `<r ${VIM} ${XSI} ${XSD}><key>k</key><toString>a</toString><__proto__>b</__proto__><__proto__>c</__proto__><constructor><hasOwnProperty>1</hasOwnProperty><hasOwnProperty>2</hasOwnProperty><valueOf>3</valueOf></constructor><userName>u</userName><fullName>f</fullName><loginTime>2020-01-01T00:00:00Z</loginTime><lastActiveTime>2020-01-01T00:00:00Z</lastActiveTime><locale>en</locale><messageLocale>en</messageLocale></r>`;
    const session = deserialize<{ $extra: Record<string, unknown> }>("UserSession", xml);
    const extra = session.$extra;
    expect(Object.getPrototypeOf(extra)).toBe(Object.prototype);
    expect(Object.keys(extra)).toEqual(["toString", "__proto__", "constructor"]);
    expect(extra.toString).toBe("a");
    expect(Object.getOwnPropertyDescriptor(extra, "__proto__")?.value).toEqual(["b", "c"]);
    const inner = extra.constructor as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect({ ...inner }).toEqual({ hasOwnProperty: ["1", "2"], valueOf: "3" });
    expect(serialize("UserSession", session)).toContain(
      "<toString>a</toString><__proto__>b</__proto__><__proto__>c</__proto__><constructor><hasOwnProperty>1</hasOwnProperty><hasOwnProperty>2</hasOwnProperty><valueOf>3</valueOf></constructor>",
    );
  });

  it("refuses a property that is not a member of the type (a misspelt member is never dropped)", () => {
    expect(() => serialize("VirtualMachineConfigSpec", { memoryMb: 512n })).toThrow(
      "cannot serialize VirtualMachineConfigSpec.memoryMb: 'memoryMb' is not a member of VirtualMachineConfigSpec",
    );
  });

  it("keeps an unknown xsi:type as an untyped record, never as the declared type, and writes it back", () => {
    const xml = `<r ${VIM} ${XSI}><datastore type="Datastore">d</datastore><folderPath>[d]</folderPath>
      <file xsi:type="NvdimmFileInfo"><path>x.nvdimm</path><fileSize>5</fileSize><extra><a>1</a><a>2</a></extra></file></r>`;
    const r = deserialize<HostDatastoreBrowserSearchResults>(
      "HostDatastoreBrowserSearchResults",
      xml,
    );
    const file = r.file![0]!;
    expect(file).toEqual({
      $type: "NvdimmFileInfo",
      path: "x.nvdimm",
      fileSize: "5",
      extra: { a: ["1", "2"] },
    });
    expect(isType("FileInfo", file)).toBe(false);
    const again = serialize("HostDatastoreBrowserSearchResults", r);
    expect(again).toContain(
      '<file xsi:type="NvdimmFileInfo"><path>x.nvdimm</path><fileSize>5</fileSize><extra><a>1</a><a>2</a></extra></file>',
    );
    expect(deserialize("HostDatastoreBrowserSearchResults", again)).toEqual(r);
  });

  it("keeps enum values a newer server sends; refuses unknown ones on the way out", () => {
    expect(deserialize("VirtualMachinePowerState", `<x ${VIM}>poweredHalfway</x>`)).toBe(
      "poweredHalfway",
    );
    expect(() => serialize("VirtualMachinePowerState", "poweredOnn")).toThrow(
      'the string "poweredOnn" is not a VirtualMachinePowerState (one of: poweredOff, poweredOn, suspended)',
    );
  });

  it("refuses values of the wrong shape, naming the member", () => {
    expect(() => serialize("AboutInfo", aboutInfo({ version: undefined }))).toThrow(
      "cannot serialize AboutInfo.version: required member 'version' is missing",
    );
    expect(() => serialize("PropertySpec", { type: "VirtualMachine", pathSet: "name" })).toThrow(
      "cannot serialize PropertySpec.pathSet: expected an array",
    );
    expect(() =>
      serialize("PropertyFilterSpec", {
        propSet: [],
        objectSet: [{ obj: { type: "Folder", value: "f" } }],
      }),
    ).toThrow("cannot serialize PropertyFilterSpec.propSet: required list 'propSet' is empty");
    expect(() =>
      serialize("HostDatastoreBrowserSearchResults", {
        datastore: { type: "Datastore", value: "d" },
        file: [{ $type: "TaskInfo" }],
      }),
    ).toThrow("'TaskInfo' is not FileInfo or one of its subtypes");
  });
});

describe("faults", () => {
  it("decode as their type even when the server leaves out required members", () => {
    const xml = `<f ${VIM} ${XSI} xsi:type="NotAuthenticated"><privilegeId>System.View</privilegeId></f>`;
    expect(deserialize("MethodFault", xml)).toEqual({
      $type: "NotAuthenticated",
      privilegeId: "System.View",
    });
  });
});

describe("shared strings", () => {
  it("decode repeated and distinct strings and enum values exactly, however they share slots", () => {
    // Far more distinct names than the sharing table has slots (2,048), with repeated
    // property names, guest ids and enum values, one value a newer server might send.
    const count = 9000;
    const objects: string[] = [];
    for (let i = 0; i < count; i++) {
      const state = i % 3 === 0 ? "poweredOn" : i % 3 === 1 ? "poweredOff" : "hibernated";
      objects.push(
        `<objects><obj type="VirtualMachine">vm-${i}</obj>` +
          `<propSet><name>name</name><val xsi:type="xsd:string">VM number ${i}</val></propSet>` +
          `<propSet><name>runtime.powerState</name><val xsi:type="VirtualMachinePowerState">${state}</val></propSet>` +
          `<propSet><name>config.guestId</name><val xsi:type="xsd:string">otherGuest${i % 5}</val></propSet>` +
          `<propSet><name>runtime.host</name><val xsi:type="ManagedObjectReference" type="HostSystem">host-${i % 4}</val></propSet>` +
          `</objects>`,
      );
    }
    const xml = `<returnval ${VIM} ${XSI} ${XSD}>${objects.join("")}</returnval>`;
    const result = deserialize<{ objects: ObjectContent[] }>("RetrieveResult", xml);
    expect(result.objects).toHaveLength(count);
    result.objects.forEach((oc, i) => {
      const props = Object.fromEntries(oc.propSet!.map((p) => [p.name, p.val]));
      expect(props).toEqual({
        name: `VM number ${i}`,
        "runtime.powerState": ["poweredOn", "poweredOff", "hibernated"][i % 3],
        "config.guestId": `otherGuest${i % 5}`,
        "runtime.host": { type: "HostSystem", value: `host-${i % 4}` },
      });
    });
  });
});

describe("leaf values", () => {
  it("read the same whether parsed in place, kept or normalised, in any chunking", () => {
    const xml =
      `<r ${VIM}><host type="HostSystem">host-47</host>` +
      `<connectionState>connect&#101;d</connectionState>` +
      `<powerState>poweredHalfwayAroundTheWorld</powerState>` +
      `<toolsInstallerMounted>false</toolsInstallerMounted>` +
      `<bootTime>2026-11-24T23:52:20.614034388Z</bootTime>` +
      `<numMksConnections>12</numMksConnections>` +
      `<faultToleranceState>notConfigured</faultToleranceState></r>`;
    const expected = {
      $type: "VirtualMachineRuntimeInfo",
      host: { type: "HostSystem", value: "host-47" },
      connectionState: "connected",
      powerState: "poweredHalfwayAroundTheWorld",
      toolsInstallerMounted: false,
      bootTime: new Date(Date.UTC(2026, 10, 24, 23, 52, 20, 614)),
      numMksConnections: 12,
      faultToleranceState: "notConfigured",
    };
    const bytes = new TextEncoder().encode(xml);
    for (const size of [1, 3, 17, 64, bytes.length]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
      const decoded = decodeElement(VirtualMachineRuntimeInfoCodec, chunks, {
        registry: vimTypes,
        propertyTypes: vimPropertyTypes,
      });
      expect(decoded).toStrictEqual(expected);
    }
    expect(deserialize("VirtualMachineRuntimeInfo", xml)).toStrictEqual(expected);
  });
});

describe("fast paths agree with the general parsers", () => {
  it("enum values found by their bytes are the listed values found by text", () => {
    const state = defineEnum("State", ["on", "off", "onHold", "ärger"]);
    const at = (text: string) => {
      const bytes = Buffer.from(`<x>${text}</x>`, "latin1");
      return state.listedAt(bytes, 3, 3 + text.length);
    };
    for (const text of ["on", "off", "onHold"]) {
      expect(at(text)).toBe(state.listed(text));
      expect(at(text)).toBe(state.values.find((v) => v === text));
    }
    // Not trimmed, not a prefix, not listed: left to the text path.
    for (const text of [" on", "on ", "o", "onH0ld", "dim", ""]) expect(at(text)).toBeUndefined();
    // A value that is not ASCII is found by text only.
    expect(at("\u00e4rger")).toBeUndefined();
    expect(state.listed("ärger")).toBe("ärger");
  });

  it("dateTime: the common form read without a regular expression", () => {
    const pad = (n: number, w = 2) => String(n).padStart(w, "0");
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const zones = ["", "Z", "+02:30", "-05:00", "+14:00"];
    for (let i = 0; i < 2000; i++) {
      const text =
        `${pad(rnd(9999) + 1, 4)}-${pad(rnd(13))}-${pad(rnd(32))}T${pad(rnd(25))}:${pad(rnd(61))}:${pad(rnd(62))}` +
        (rnd(2) ? `.${String(rnd(10 ** 9)).slice(0, rnd(9) + 1)}` : "") +
        zones[rnd(zones.length)]!;
      const general = parseDateTimeGeneral(text);
      const fast = parseCommonDateTime(text);
      if (fast !== undefined) expect(general).toEqual(fast);
      const parsed = DateTimeCodec.parse(text);
      expect(parsed instanceof Date ? parsed.getTime() : "invalid").toEqual(
        general instanceof Date ? general.getTime() : "invalid",
      );
    }
  });

  it("long: short values without a regular expression, long ones exact", () => {
    const texts = [
      "0",
      "-0",
      "+42",
      "1023",
      "1024",
      "-1",
      "-123456789012345",
      "9223372036854775807",
      " 7 ",
    ];
    for (const text of [...texts, ...texts]) {
      expect(LongCodec.parse(text)).toBe(BigInt(text.trim()));
    }
    for (const bad of ["", "-", "1.5", "12a", "9223372036854775808"])
      expect(LongCodec.parse(bad)).toBeInstanceOf(InvalidText);
  });
});
