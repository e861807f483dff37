import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatDiagnostic, SchemaError } from "../generator/diagnostics.js";
import { compileSchema } from "../generator/load.js";

/** Compile one schema file and return its diagnostics as `file:line:col: message` lines. */
function errorsOf(text: string, file = "t.input"): string[] {
  try {
    compileSchema([{ file, text }]);
  } catch (e) {
    if (e instanceof SchemaError) return e.diagnostics.map(formatDiagnostic);
    throw e;
  }
  return [];
}

const SERVICE_CONTENT = `
object ServiceContent
    ManagedObjectReference sessionManager r
    String                 name           o
end
`;

describe("DSL errors are reported with file:line:col", () => {
  it.each([
    [
      "unknown type",
      "object A\n    Strin x r\nend\n",
      ["t.input:2:5: unknown type 'Strin' for member 'x' of 'A'"],
    ],
    ["unknown base", "object A extends Nope\nend\n", ["t.input:1:18: unknown base type 'Nope'"]],
    [
      "cyclic base",
      "object A extends B\nend\nobject B extends A\nend\n",
      ["t.input:1:18: cyclic base: A extends B extends A"],
    ],
    [
      "duplicate type",
      "enum A\n  x\nend\nobject A\nend\n",
      ["t.input:4:8: duplicate type 'A' (first declared at t.input:1:6)"],
    ],
    [
      "duplicate member",
      "object A\n    Int x r\n    String x o\nend\n",
      ["t.input:3:12: duplicate member 'x' in 'A' (first at line 2)"],
    ],
    [
      "member redeclared from a base",
      "object A\n    Int x r\nend\nobject B extends A\n    Int x r\nend\n",
      ["t.input:5:9: duplicate member 'x' in 'B': already inherited from 'A' (t.input:2:9)"],
    ],
    [
      "duplicate enum value",
      "enum E\n    a\n    b\n    a\nend\n",
      ["t.input:4:5: duplicate enum value 'a' in 'E' (first at line 2)"],
    ],
    [
      "duplicate method",
      "method M\nend\nmethod M\nend\n",
      ["t.input:3:8: duplicate method 'M' (first declared at t.input:1:8)"],
    ],
    [
      "bad occurrence",
      "object A\n    Int x q\nend\n",
      ["t.input:2:11: bad occurrence 'q': expected r, rl, o, ol or i"],
    ],
    [
      "enum used as a list (member, parameter, return)",
      "enum E\n  a\nend\nobject A\n    E x rl\nend\nmethod M returns E ol\n    E p ol\nend\n",
      [
        "t.input:5:9: enum 'E' cannot be used as a list ('rl') in 'A.x'",
        "t.input:7:20: enum 'E' cannot be used as a list ('ol') as the return of 'M'",
        "t.input:8:9: enum 'E' cannot be used as a list ('ol') in 'M.p'",
      ],
    ],
    [
      "i on a method parameter",
      "method M\n    Int p i\nend\n",
      ["t.input:2:11: parameter 'p' of 'M' cannot be ignored ('i')"],
    ],
    [
      "nested block",
      "object A\n    Int x r\nobject B\nend\n",
      ["t.input:3:1: nested block: 'object' opened inside object 'A' (line 1), which has no 'end'"],
    ],
    ["block without end", "object A\n    Int x r\n", ["t.input:1:1: object 'A' has no 'end'"]],
    [
      "stray text outside a block",
      "object A\nend\n  Int x r\n",
      ["t.input:3:3: stray text outside a block: 'Int x r'"],
    ],
    [
      "_this:member naming no ServiceContent member",
      SERVICE_CONTENT + "method M\n    ManagedObjectReference _this:fileManager r\nend\n",
      ["t.input:7:34: '_this:fileManager': ServiceContent has no member 'fileManager'"],
    ],
    [
      "_this:member naming a member that is not a reference",
      SERVICE_CONTENT + "method M\n    ManagedObjectReference _this:name r\nend\n",
      ["t.input:7:34: '_this:name': ServiceContent.name is not a managed object reference"],
    ],
    [
      "wrong token count (member)",
      "object A\n    Int x r extra\nend\n",
      ["t.input:2:13: wrong token count: a member is 'TYPE NAME OCCURRENCE', got 4 tokens"],
    ],
    [
      "wrong token count (header)",
      "object A extends\nend\n",
      [
        "t.input:1:10: wrong token count: expected 'object NAME [extends BASE]', got 'object A extends'",
      ],
    ],
    [
      "unknown fault type",
      "method M faults Nope\nend\n",
      ["t.input:1:17: unknown fault type 'Nope' of method 'M'"],
    ],
  ])("%s", (_kind, text, expected) => {
    expect(errorsOf(text)).toEqual(expected);
  });

  it("collects every error of a file, not only the first", () => {
    const errors = errorsOf(
      "object A\n    Nope x r\n    Int y zz\nend\nstray\nobject B extends C\nend\n",
    );
    expect(errors).toEqual([
      "t.input:2:5: unknown type 'Nope' for member 'x' of 'A'",
      "t.input:3:11: bad occurrence 'zz': expected r, rl, o, ol or i",
      "t.input:5:1: stray text outside a block: 'stray'",
      "t.input:6:18: unknown base type 'C'",
    ]);
  });

  it("accepts comments anywhere, blank lines and any alignment", () => {
    expect(
      errorsOf("# header\nobject A   # trailing\n\n\tInt     x    r # member\nend # done\n"),
    ).toEqual([]);
  });

  it("lets an ignored member name an undeclared type", () => {
    expect(errorsOf("object A\n    Undeclared x i\nend\n")).toEqual([]);
  });

  it("the CLI prints every error and exits non-zero", () => {
    const dir = mkdtempSync(join(tmpdir(), "esx-vi-dsl-"));
    writeFileSync(join(dir, "bad.input"), "object A\n    Nope x r\nend\nobject A\nend\n");
    let status = 0;
    let stderr = "";
    try {
      execFileSync(
        process.execPath,
        ["--import", "tsx", "generator/cli.ts", "ir", "--schema", dir],
        {
          encoding: "utf8",
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
    } catch (e) {
      const err = e as { status: number; stderr: string };
      status = err.status;
      stderr = err.stderr;
    }
    expect(status).toBe(1);
    expect(stderr).toMatch(/bad\.input:2:5: unknown type 'Nope' for member 'x' of 'A'/);
    expect(stderr).toMatch(
      /bad\.input:4:8: duplicate type 'A' \(first declared at .*bad\.input:1:8\)/,
    );
    expect(stderr).toMatch(/2 error\(s\)/);
  });
});
