import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { defaultOptions, generate } from "../generator/generate.js";
import { compileSchema, readSchemaDir } from "../generator/load.js";
import { OUTPUTS, renderSchema } from "../generator/render.js";
import { typecheckGenerated } from "../generator/typecheck.js";

const root = process.cwd();

describe("generator on a small schema", async () => {
  const ir = compileSchema(readSchemaDir("test/fixtures/small"));
  const files = await renderSchema(ir, join(root, "templates"), join(root, "package.json"));

  it("renders one module per template, and the codecs in modules under codecs/", () => {
    expect([...files.keys()].sort()).toEqual(
      [...Object.keys(OUTPUTS), "codecs/enums.ts", "codecs/data-01.ts"].sort(),
    );
    expect(files.get("codecs.ts")).toContain('export * from "./codecs/data-01.js";');
  });

  it.each([...files.keys()])("%s matches its snapshot", async (name) => {
    await expect(files.get(name)).toMatchFileSnapshot(`fixtures/small/generated/${name}.snap`);
  });

  it("type-checks (ts-morph, strict)", () => {
    // Checked in memory as if in generated/, where its runtime imports resolve; nothing is written.
    const diagnostics = typecheckGenerated(root, resolve("generated"), files);
    expect(diagnostics).toEqual([]);
  });

  it("is deterministic", async () => {
    const again = await renderSchema(ir, join(root, "templates"), join(root, "package.json"));
    expect(again).toEqual(files);
  });

  it("writes codecs that list members in wire order, base type named, whole order documented", () => {
    expect(files.get("codecs/data-01.ts")).toContain(
      [
        "/** Box on the wire: dynamicType, name, tag, sides, state, inner. */",
        "export const BoxCodec: ObjectCodec<T.Box> = /* @__PURE__ */ defineObject<T.Box>({",
        '  typeName: "Box",',
        "  base: () => ShapeCodec,",
        "  fields: () => [",
        '    field("sides", IntCodec, "rl"),',
        '    field("state", PowerStateCodec, "o"),',
        '    field("inner", ShapeCodec, "ol"),',
        "  ],",
        "});",
      ].join("\n"),
    );
  });
});

describe("generated/ for schema/", () => {
  it("is what schema/ + templates/ produce (generate --check) and type-checks", async () => {
    const result = await generate({ ...defaultOptions(root), check: true, typecheck: true });
    expect(result.typeErrors).toEqual([]);
    expect(result.changed).toEqual([]);
    expect(result.stale).toEqual([]);
    for (const [name, text] of result.files)
      expect(readFileSync(join(root, "generated", name), "utf8")).toBe(text);
  });

  it("generate --check fails naming the differing files", async () => {
    const result = await generate({
      ...defaultOptions(root),
      schemaDir: join(root, "test/fixtures/small"),
      check: true,
      typecheck: false,
    });
    // index.ts only re-exports, so it is the same for both schemas; the full schema's
    // other codec modules would be removed.
    expect(result.changed).toEqual(
      [...Object.keys(OUTPUTS), "codecs/enums.ts", "codecs/data-01.ts"]
        .filter((f) => f !== "index.ts")
        .map((f) => `generated/${f}`),
    );
    expect(result.stale).toContain("generated/codecs/data-24.ts");
  });
});
