#!/usr/bin/env node
/** esx-vi-gen: the generator's command line. */
import { resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { SchemaError } from "./diagnostics.js";
import { defaultOptions, generate } from "./generate.js";
import { compileSchema, readSchemaDir } from "./load.js";

function fail(message: string): never {
  process.stderr.write(message.endsWith("\n") ? message : message + "\n");
  process.exit(1);
}

function reportSchemaError(e: unknown): never {
  if (e instanceof SchemaError) {
    fail(
      e.diagnostics.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join("\n") +
        `\n${e.diagnostics.length} error(s)`,
    );
  }
  throw e;
}

await yargs(hideBin(process.argv))
  .scriptName("esx-vi-gen")
  .command(
    "generate",
    "generate TypeScript from the schema",
    (y) =>
      y
        .option("schema", {
          type: "string",
          default: "schema",
          describe: "directory of *.input files",
        })
        .option("out", { type: "string", default: "generated", describe: "output directory" })
        .option("templates", {
          type: "string",
          default: "templates",
          describe: "Handlebars templates",
        })
        .option("check", {
          type: "boolean",
          default: false,
          describe: "fail if the output directory differs",
        })
        .option("typecheck", {
          type: "boolean",
          default: true,
          describe: "type-check the output with ts-morph",
        }),
    async (argv) => {
      const started = performance.now();
      const result = await generate({
        ...defaultOptions(process.cwd()),
        schemaDir: resolve(argv.schema),
        outDir: resolve(argv.out),
        templatesDir: resolve(argv.templates),
        check: argv.check,
        typecheck: argv.typecheck,
      }).catch(reportSchemaError);
      if (result.typeErrors.length > 0) {
        fail(
          result.typeErrors.map((d) => `${d.file}:${d.line}:${d.col}: ${d.message}`).join("\n") +
            `\n${result.typeErrors.length} type error(s) in the generated code; nothing written`,
        );
      }
      const { ir } = result;
      const counts = `${ir.enums.length} enums, ${ir.dataObjects.length} data objects, ${ir.managedObjects.length} managed objects, ${ir.methods.length} methods`;
      const ms = Math.round(performance.now() - started);
      if (argv.check) {
        const differ = [...result.changed, ...result.stale.map((f) => `${f} (not generated)`)];
        if (differ.length > 0) {
          fail(
            `generated code is out of date; run \`npm run generate\`. Differing files:\n  ${differ.join("\n  ")}`,
          );
        }
        process.stdout.write(`generated/ is up to date (${counts}; ${ms} ms)\n`);
      } else {
        process.stdout.write(
          `wrote ${result.files.size} files (${result.changed.length} changed): ${counts}; ${ms} ms\n`,
        );
      }
    },
  )
  .command(
    "ir",
    "print the IR as JSON",
    (y) => y.option("schema", { type: "string", default: "schema" }),
    (argv) => {
      try {
        const ir = compileSchema(readSchemaDir(resolve(argv.schema)));
        process.stdout.write(JSON.stringify(ir, null, 2) + "\n");
      } catch (e) {
        reportSchemaError(e);
      }
    },
  )
  .command(
    "import-wsdl <source>",
    "import a vim25 WSDL (directory or https://host/sdk/vimService.wsdl) and the managed-object reference pages into DSL",
    (y) =>
      y
        .positional("source", { type: "string", demandOption: true })
        .option("managed-objects", {
          type: "string",
          describe:
            "directory of the managed-object reference pages (default: ../managed-objects beside a WSDL directory)",
        })
        .option("out", {
          type: "string",
          default: "schema",
          describe: "output directory for the *.input files",
        })
        .option("insecure", {
          type: "boolean",
          default: false,
          describe: "do not verify the server's certificate (URL sources)",
        }),
    async (argv) => {
      const started = performance.now();
      const { importFromSources } = await import("./import/run.js");
      try {
        const result = await importFromSources(argv.source, {
          managedObjects: argv["managed-objects"],
          out: resolve(argv.out),
          insecure: argv.insecure,
        });
        const c = result.counts;
        process.stdout.write(
          `imported ${c.dataObjects} data objects, ${c.faults} faults, ${c.enums} enums (${c.enumValues} values), ${c.methods} methods ` +
            `(${c.boundMethods} with _this bound to ServiceContent), ${c.managedObjects} managed objects (${c.managedProperties} properties); ` +
            `${c.typedReferences} typed references, ${c.arrayWrappers} ArrayOfX wrappers read as lists, ${c.enumListsAsStrings} enum lists as string lists; ` +
            `wrote ${[...result.files.keys()].join(", ")} to ${argv.out} in ${Math.round(performance.now() - started)} ms\n`,
        );
      } catch (e) {
        if (e instanceof SchemaError) reportSchemaError(e);
        fail(`import-wsdl: ${(e as Error).message}`);
      }
    },
  )
  .demandCommand(1)
  .strict()
  .help()
  .parseAsync();
