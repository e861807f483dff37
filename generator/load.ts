/** Reads every `*.input` file of a schema directory and runs parse + validate. */
import { readFileSync, readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { type Diagnostic, SchemaError, sortDiagnostics } from "./diagnostics.js";
import type { IrSchema } from "./ir.js";
import { type AstBlock, parseSchema } from "./parse.js";
import { validateSchema } from "./validate.js";

export interface SchemaSource {
  /** Path shown in diagnostics. */
  file: string;
  text: string;
}

export function readSchemaDir(dir: string, base = process.cwd()): SchemaSource[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(".input"))
    .sort()
    .map((f) => ({
      file: relative(base, join(dir, f)) || f,
      text: readFileSync(join(dir, f), "utf8"),
    }));
}

/** Parse and validate; throws SchemaError listing every problem. */
export function compileSchema(sources: SchemaSource[]): IrSchema {
  const blocks: AstBlock[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const s of sources) {
    const parsed = parseSchema(s.file, s.text);
    blocks.push(...parsed.blocks);
    diagnostics.push(...parsed.diagnostics);
  }
  const { ir, diagnostics: semantic } = validateSchema(blocks);
  diagnostics.push(...semantic);
  if (diagnostics.length > 0) throw new SchemaError(sortDiagnostics(diagnostics));
  return ir;
}
