/**
 * Reading a vim25 WSDL with the XSDs it includes and imports, from a directory or a
 * server (`https://host/sdk/vimService.wsdl`). fast-xml-parser fits here: these are
 * small trees read once, not the hot path.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { HttpTransport } from "../../runtime/http/transport.js";
import { ImportError } from "./errors.js";

export interface XsdElement {
  name: string;
  /** Local name of the type (prefix dropped), and whether it is an XML Schema type. */
  type: string;
  xsd: boolean;
  min: number;
  /** Infinity for unbounded. */
  max: number;
}

export interface XsdComplexType {
  name: string;
  base?: string;
  elements: XsdElement[];
  file: string;
  simpleContent: boolean;
}

export interface WsdlOperation {
  name: string;
  /** The request element's type (its sequence gives the parameters). */
  requestType: string;
  /** The response's `returnval`, when there is one. */
  returns?: XsdElement;
  faults: string[];
}

export interface Wsdl {
  complexTypes: Map<string, XsdComplexType>;
  enums: Map<string, string[]>;
  operations: WsdlOperation[];
  source: string;
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "",
  removeNSPrefix: true,
  processEntities: false,
  isArray: (name, _path, _leaf, isAttribute) =>
    !isAttribute &&
    [
      "complexType",
      "simpleType",
      "element",
      "enumeration",
      "operation",
      "fault",
      "include",
      "import",
      "message",
      "part",
      "schema",
    ].includes(name),
});

type Fetch = (location: string) => Promise<string>;

function localOf(qname: string): { local: string; xsd: boolean } {
  const [prefix, local] = qname.includes(":") ? qname.split(":", 2) : ["", qname];
  return { local: local!, xsd: prefix === "xsd" || prefix === "xs" };
}

function elementOf(e: any, where: string): XsdElement {
  if (!e.name || !e.type)
    throw new ImportError(
      `${where}: an element without name or type (anonymous types are not supported)`,
    );
  const { local, xsd } = localOf(e.type);
  const max = e.maxOccurs === "unbounded" ? Infinity : Number(e.maxOccurs ?? 1);
  return { name: e.name, type: local, xsd, min: Number(e.minOccurs ?? 1), max };
}

function sequenceOf(node: any, where: string): XsdElement[] {
  if (!node) return [];
  if (node.choice || node.all)
    throw new ImportError(`${where}: <choice>/<all> cannot be mapped to a member sequence`);
  return (node.sequence?.element ?? []).map((e: any) => elementOf(e, where));
}

/** Load a WSDL (a directory holding vimService.wsdl or vim.wsdl, a file, or a URL) and everything it pulls in. */
export async function loadWsdl(
  source: string,
  options: { insecure?: boolean } = {},
): Promise<Wsdl> {
  let root: string;
  let fetchText: Fetch;
  if (/^https?:\/\//.test(source)) {
    const url = new URL(source);
    const transport = new HttpTransport(url.origin, { tls: { verify: !options.insecure } });
    fetchText = async (location) => {
      const target = new URL(location, url);
      const res = await transport.request({
        method: "GET",
        path: target.pathname + target.search,
        what: `download of ${target.href}`,
      });
      const chunks: Buffer[] = [];
      for await (const c of res.body) chunks.push(c);
      if (res.status !== 200) throw new ImportError(`${target.href}: HTTP ${res.status}`);
      return Buffer.concat(chunks).toString("utf8");
    };
    root = url.pathname.split("/").pop()!;
    try {
      return await parseAll(root, (loc) => fetchText(new URL(loc, url).pathname), source);
    } finally {
      transport.close();
    }
  }
  let dir = source;
  if (existsSync(source) && statSync(source).isFile()) {
    dir = join(source, "..");
    root = source.split("/").pop()!;
  } else {
    root = existsSync(join(source, "vimService.wsdl")) ? "vimService.wsdl" : "vim.wsdl";
  }
  if (!existsSync(join(dir, root))) throw new ImportError(`no ${root} in ${dir}`);
  fetchText = async (location) => readFileSync(join(dir, location), "utf8");
  return parseAll(root, fetchText, source);
}

