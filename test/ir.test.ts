import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { compileSchema, readSchemaDir } from "../generator/load.js";

const ir = compileSchema(readSchemaDir("test/fixtures/small"));
const byName = <T extends { name: string }>(list: T[], name: string) =>
  list.find((x) => x.name === name)!;

describe("IR", () => {
  it("is plain JSON: printing and reading it back gives the same value", () => {
    expect(JSON.parse(JSON.stringify(ir))).toEqual(ir);
  });

  it("keeps enums with their values in order", () => {
    expect(ir.enums).toEqual([
      {
        name: "PowerState",
        values: ["poweredOff", "poweredOn"],
        loc: { file: "test/fixtures/small/small.input", line: 3, col: 6 },
      },
    ]);
  });

  it("lists own and inherited members in wire order, outermost base first", () => {
    const box = byName(ir.dataObjects, "Box");
    expect(box.ancestors).toEqual(["Shape", "DynamicData"]);
    expect(box.members.map((m) => `${m.declaredIn}.${m.name}:${m.occurrence}`)).toEqual([
      "DynamicData.dynamicType:o",
      "Shape.name:r",
      "Shape.tag:o",
      "Box.sides:rl",
      "Box.state:o",
      "Box.inner:ol",
    ]);
    expect(box.ownMembers.map((m) => m.name)).toEqual(["sides", "state", "inner"]);
    expect(box.ignored).toEqual([
      {
        name: "future",
        typeName: "Opaque",
        declaredIn: "Box",
        loc: { file: "test/fixtures/small/small.input", line: 36, col: 21 },
      },
    ]);
    expect(byName(box.members, "inner")).toMatchObject({
      type: { kind: "data", name: "Shape" },
      list: true,
      required: false,
    });
    expect(byName(box.members, "state").type).toEqual({ kind: "enum", name: "PowerState" });
  });

  it("computes subtypes for xsi:type dispatch", () => {
    expect(byName(ir.dataObjects, "Shape").subtypes).toEqual(["Box", "Circle"]);
    expect(byName(ir.dataObjects, "DynamicData").subtypes).toEqual([
      "Box",
      "Circle",
      "ServiceContent",
      "Shape",
      "UserSession",
    ]);
    expect(byName(ir.dataObjects, "DynamicData").children).toEqual([
      "ServiceContent",
      "Shape",
      "UserSession",
    ]);
    expect(byName(ir.dataObjects, "InvalidLogin").isFault).toBe(true);
    expect(byName(ir.dataObjects, "Shape").isFault).toBe(false);
  });

  it("types managed-object properties, references by their target", () => {
    const machine = byName(ir.managedObjects, "Machine");
    expect(machine.base).toBe("Entity");
    expect(machine.properties.map((p) => p.name)).toEqual(["name", "parent", "shape", "state"]);
    expect(byName(machine.properties, "parent").type).toEqual({ kind: "moref", target: "Entity" });
    expect(byName(ir.managedObjects, "Entity").subtypes).toEqual(["Machine"]);
  });

  it("resolves methods: parameters, _this binding, return and faults", () => {
    const login = byName(ir.methods, "Login");
    expect(login.self).toMatchObject({
      name: "_this",
      bind: "sessionManager",
      type: { kind: "moref", target: "SessionManager" },
    });
    expect(login.params.map((p) => p.name)).toEqual(["userName", "password"]);
    expect(login.returns).toEqual({
      type: { kind: "data", name: "UserSession" },
      occurrence: "r",
      list: false,
      required: true,
    });
    expect(login.faults).toEqual(["InvalidLogin"]);
    const draw = byName(ir.methods, "Draw");
    expect(draw.self?.bind).toBeUndefined();
    expect(draw.returns).toMatchObject({ occurrence: "ol", list: true });
    expect(byName(ir.methods, "Reset").returns).toBeUndefined();
  });

  it("matches the checked-in IR snapshot", async () => {
    await expect(JSON.stringify(ir, null, 2) + "\n").toMatchFileSnapshot(
      "fixtures/small/ir.snapshot.json",
    );
    expect(readFileSync("test/fixtures/small/small.input", "utf8")).toContain(
      "_this:sessionManager",
    );
  });
});

describe("the curated libvirt-style schema (test/fixtures/libvirt-schema)", () => {
  it("stays valid DSL", () => {
    const curated = compileSchema(readSchemaDir("test/fixtures/libvirt-schema"));
    expect([
      curated.enums.length,
      curated.dataObjects.length,
      curated.managedObjects.length,
      curated.methods.length,
    ]).toEqual([18, 229, 29, 60]);
  });
});
