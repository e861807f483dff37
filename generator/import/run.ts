/** import-wsdl: load, map, check that the result is valid DSL, write. */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { compileSchema } from "../load.js";
import { ImportError } from "./errors.js";
import { importSchema, type ImportResult } from "./importer.js";
import { readReferencePages } from "./reference-pages.js";
import { loadWsdl } from "./wsdl.js";

export interface ImportOptions {
  managedObjects?: string;
  out: string;
  insecure?: boolean;
}

export async function importFromSources(
  source: string,
  options: ImportOptions,
): Promise<ImportResult> {
  const wsdl = await loadWsdl(source, { insecure: options.insecure });
  const pagesDir =
    options.managedObjects ??
    (/^https?:/.test(source) ? undefined : join(source, "../managed-objects"));
  if (!pagesDir || !existsSync(pagesDir)) {
    throw new ImportError(
      `the managed-object reference pages are needed for managed objects: pass --managed-objects DIR`,
    );
  }
  const label = /^https?:/.test(source) ? source : relative(process.cwd(), source) || source;
  const result = importSchema(wsdl, readReferencePages(pagesDir), label);
  // The output must be a valid schema before anything is written.
  compileSchema(
    [...result.files].map(([file, text]) => ({
      file: join(relative(process.cwd(), options.out), file),
      text,
    })),
  );
  mkdirSync(options.out, { recursive: true });
  for (const f of readdirSync(options.out))
    if (f.endsWith(".input") && !result.files.has(f)) rmSync(join(options.out, f));
  for (const [file, text] of result.files) writeFileSync(join(options.out, file), text);
  return result;
}