async function parseAll(root: string, fetchText: Fetch, source: string): Promise<Wsdl> {
  const complexTypes = new Map<string, XsdComplexType>();
  const enums = new Map<string, string[]>();
  const topElements = new Map<string, any>();
  const operations: WsdlOperation[] = [];
  const seen = new Set<string>();

  const loadSchema = async (schema: any, file: string) => {
    for (const inc of [...(schema.include ?? []), ...(schema.import ?? [])]) {
      if (inc.schemaLocation) await loadXsd(inc.schemaLocation);
    }
    for (const ct of schema.complexType ?? []) {
      const ext = ct.complexContent?.extension;
      const simple = ct.simpleContent !== undefined;
      complexTypes.set(ct.name, {
        name: ct.name,
        base: ext?.base ? localOf(ext.base).local : undefined,
        elements: simple ? [] : sequenceOf(ext ?? ct, `${file}: complexType ${ct.name}`),
        file,
        simpleContent: simple,
      });
    }
    for (const st of schema.simpleType ?? []) {
      const values = (st.restriction?.enumeration ?? []).map((e: any) => String(e.value));
      if (values.length === 0)
        throw new ImportError(`${file}: simpleType ${st.name} is not an enumeration`);
      enums.set(st.name, values);
    }
    for (const el of schema.element ?? []) topElements.set(el.name, el);
  };
  const loadXsd = async (location: string) => {
    if (seen.has(location)) return;
    seen.add(location);
    const doc = parser.parse(await fetchText(location));
    for (const schema of doc.schema ?? []) await loadSchema(schema, location);
  };
  const loadWsdlFile = async (location: string): Promise<any> => {
    if (seen.has(location)) return undefined;
    seen.add(location);
    const defs = parser.parse(await fetchText(location)).definitions;
    if (!defs) throw new ImportError(`${location} is not a WSDL document`);
    for (const imp of defs.import ?? []) {
      if (imp.location) {
        const inner = await loadWsdlFile(imp.location);
        if (inner?.portType) return inner;
      }
    }
    for (const schema of defs.types?.schema ?? []) await loadSchema(schema, location);
    return defs;
  };

  const defs = await loadWsdlFile(root);
  if (!defs?.portType) throw new ImportError(`${root}: no portType found`);
  const messages = new Map<string, string>();
  for (const m of defs.message ?? [])
    messages.set(m.name, localOf(m.part?.[0]?.element ?? "").local);
  const portType = Array.isArray(defs.portType) ? defs.portType[0] : defs.portType;
  for (const op of portType.operation ?? []) {
    const inputElement = messages.get(localOf(op.input.message).local);
    const outputElement = messages.get(localOf(op.output.message).local);
    const request = inputElement ? topElements.get(inputElement) : undefined;
    if (!request?.type) throw new ImportError(`operation ${op.name}: no request element`);
    const response = outputElement ? topElements.get(outputElement) : undefined;
    if (!response) throw new ImportError(`operation ${op.name}: no response element`);
    const inline = Array.isArray(response.complexType)
      ? response.complexType[0]
      : response.complexType;
    const returnval = sequenceOf(inline, `${op.name}Response`);
    if (returnval.length > 1 || (returnval[0] && returnval[0].name !== "returnval")) {
      throw new ImportError(`operation ${op.name}: response is not a single returnval`);
    }
    operations.push({
      name: op.name,
      requestType: localOf(request.type).local,
      returns: returnval[0],
      // fault → message → element → its type (RuntimeFault's element is RuntimeFaultFault).
      faults: (op.fault ?? []).map((f: any) => {
        const element = topElements.get(messages.get(localOf(f.message).local) ?? "");
        if (!element?.type)
          throw new ImportError(`operation ${op.name}: fault ${f.name} has no typed element`);
        return localOf(element.type).local;
      }),
    });
  }
  return { complexTypes, enums, operations, source };
}
