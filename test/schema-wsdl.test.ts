/**
 * The hand-curated schema against the vSphere 5.5 WSDL it describes: every data object,
 * enum and method must agree with ../shared/vsphere (order, occurrence, types, values).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { readSchemaDir } from "../generator/load.js";
import { type AstEnum, type AstMethod, type AstObject, parseSchema } from "../generator/parse.js";

const WSDL_DIR = join(process.cwd(), "../shared/vsphere/vim25-5.5/wsdl");

interface XsdElement {
  name: string;
  type: string;
  min: string;
  max: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: false,
  isArray: (name) =>
    ["complexType", "simpleType", "element", "enumeration", "operation", "fault"].includes(name),
});

function elementsOf(node: any): XsdElement[] {
  const out: XsdElement[] = [];
  const walk = (n: any) => {
    if (!n || typeof n !== "object") return;
    for (const [k, v] of Object.entries(n)) {
      if (k === "element") {
        for (const e of v as any[])
          out.push({
            name: e.name,
            type: e.type,
            min: e.minOccurs ?? "1",
            max: e.maxOccurs ?? "1",
          });
      } else if (typeof v === "object") walk(v);
    }
  };
  walk(node);
  return out;
}

const complexTypes = new Map<string, { base?: string; elements: XsdElement[] }>();
const enums = new Map<string, string[]>();
for (const file of [
  "core-types.xsd",
  "query-types.xsd",
  "reflect-types.xsd",
  "vim-types.xsd",
  "vim-messagetypes.xsd",
  "query-messagetypes.xsd",
  "reflect-messagetypes.xsd",
]) {
  const doc = parser.parse(readFileSync(join(WSDL_DIR, file), "utf8")).schema;
  for (const ct of doc.complexType ?? []) {
    const ext = ct.complexContent?.extension;
    complexTypes.set(ct.name, { base: ext?.base?.split(":")[1], elements: elementsOf(ext ?? ct) });
  }
  for (const st of doc.simpleType ?? [])
    enums.set(
      st.name,
      (st.restriction?.enumeration ?? []).map((e: any) => e.value),
    );
}
const wsdlText = readFileSync(join(WSDL_DIR, "vim.wsdl"), "utf8");
const wsdl = parser.parse(wsdlText).definitions;
const wsdlElements = new Map<string, any>();
for (const e of wsdl.types.schema.element) wsdlElements.set(e.name, e);
const operations = new Map<string, any>();
for (const op of wsdl.portType.operation) operations.set(op.name, op);
const messageElement = new Map<string, string>();
for (const m of wsdl.message)
  messageElement.set(m.name, String(m.part.element ?? m.part[0]?.element).split(":")[1]!);
/** A declared fault's type: fault → message → element → the element's type. */
const faultType = (f: any) =>
  String(wsdlElements.get(messageElement.get(String(f.message).split(":")[1]!)!).type).split(
    ":",
  )[1]!;

const PRIMITIVE_WIRE: Record<string, string> = {
  "xsd:string": "String",
  "xsd:boolean": "Boolean",
  "xsd:int": "Int",
  "xsd:long": "Long",
  "xsd:short": "Short",
  "xsd:byte": "Byte",
  "xsd:float": "Float",
  "xsd:double": "Double",
  "xsd:dateTime": "DateTime",
  "xsd:base64Binary": "Binary",
  "xsd:anyType": "AnyType",
};

function load(dir: string) {
  const blocks = readSchemaDir(dir).flatMap((s) => parseSchema(s.file, s.text).blocks);
  return {
    blocks,
    objects: blocks.filter((b): b is AstObject => b.kind === "object" && !b.managed),
    managed: new Set(
      blocks
        .filter((b): b is AstObject => b.kind === "object" && b.managed)
        .map((b) => b.name.text),
    ),
    enums: blocks.filter((b): b is AstEnum => b.kind === "enum"),
    methods: blocks.filter((b): b is AstMethod => b.kind === "method"),
  };
}
/** The schema being checked; sameType reads its managed types. */
let managed = new Set<string>();

const occurrence = (min: string, max: string) =>
  (min === "0" ? "o" : "r") + (max === "unbounded" ? "l" : "");

/**
 * Does a schema type name stand for this WSDL type? Managed types are typed references;
 * an enum list travels as repeated strings (the DSL has no enum lists).
 */
function sameType(schemaType: string, wireType: string, list = false): boolean {
  if (PRIMITIVE_WIRE[wireType]) return PRIMITIVE_WIRE[wireType] === schemaType;
  if (list && enums.has(wireType.split(":")[1]!) && schemaType === "String") return true;
  const local = wireType.split(":")[1]!;
  if (local === "ManagedObjectReference")
    return schemaType === "ManagedObjectReference" || managed.has(schemaType);
  return local === schemaType;
}

