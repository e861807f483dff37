import { describe, expect, it } from "vitest";
import { compileSchema, readSchemaDir } from "../generator/load.js";
import { deserialize, serialize, vimTypes } from "../index.js";
import { ANY_SAMPLES, SampleFactory } from "./support/samples.js";

const ir = compileSchema(readSchemaDir("schema"));
const samples = new SampleFactory(ir);

describe("round trip: serialize → deserialize gives back the input", () => {
  it("covers every data object of the schema", () => {
    expect(ir.dataObjects.length).toBeGreaterThan(200);
    expect(ir.dataObjects.every((o) => vimTypes.has(o.name))).toBe(true);
  });

  it.each(ir.dataObjects.map((o) => o.name))("%s", (name) => {
    const value = samples.object(name);
    const xml = serialize(name, value);
    expect(deserialize(name, xml)).toEqual(value);
  });

  it.each(ir.enums.map((e) => e.name))("enum %s, every value", (name) => {
    for (const v of ir.enums.find((e) => e.name === name)!.values) {
      expect(deserialize(name, serialize(name, v))).toBe(v);
    }
  });

  it.each(ANY_SAMPLES.map((v, i) => [i, v] as const))("anyType sample %i", (_i, value) => {
    expect(deserialize("AnyType", serialize("AnyType", value))).toEqual(value);
  });
});
