/**
 * The generated SDK covers the whole vim25 5.5 API: every operation has a method stub,
 * every complex type a codec, every enum all its values, every managed-object page its
 * properties. Read straight from ../shared/vsphere with regular expressions, independently
 * of the importer.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import * as sdk from "../index.js";
import { managedTypes, vimTypes, type ManagedTypeInfo } from "../index.js";

const root = join(process.cwd(), "../shared/vsphere/vim25-5.5");
const wsdl = readFileSync(join(root, "wsdl/vim.wsdl"), "utf8");
const portType = wsdl.slice(wsdl.indexOf("<portType"), wsdl.indexOf("</portType>"));
const operations = [...portType.matchAll(/<operation name="(\w+)"/g)].map((m) => m[1]!);
const xsd = ["core-types.xsd", "query-types.xsd", "reflect-types.xsd", "vim-types.xsd"]
  .map((f) => readFileSync(join(root, "wsdl", f), "utf8"))
  .join("\n");
const complexTypes = [...xsd.matchAll(/<complexType name="(\w+)"/g)]
  .map((m) => m[1]!)
  .filter((n) => !n.startsWith("ArrayOf") && n !== "ManagedObjectReference");
const enumValues = new Map<string, string[]>();
for (const m of xsd.matchAll(/<simpleType name="(\w+)">([\s\S]*?)<\/simpleType>/g)) {
  enumValues.set(
    m[1]!,
    [...m[2]!.matchAll(/<enumeration value="([^"]*)"/g)].map((v) => v[1]!),
  );
}
const pages = readdirSync(join(root, "managed-objects")).map((f) => {
  const html = readFileSync(join(root, "managed-objects", f), "utf8");
  const name = /Managed Object -\s*([A-Za-z]+)<\/h1>/.exec(html)![1]!;
  const start = html.indexOf('<p class="table-title">Properties</p>');
  const table = start < 0 ? "" : html.slice(start, html.indexOf("</table>", start));
  return { name, properties: [...table.matchAll(/<strong>(\w+)<\/strong>/g)].map((m) => m[1]!) };
});

function allProperties(info: ManagedTypeInfo): string[] {
  const out: string[] = [];
  for (let i: ManagedTypeInfo | undefined = info; i; i = i.base?.())
    out.push(...i.properties().map((p) => p.name));
  return out;
}

describe("the generated SDK covers the vim25 5.5 API", () => {
  it(`every operation of vim.wsdl (${operations.length}) has a method stub`, () => {
    expect(operations.length).toBe(615);
    const missing = operations.filter(
      (op) => typeof (sdk as Record<string, unknown>)[op] !== "function",
    );
    expect(missing).toEqual([]);
  });

  it(`every complex type (${complexTypes.length}, without ArrayOfX wrappers) has a codec`, () => {
    expect(complexTypes.length).toBe(2381);
    expect(complexTypes.filter((t) => vimTypes.get(t)?.kind !== "object")).toEqual([]);
  });

  it(`every enum (${enumValues.size}) has all its values`, () => {
    expect(enumValues.size).toBe(261);
    for (const [name, values] of enumValues) {
      const codec = vimTypes.get(name);
      expect(codec?.kind === "enum" ? codec.values : undefined, name).toEqual(values);
    }
  });

  it(`every managed-object page (${pages.length}) has its properties`, () => {
    expect(pages.length).toBe(111);
    for (const page of pages) {
      const info = managedTypes.get(page.name);
      expect(info, page.name).toBeDefined();
      expect(allProperties(info!).sort(), page.name).toEqual(
        expect.arrayContaining(page.properties),
      );
    }
  });

  it("types references by their target: VirtualMachine.datastore is Datastore[], PowerOnVM_Task returns a Task", () => {
    const datastore = managedTypes
      .get("VirtualMachine")!
      .properties()
      .find((p) => p.name === "datastore")!;
    expect([datastore.codec.kind, datastore.list]).toEqual(["moref", true]);
    // Type level: a compile-time check that these are typed references.
    const ds: sdk.VirtualMachineProperties["datastore"] = [{ type: "Datastore", value: "ds-1" }];
    const task: Awaited<ReturnType<typeof sdk.PowerOnVM_Task>> = { type: "Task", value: "task-1" };
    expect([ds[0]!.type, task.type]).toEqual(["Datastore", "Task"]);
  });
});
