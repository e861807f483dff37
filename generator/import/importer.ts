/**
 * WSDL + reference pages → DSL text. Every complex type becomes an object (extension
 * base → `extends`, sequence order kept, minOccurs/maxOccurs → occurrence), every
 * enumeration an enum, every operation a method; ArrayOfX wrappers are not types of
 * their own (lists are repeated elements; in anyType slots the runtime reads ArrayOfX).
 * Managed objects and typed references come from the reference pages. Anything that
 * cannot be mapped is an ImportError, never a silent guess.
 */
import type { ManagedObjectPage, PageType } from "./reference-pages.js";
import { ImportError } from "./errors.js";
import type { Wsdl, XsdElement } from "./wsdl.js";

const XSD_PRIMITIVES: Record<string, string> = {
  string: "String",
  boolean: "Boolean",
  byte: "Byte",
  short: "Short",
  int: "Int",
  long: "Long",
  float: "Float",
  double: "Double",
  dateTime: "DateTime",
  base64Binary: "Binary",
  anyType: "AnyType",
};

/**
 * The managed type each ServiceContent reference points to (a fact of the API; the
 * WSDL types them all as ManagedObjectReference).
 */
export const SERVICE_CONTENT_TYPES: Record<string, string> = {
  rootFolder: "Folder",
  propertyCollector: "PropertyCollector",
  viewManager: "ViewManager",
  setting: "OptionManager",
  userDirectory: "UserDirectory",
  sessionManager: "SessionManager",
  authorizationManager: "AuthorizationManager",
  serviceManager: "ServiceManager",
  perfManager: "PerformanceManager",
  scheduledTaskManager: "ScheduledTaskManager",
  alarmManager: "AlarmManager",
  eventManager: "EventManager",
  taskManager: "TaskManager",
  extensionManager: "ExtensionManager",
  customizationSpecManager: "CustomizationSpecManager",
  customFieldsManager: "CustomFieldsManager",
  accountManager: "HostLocalAccountManager",
  diagnosticManager: "DiagnosticManager",
  licenseManager: "LicenseManager",
  searchIndex: "SearchIndex",
  fileManager: "FileManager",
  datastoreNamespaceManager: "DatastoreNamespaceManager",
  virtualDiskManager: "VirtualDiskManager",
  virtualizationManager: "VirtualizationManager",
  snmpSystem: "HostSnmpSystem",
  vmProvisioningChecker: "VirtualMachineProvisioningChecker",
  vmCompatibilityChecker: "VirtualMachineCompatibilityChecker",
  ovfManager: "OvfManager",
  ipPoolManager: "IpPoolManager",
  dvSwitchManager: "DistributedVirtualSwitchManager",
  hostProfileManager: "HostProfileManager",
  clusterProfileManager: "ClusterProfileManager",
  complianceManager: "ProfileComplianceManager",
  localizationManager: "LocalizationManager",
  storageResourceManager: "StorageResourceManager",
  guestOperationsManager: "GuestOperationsManager",
};

/**
 * Managed types that also exist per host (or are containers), so a method on them is
 * not bound to the ServiceContent instance: the caller names the object.
 */
const NOT_BOUND = new Set([
  "Folder",
  "OptionManager",
  "LicenseManager",
  "HostLocalAccountManager",
  "HostSnmpSystem",
]);

export interface ImportCounts {
  dataObjects: number;
  faults: number;
  enums: number;
  enumValues: number;
  methods: number;
  boundMethods: number;
  managedObjects: number;
  managedProperties: number;
  arrayWrappers: number;
  enumListsAsStrings: number;
  typedReferences: number;
}

export interface ImportResult {
  files: Map<string, string>;
  counts: ImportCounts;
}

const occurrence = (min: number, max: number) => (min === 0 ? "o" : "r") + (max > 1 ? "l" : "");

function line(type: string, name: string, occ: string): string {
  return `    ${type.padEnd(40)} ${name.padEnd(32)} ${occ}`.trimEnd();
}

