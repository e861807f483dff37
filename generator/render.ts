/**
 * Stage 3b: view model → TypeScript files, through the Handlebars templates in
 * templates/ and prettier. Pure apart from reading the templates.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import Handlebars from "handlebars";
import * as prettier from "prettier";
import type { IrSchema } from "./ir.js";
import { buildView } from "./view.js";

/** Output file → template; one template per generated module. */
export const OUTPUTS: Record<string, string> = {
  "types.ts": "types.ts.hbs",
  "codecs.ts": "codecs.ts.hbs",
  "methods.ts": "methods.ts.hbs",
  "managed.ts": "managed.ts.hbs",
  "registry.ts": "registry.ts.hbs",
  "index.ts": "index.ts.hbs",
};

/** Rendered once per codec module (view.codecModules), into its own file. */
export const CODEC_MODULE_TEMPLATE = "codecs-module.ts.hbs";

export async function renderSchema(
  ir: IrSchema,
  templatesDir: string,
  prettierConfigFrom: string,
): Promise<Map<string, string>> {
  const hb = Handlebars.create();
  for (const file of readdirSync(templatesDir)) {
    if (
      file.endsWith(".hbs") &&
      file !== CODEC_MODULE_TEMPLATE &&
      !Object.values(OUTPUTS).includes(file)
    ) {
      hb.registerPartial(file.slice(0, -4), readFileSync(join(templatesDir, file), "utf8"));
    }
  }
  const view = buildView(ir);
  const config = (await prettier.resolveConfig(prettierConfigFrom)) ?? {};
  const out = new Map<string, string>();
  const emit = async (file: string, template: string, context: object) => {
    const render = hb.compile(readFileSync(join(templatesDir, template), "utf8"), {
      noEscape: true,
      strict: false,
    });
    const code = render(context);
    try {
      out.set(file, await prettier.format(code, { ...config, parser: "typescript" }));
    } catch (e) {
      throw new Error(
        `template ${template} produced invalid TypeScript for ${file}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  };
  for (const [file, template] of Object.entries(OUTPUTS)) await emit(file, template, view);
  for (const module of view.codecModules) await emit(module.file, CODEC_MODULE_TEMPLATE, module);
  return out;
}