describe.each(["schema", "test/fixtures/libvirt-schema"])(
  "%s agrees with the vSphere 5.5 WSDL",
  (dir) => {
    const { objects, enums: schemaEnums, methods, managed: managedTypes } = load(dir);
    beforeAll(() => {
      managed = managedTypes;
    });
    it.each(objects.map((o) => [o.name.text, o] as const))(
      "data object %s: base, member order, occurrences, types",
      (name, o) => {
        const xsd = complexTypes.get(name);
        expect(xsd, `${name} is not in the WSDL`).toBeDefined();
        expect(o.base?.text).toBe(xsd!.base);
        expect(o.members.map((m) => m.name.text)).toEqual(xsd!.elements.map((e) => e.name));
        o.members.forEach((m, i) => {
          if (m.occurrence === "i") return;
          const e = xsd!.elements[i]!;
          expect(`${name}.${m.name.text}:${m.occurrence}`).toBe(
            `${name}.${e.name}:${occurrence(e.min, e.max)}`,
          );
          expect(
            sameType(m.type.text, e.type, e.max === "unbounded"),
            `${name}.${m.name.text}: ${m.type.text} vs ${e.type}`,
          ).toBe(true);
        });
      },
    );

    it.each(schemaEnums.map((e) => [e.name.text, e] as const))(
      "enum %s has all its values, in order",
      (name, e) => {
        expect(e.values.map((v) => v.text)).toEqual(enums.get(name));
      },
    );

    it.each(methods.map((m) => [m.name.text, m] as const))(
      "method %s: parameters, return, faults",
      (name, m) => {
        const request = complexTypes.get(wsdlElements.get(name).type.split(":")[1]);
        expect(m.params.map((p) => p.name.text)).toEqual(request!.elements.map((e) => e.name));
        m.params.forEach((p, i) => {
          const e = request!.elements[i]!;
          expect(`${p.name.text}:${p.occurrence}`).toBe(`${e.name}:${occurrence(e.min, e.max)}`);
          expect(
            sameType(p.type.text, e.type, e.max === "unbounded"),
            `${name}.${p.name.text}: ${p.type.text} vs ${e.type}`,
          ).toBe(true);
        });
        const response = elementsOf(wsdlElements.get(`${name}Response`));
        if (response.length === 0) expect(m.returns).toBeUndefined();
        else {
          expect(m.returns?.occurrence).toBe(occurrence(response[0]!.min, response[0]!.max));
          expect(
            sameType(m.returns!.type.text, response[0]!.type, response[0]!.max === "unbounded"),
          ).toBe(true);
        }
        const declared = (operations.get(name).fault ?? []).map(faultType);
        for (const f of m.faults) expect(declared).toContain(f.text);
      },
    );
  },
);

describe.each(["schema", "test/fixtures/libvirt-schema"])(
  "%s covers libvirt's 2018 input and what a modern runtime needs",
  (dir) => {
    const names = new Set(load(dir).blocks.map((b) => b.name.text));
    it.each([
      // libvirt's 10 enums
      "AutoStartWaitHeartbeatSetting ManagedEntityStatus ObjectUpdateKind PerfStatsType PerfSummaryType PropertyChangeOp SharesLevel TaskInfoState VirtualMachineMovePriority VirtualMachinePowerState",
      // libvirt's 5 managed objects, plus the listing types
      "ManagedEntity ComputeResource Datacenter Folder HostSystem VirtualMachine Datastore Network ResourcePool ClusterComputeResource Task",
      // libvirt's 41 methods and RetrieveServiceContent
      "AddPortGroup AddVirtualSwitch AnswerVM CancelTask CopyVirtualDisk_Task CreateFilter CreateSnapshot_Task CreateVirtualDisk_Task DeleteVirtualDisk_Task DestroyPropertyFilter FindByIp FindByUuid Login Logout MakeDirectory MigrateVM_Task PowerOffVM_Task PowerOnVM_Task QueryAvailablePerfMetric QueryPerf QueryPerfCounter QueryVirtualDiskUuid RebootGuest ReconfigVM_Task ReconfigureAutostart RefreshDatastore RegisterVM_Task RemovePortGroup RemoveSnapshot_Task RemoveVirtualSwitch RescanHba RetrieveProperties RevertToSnapshot_Task SearchDatastoreSubFolders_Task SearchDatastore_Task SessionIsActive ShutdownGuest SuspendVM_Task UnregisterVM WaitForUpdates ZeroFillVirtualDisk_Task RetrieveServiceContent ValidateMigration",
      // the modern runtime's methods
      "RetrievePropertiesEx ContinueRetrievePropertiesEx CancelRetrievePropertiesEx WaitForUpdatesEx CreatePropertyCollector DestroyPropertyCollector CreateContainerView DestroyView CurrentTime SessionIsActive TerminateSession",
      // data objects libvirt's runtime and drivers read, and the tasks/fault types
      "AboutInfo ServiceContent UserSession DynamicProperty ObjectContent ObjectSpec ObjectUpdate PropertyChange PropertyFilterSpec PropertyFilterUpdate PropertySpec SelectionSpec TraversalSpec UpdateSet TaskInfo LocalizedMethodFault VirtualMachineQuestionInfo ChoiceOption ElementDescription HostDatastoreBrowserSearchResults FileInfo VmDiskFileInfo HostVirtualSwitch HostPortGroup PhysicalNic HostInternetScsiHba HostScsiDisk VirtualMachineSnapshotTree VirtualMachineConfigSpec",
      "MethodFault NotAuthenticated InvalidLogin InvalidArgument ManagedObjectNotFound InvalidState TaskInProgress FileNotFound",
    ])("%s", (list) => {
      expect(list.split(" ").filter((n) => !names.has(n))).toEqual([]);
    });
  },
);