export function importSchema(
  wsdl: Wsdl,
  pages: ManagedObjectPage[],
  sourceLabel: string,
): ImportResult {
  const counts: ImportCounts = {
    dataObjects: 0,
    faults: 0,
    enums: wsdl.enums.size,
    enumValues: [...wsdl.enums.values()].reduce((n, v) => n + v.length, 0),
    methods: 0,
    boundMethods: 0,
    managedObjects: pages.length,
    managedProperties: 0,
    arrayWrappers: 0,
    enumListsAsStrings: 0,
    typedReferences: 0,
  };
  const requestTypes = new Set(wsdl.operations.map((o) => o.requestType));
  const dataTypes = new Map<string, { base?: string; elements: XsdElement[] }>();
  for (const ct of wsdl.complexTypes.values()) {
    if (ct.name.startsWith("ArrayOf")) {
      counts.arrayWrappers++;
      continue;
    }
    if (requestTypes.has(ct.name) || ct.name === "ManagedObjectReference") continue;
    if (ct.simpleContent)
      throw new ImportError(
        `${ct.file}: complexType ${ct.name} has simple content, which only ManagedObjectReference may have`,
      );
    dataTypes.set(ct.name, ct);
  }
  const managed = new Map(pages.map((p) => [p.name, p]));
  const isFault = (name: string): boolean => {
    for (let n: string | undefined = name; n; n = dataTypes.get(n)?.base)
      if (n === "MethodFault") return true;
    return false;
  };

  /** A WSDL element type → DSL type and occurrence, for `where`. */
  const mapType = (
    el: { type: string; xsd: boolean },
    occ: string,
    where: string,
    target?: string,
  ): [string, string] => {
    if (el.xsd) {
      const p = XSD_PRIMITIVES[el.type];
      if (!p) throw new ImportError(`${where}: XML Schema type xsd:${el.type} has no mapping`);
      return [p, occ];
    }
    if (el.type === "ManagedObjectReference") {
      if (target && managed.has(target)) {
        counts.typedReferences++;
        return [target, occ];
      }
      return ["ManagedObjectReference", occ];
    }
    if (wsdl.enums.has(el.type)) {
      if (occ.endsWith("l")) {
        // Enum lists travel as repeated plain strings; the DSL has no enum lists.
        counts.enumListsAsStrings++;
        return ["String", occ];
      }
      return [el.type, occ];
    }
    if (dataTypes.has(el.type)) return [el.type, occ];
    throw new ImportError(`${where}: unknown type ${el.type}`);
  };

  // Data objects and faults, in name order.
  const objects: string[] = [];
  const faults: string[] = [];
  for (const name of [...dataTypes.keys()].sort()) {
    const t = dataTypes.get(name)!;
    if (t.base && !dataTypes.has(t.base))
      throw new ImportError(`complexType ${name}: unknown base ${t.base}`);
    const lines = [`object ${name}${t.base ? ` extends ${t.base}` : ""}`];
    for (const e of t.elements) {
      const target = name === "ServiceContent" ? SERVICE_CONTENT_TYPES[e.name] : undefined;
      const [type, occ] = mapType(e, occurrence(e.min, e.max), `${name}.${e.name}`, target);
      lines.push(line(type, e.name, occ));
    }
    lines.push("end", "");
    if (isFault(name)) {
      faults.push(...lines);
      counts.faults++;
    } else {
      objects.push(...lines);
      counts.dataObjects++;
    }
  }
  for (const member of Object.keys(SERVICE_CONTENT_TYPES)) {
    if (!dataTypes.get("ServiceContent")?.elements.some((e) => e.name === member)) {
      throw new ImportError(`ServiceContent has no member ${member}`);
    }
  }

  // Enums, in name order, values in WSDL order.
  const enums: string[] = [];
  for (const name of [...wsdl.enums.keys()].sort()) {
    enums.push(`enum ${name}`, ...wsdl.enums.get(name)!.map((v) => `    ${v}`), "end", "");
  }

  // Managed objects from the reference pages.
  const mos: string[] = [];
  const declaredIn = (typeName: string, prop: string): boolean => {
    for (let p = managed.get(typeName); p; p = p.base ? managed.get(p.base) : undefined) {
      if (p.properties.some((x) => x.name === prop)) return true;
    }
    return false;
  };
  const pageType = (t: PageType, optional: boolean, where: string): [string, string] => {
    const occ = (optional ? "o" : "r") + (t.array ? "l" : "");
    const xsd = t.type.startsWith("xsd:");
    return mapType({ type: xsd ? t.type.slice(4) : t.type, xsd }, occ, where, t.target);
  };
  for (const page of [...pages].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (page.base && !managed.has(page.base))
      throw new ImportError(`${page.file}: ${page.name} extends unknown managed type ${page.base}`);
    const lines = [`managed object ${page.name}${page.base ? ` extends ${page.base}` : ""}`];
    for (const p of page.properties) {
      if (page.base && declaredIn(page.base, p.name)) continue; // redeclared from a base
      const [type, occ] = pageType(p, p.optional, `${page.file}: ${page.name}.${p.name}`);
      lines.push(line(type, p.name, occ));
      counts.managedProperties++;
    }
    mos.push(...lines, "end", "");
  }

  // Methods: parameters from the request type, typed references from the pages.
  const owner = new Map<
    string,
    { page: ManagedObjectPage; method: ManagedObjectPage["methods"][number] }
  >();
  for (const page of pages) for (const m of page.methods) owner.set(m.name, { page, method: m });
  const bindingOf = new Map<string, string>();
  const byType = new Map<string, string[]>();
  for (const [member, type] of Object.entries(SERVICE_CONTENT_TYPES))
    byType.set(type, [...(byType.get(type) ?? []), member]);
  for (const [type, members] of byType)
    if (members.length === 1 && !NOT_BOUND.has(type)) bindingOf.set(type, members[0]!);

  const methods: string[] = [];
  for (const op of [...wsdl.operations].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const request = wsdl.complexTypes.get(op.requestType);
    if (!request)
      throw new ImportError(`operation ${op.name}: unknown request type ${op.requestType}`);
    const found = owner.get(op.name);
    if (!found) throw new ImportError(`operation ${op.name} is on no managed object page`);
    let header = `method ${op.name}`;
    if (op.returns) {
      const [type, occ] = mapType(
        op.returns,
        occurrence(op.returns.min, op.returns.max),
        `${op.name} return`,
        found.method.returns?.target,
      );
      header += ` returns ${type} ${occ}`;
    }
    const faultNames = op.faults.filter((f) => {
      if (!dataTypes.has(f)) throw new ImportError(`operation ${op.name}: unknown fault ${f}`);
      return true;
    });
    if (faultNames.length) header += ` faults ${faultNames.join(" ")}`;
    const lines = [header];
    const [self, ...params] = request.elements;
    if (self?.name !== "_this")
      throw new ImportError(`operation ${op.name}: the request does not start with _this`);
    const binding = bindingOf.get(found.page.name);
    if (binding) counts.boundMethods++;
    lines.push(line(found.page.name, binding ? `_this:${binding}` : "_this", "r"));
    for (const p of params) {
      const target = found.method.params.get(p.name)?.target;
      const [type, occ] = mapType(p, occurrence(p.min, p.max), `${op.name}(${p.name})`, target);
      lines.push(line(type, p.name, occ));
    }
    methods.push(...lines, "end", "");
    counts.methods++;
  }

  const banner = (what: string) =>
    `# esx-vi schema: ${what}.\n# Imported from ${sourceLabel} by \`esx-vi-gen import-wsdl\`. Do not edit: run \`npm run import-wsdl\`.\n# Grammar: see README.md, 'The schema DSL'.\n\n`;
  const files = new Map<string, string>([
    ["enums.input", banner("every enumeration, values in WSDL order") + enums.join("\n")],
    [
      "types.input",
      banner("every data object; members in WSDL sequence order") + objects.join("\n"),
    ],
    ["faults.input", banner("every fault (the MethodFault hierarchy)") + faults.join("\n")],
    [
      "managed.input",
      banner("every managed object with its properties, from the API reference pages") +
        mos.join("\n"),
    ],
    ["methods.input", banner("every operation") + methods.join("\n")],
  ]);
  return { files, counts };
}
