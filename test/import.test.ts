/** import-wsdl from a directory and from a server, and its refusals. */
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { importFromSources } from "../generator/import/run.js";
import { importSchema } from "../generator/import/importer.js";
import { readReferencePages } from "../generator/import/reference-pages.js";
import { loadWsdl } from "../generator/import/wsdl.js";

const shared = join(process.cwd(), "../shared/vsphere/vim25-5.5");
const withoutBanner = (text: string) => text.split("\n").slice(3).join("\n");

describe("import-wsdl", () => {
  it("from a directory reproduces the checked-in schema/vim25", async () => {
    const out = mkdtempSync(join(tmpdir(), "esx-vi-import-"));
    const result = await importFromSources(join(shared, "wsdl"), {
      managedObjects: join(shared, "managed-objects"),
      out,
    });
    expect(result.counts).toMatchObject({
      dataObjects: 1747,
      faults: 634,
      enums: 261,
      methods: 615,
      managedObjects: 111,
    });
    for (const file of readdirSync("schema/vim25")) {
      expect(withoutBanner(readFileSync(join(out, file), "utf8")), file).toBe(
        withoutBanner(readFileSync(join("schema/vim25", file), "utf8")),
      );
    }
  });

  it("from a server (https://host/sdk/vimService.wsdl form), following its imports and includes", async () => {
    const requested: string[] = [];
    const server = createServer((req, res) => {
      requested.push(req.url!);
      const file = req.url!.replace(/^\/sdk\//, "");
      try {
        res.end(readFileSync(join(shared, "wsdl", file)));
      } catch {
        res.statusCode = 404;
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sdk/vimService.wsdl`;
      const wsdl = await loadWsdl(url);
      expect(requested).toEqual(
        expect.arrayContaining([
          "/sdk/vimService.wsdl",
          "/sdk/vim.wsdl",
          "/sdk/vim-types.xsd",
          "/sdk/core-types.xsd",
        ]),
      );
      expect(wsdl.operations.length).toBe(615);
      const fromServer = importSchema(
        wsdl,
        readReferencePages(join(shared, "managed-objects")),
        url,
      );
      for (const [file, text] of fromServer.files) {
        expect(withoutBanner(text), file).toBe(
          withoutBanner(readFileSync(join("schema/vim25", file), "utf8")),
        );
      }
    } finally {
      server.close();
    }
  });

  it("fails loudly on what it cannot map", async () => {
    const wsdl = await loadWsdl(join(shared, "wsdl"));
    const pages = readReferencePages(join(shared, "managed-objects"));
    const withoutVm = pages.filter((p) => p.name !== "VirtualMachine");
    expect(() => importSchema(wsdl, withoutVm, "x")).toThrow(
      "operation AcquireMksTicket is on no managed object page",
    );
    const broken = { ...wsdl, complexTypes: new Map(wsdl.complexTypes) };
    broken.complexTypes.set("AboutInfo", {
      ...broken.complexTypes.get("AboutInfo")!,
      elements: [{ name: "x", type: "NoSuchType", xsd: false, min: 1, max: 1 }],
    });
    expect(() => importSchema(broken, pages, "x")).toThrow("AboutInfo.x: unknown type NoSuchType");
    await expect(
      importFromSources(join(shared, "wsdl"), {
        managedObjects: "/nonexistent",
        out: mkdtempSync(join(tmpdir(), "x")),
      }),
    ).rejects.toThrow("the managed-object reference pages are needed");
  });
});
