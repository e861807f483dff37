import { describe, expect, it } from "vitest";
import {
  EscapeError,
  datastoreFileUrl,
  escapeBase64,
  escapeDatastoreItem,
  escapePercent,
  escapePipe,
  escapeVmxDisplayName,
  formatDatastorePath,
  parseDatastorePath,
  parseVirtualMachineId,
  reformatUuid,
  replaceSpecialWindowsPathChars,
  screenshotUrl,
  unescapeBase64,
  unescapePercent,
  unescapePipe,
  unescapeVmxDisplayName,
  uriEncode,
} from "../runtime/escape.js";

describe("libvirt's escaping, byte for byte (reference §3.3–3.5)", () => {
  it.each([
    ["a/b", "a%2fb"],
    ["50%", "50%25"],
    ["a\\b", "a%5cb"],
    ["plain", "plain"],
  ])("percent %j → %j and back", (input, escaped) => {
    expect(escapePercent(input)).toBe(escaped);
    expect(unescapePercent(escaped)).toBe(input);
  });

  it.each([
    ['say "hi"', "say |22hi|22"],
    ["a|b", "a|7cb"],
  ])("pipe %j → %j and back", (input, escaped) => {
    expect(escapePipe(input)).toBe(escaped);
    expect(unescapePipe(escaped)).toBe(input);
  });

  it("VMX displayName = percent(pipe(name))", () => {
    expect(escapeVmxDisplayName('x/"y"')).toBe("x%2f|22y|22");
    expect(unescapeVmxDisplayName("x%2f|22y|22")).toBe('x/"y"');
    expect(unescapePercent("%C3%9Cber")).toBe("Über");
  });

  it("unescaping refuses a bad escape", () => {
    expect(() => unescapePercent("50%")).toThrow(EscapeError);
    expect(() => unescapePercent("%zz")).toThrow(
      "'%' at offset 0 of '%zz' is not followed by two hex digits",
    );
  });

  it.each([
    ["my vm", "my vm", "my vm"],
    ["a/b", "a+Lw-b", "a+JQ-2fb"],
    ["50%", "50+JQ", "50+JQ-25"],
    ["a\\b", "a+XA-b", "a+JQ-5cb"],
    ["vm:1", "vm+Og-1", "vm_1"],
    ["a&b", "a+Jg-b", "a+Jg-b"],
    ["a+b", "a+Kw-b", "a+Kw-b"],
    ["x~y", "x+fg-y", "x+fg-y"],
    ["test<1>", "test+PA-1+Pg", "test_1_"],
    ["Über", "+w5w-ber", "+w5w-ber"],
    ["日本", "+5pel5pys", "+5pel5pys"],
    ["ab/", "ab+Lw", "ab+JQ-2f"],
  ])("datastore item %j: base64 %j, full %j", (input, base64, full) => {
    expect(escapeBase64(input)).toBe(base64);
    expect(escapeDatastoreItem(input)).toBe(full);
    expect(unescapeBase64(base64)).toBe(input);
  });

  it("base64 escaping round-trips arbitrary text, including '/' runs that use ','", () => {
    for (const s of ["???", "a//////b", "\u0001\u00ff", "😀 x 😀", "-+-", "ÿÿÿÿ"]) {
      expect(unescapeBase64(escapeBase64(s))).toBe(s);
    }
    expect(escapeBase64("???")).toBe("+Pz8,");
  });

  it("Windows specials become underscores; slashes stay", () => {
    expect(replaceSpecialWindowsPathChars('a:b*c?"<>|/\\')).toBe("a_b_c_____/\\");
  });
});

describe("datastore paths (reference §3.2, quirks fixed)", () => {
  it.each([
    [
      "[datastore1] test1/test1.vmx",
      { datastore: "datastore1", directory: "test1", path: "test1/test1.vmx" },
    ],
    ["[datastore1] test1.vmx", { datastore: "datastore1", directory: "", path: "test1.vmx" }],
    ["[datastore1]", { datastore: "datastore1", directory: "", path: "" }],
    ["[ds]   a/b/c.vmdk", { datastore: "ds", directory: "a/b", path: "a/b/c.vmdk" }],
    ["[ds]x/y", { datastore: "ds", directory: "x", path: "x/y" }],
    ["[my ds] dir/sub/", { datastore: "my ds", directory: "dir/sub", path: "dir/sub/" }],
  ])("%j", (input, expected) => {
    expect(parseDatastorePath(input)).toEqual(expected);
  });

  it.each([
    ["[ds", "datastore path '[ds' has no ']'"],
    ["[] x", "datastore path '[] x' has an empty datastore name"],
    ["ds1 x", "datastore path 'ds1 x' does not start with '['"],
  ])("%j is an error", (input, message) => {
    expect(() => parseDatastorePath(input)).toThrow(message);
  });

  it("formats", () => {
    expect(formatDatastorePath("ds 1", "a/b.vmx")).toBe("[ds 1] a/b.vmx");
    expect(formatDatastorePath("ds")).toBe("[ds]");
    expect(() => formatDatastorePath("a]b")).toThrow(EscapeError);
  });
});

describe("ids, UUIDs and URLs", () => {
  it("parses VM ids", () => {
    expect(parseVirtualMachineId("42")).toBe(42);
    expect(parseVirtualMachineId("vm-123")).toBe(123);
    for (const bad of ["vm-x", "0", "-1", "vm-", "", "4 2"])
      expect(() => parseVirtualMachineId(bad)).toThrow(EscapeError);
  });

  it("reformats VMware's UUID spellings", () => {
    expect(reformatUuid("60 00 C2 95 a6 2a 5a 3a-2b 6e 7d 9c 3e 8f 4a 2b")).toBe(
      "6000c295-a62a-5a3a-2b6e-7d9c3e8f4a2b",
    );
    expect(reformatUuid("421C2F1B-0C6E-8B2F-5F5A-6B8F5E5B9A77")).toBe(
      "421c2f1b-0c6e-8b2f-5f5a-6b8f5e5b9a77",
    );
    expect(() => reformatUuid("60 00 C2")).toThrow("(3 bytes, expected 16)");
  });

  it("encodes like libvirt's virBufferURIEncodeString (lowercase %xx for all but letters and digits)", () => {
    expect(uriEncode("test1/test1.vmx")).toBe("test1%2ftest1%2evmx");
    expect(uriEncode("ha-datacenter")).toBe("ha%2ddatacenter");
    expect(uriEncode("Ü x")).toBe("%c3%9c%20x");
    expect(
      datastoreFileUrl("https://esx:443", "ha-datacenter", "datastore1", "test1/test1.vmx"),
    ).toBe("https://esx:443/folder/test1%2ftest1%2evmx?dcPath=ha%2ddatacenter&dsName=datastore1");
    expect(screenshotUrl("https://esx:443/", "vm-42")).toBe("https://esx:443/screen?id=vm%2d42");
  });
});
