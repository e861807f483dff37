/**
 * Structural facts from the vSphere API reference pages of managed objects (the WSDL
 * does not describe managed objects): name, base, properties (type, array, optional,
 * the managed type a reference points to) and the methods each type defines, with the
 * managed types their reference parameters and return values point to. Prose is never
 * taken.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ImportError } from "./errors.js";

export interface PageType {
  /** Type name as on the wire (`ManagedObjectReference`, `xsd:int`, `DatastoreHostMount`). */
  type: string;
  array: boolean;
  /** For references: the managed type pointed to. */
  target?: string;
}

export interface PageProperty extends PageType {
  name: string;
  optional: boolean;
}

export interface PageMethod {
  name: string;
  params: Map<string, PageType>;
  returns?: PageType;
}

export interface ManagedObjectPage {
  name: string;
  base?: string;
  properties: PageProperty[];
  methods: PageMethod[];
  file: string;
}

const strip = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replace(/\s+/g, " ")
    .trim();

/** `<a …>Type[]</a><br> to a <a …>Target[]</a>` or `xsd:int` → PageType. */
function typeCell(cell: string, where: string): PageType {
  const text = strip(cell);
  const m = /^([\w:]+)(\[\])?(?: to an? (\w+)(\[\])?)?$/.exec(text);
  if (!m) throw new ImportError(`${where}: cannot read the type '${text}'`);
  return { type: m[1]!, array: m[2] !== undefined, target: m[3] };
}

export function readReferencePages(dir: string): ManagedObjectPage[] {
  const pages: ManagedObjectPage[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith(".html"))
    .sort()) {
    const html = readFileSync(join(dir, file), "utf8");
    const title = /Managed Object -\s*([A-Za-z]+)<\/h1>/.exec(html);
    if (!title) throw new ImportError(`${file}: not a managed object page`);
    const name = title[1]!;
    const base = /<dt>Extends<\/dt>\s*<dd>\s*<a [^>]*>([A-Za-z]+)<\/a>/.exec(html)?.[1];

    const properties: PageProperty[] = [];
    const propStart = html.indexOf('<p class="table-title">Properties</p>');
    if (propStart >= 0) {
      const table = html.slice(propStart, html.indexOf("</table>", propStart));
      for (const row of table.matchAll(/<tr class="r\d">([\s\S]*?)<\/tr>/g)) {
        const m =
          /<strong>(\w+)<\/strong>(<span title="May not be present")?[\s\S]*?<\/td>\s*<td>([\s\S]*?)<\/td>/.exec(
            row[1]!,
          );
        if (!m) continue; // "Properties inherited from …" rows
        properties.push({
          name: m[1]!,
          optional: m[2] !== undefined,
          ...typeCell(m[3]!, `${file}: property ${m[1]}`),
        });
      }
    }

    const methods: PageMethod[] = [];
    const listStart = html.indexOf("Methods defined in this Managed Object");
    const listRow =
      listStart >= 0 ? /<tr class="r0">\s*<td>([\s\S]*?)<\/td>/.exec(html.slice(listStart)) : null;
    const methodNames = listRow ? [...listRow[1]!.matchAll(/>(\w+)<\/a>/g)].map((m) => m[1]!) : [];
    for (const methodName of methodNames) {
      const at = html.indexOf(`<h1>${methodName}</h1>`);
      if (at < 0)
        throw new ImportError(`${file}: method ${methodName} is listed but not described`);
      const next = html.indexOf("<h1>", at + 4);
      const section = html.slice(at, next < 0 ? undefined : next);
      const params = new Map<string, PageType>();
      const pStart = section.indexOf("Parameters");
      if (pStart >= 0) {
        const table = section.slice(pStart, section.indexOf("</table>", pStart));
        for (const row of table.matchAll(/<tr class="r\d">([\s\S]*?)<\/tr>/g)) {
          const m = /<strong>(\w+)<\/strong>[\s\S]*?<\/td>\s*<td>([\s\S]*?)<\/td>/.exec(row[1]!);
          if (m && m[1] !== "_this")
            params.set(m[1]!, typeCell(m[2]!, `${file}: ${methodName}(${m[1]})`));
        }
      }
      let returns: PageType | undefined;
      const rStart = section.indexOf("Return Value");
      if (rStart >= 0) {
        const cell = /<tr>\s*<td[^>]*>([\s\S]*?)<\/td>/.exec(section.slice(rStart));
        if (cell && strip(cell[1]!) !== "None")
          returns = typeCell(cell[1]!, `${file}: ${methodName} return`);
      }
      methods.push({ name: methodName, params, returns });
    }
    pages.push({ name, base, properties, methods, file });
  }
  return pages;
}
