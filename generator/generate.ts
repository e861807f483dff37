/** The whole pipeline: schema/ → parse → IR → render → generated/ (or a check of it). */
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import type { IrSchema } from "./ir.js";
import { compileSchema, readSchemaDir } from "./load.js";
import { renderSchema } from "./render.js";
import { type TypeDiagnostic, typecheckGenerated } from "./typecheck.js";

export interface GenerateOptions {
  root: string;
  schemaDir: string;
  outDir: string;
  templatesDir: string;
  check: boolean;
  typecheck: boolean;
}

export interface GenerateResult {
  ir: IrSchema;
  files: Map<string, string>;
  /** Files that differ from what is on disk (check mode) or were written. */
  changed: string[];
  /** Files on disk in outDir that generation would not produce. */
  stale: string[];
  typeErrors: TypeDiagnostic[];
}

export function defaultOptions(root = process.cwd()): GenerateOptions {
  return {
    root,
    schemaDir: join(root, "schema"),
    outDir: join(root, "generated"),
    templatesDir: join(root, "templates"),
    check: false,
    typecheck: true,
  };
}

export async function generate(opts: GenerateOptions): Promise<GenerateResult> {
  const ir = compileSchema(readSchemaDir(resolve(opts.schemaDir), opts.root));
  const files = await renderSchema(ir, opts.templatesDir, join(opts.root, "package.json"));
  const outDir = resolve(opts.outDir);
  const typeErrors = opts.typecheck ? typecheckGenerated(opts.root, outDir, files) : [];
  const existing = existsSync(outDir)
    ? readdirSync(outDir, { recursive: true, encoding: "utf8" })
        .filter((f) => f.endsWith(".ts"))
        .map((f) => f.split(sep).join("/"))
    : [];
  const stale = existing
    .filter((f) => !files.has(f))
    .map((f) => relative(opts.root, join(outDir, f)));
  const changed: string[] = [];
  for (const [name, text] of files) {
    const path = join(outDir, name);
    if (!existsSync(path) || readFileSync(path, "utf8") !== text)
      changed.push(relative(opts.root, path));
  }
  if (!opts.check && typeErrors.length === 0) {
    for (const [name, text] of files) {
      mkdirSync(dirname(join(outDir, name)), { recursive: true });
      writeFileSync(join(outDir, name), text);
    }
    for (const f of stale) rmSync(join(opts.root, f));
  }
  return { ir, files, changed, stale, typeErrors };
}
