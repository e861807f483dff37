/**
 * Sample values for any schema type, built from the IR: every member of every type
 * gets a value (optional ones while the nesting is shallow), polymorphic slots get
 * subtypes in rotation, strings carry XML specials and non-ASCII text.
 */
import type { IrDataObject, IrSchema, IrType } from "../../generator/ir.js";

export class SampleFactory {
  private counter = 0;
  private readonly objects: Map<string, IrDataObject>;
  private readonly enums: Map<string, string[]>;

  constructor(ir: IrSchema) {
    this.objects = new Map(ir.dataObjects.map((o) => [o.name, o]));
    this.enums = new Map(ir.enums.map((e) => [e.name, e.values]));
  }

  /** A sample whose actual type is exactly `name`. */
  object(name: string, depth = 0): Record<string, unknown> {
    const o = this.objects.get(name)!;
    const value: Record<string, unknown> = { $type: name };
    for (const m of o.members) {
      if (!m.required && depth >= 2) continue;
      if (
        m.type.kind === "data" &&
        !m.required &&
        depth >= 1 &&
        this.objects.get(m.type.name)!.subtypes.length > 30
      )
        continue;
      value[m.name] = m.list
        ? [this.value(m.type, depth + 1), this.value(m.type, depth + 1)]
        : this.value(m.type, depth + 1);
    }
    return value;
  }

  value(t: IrType, depth: number): unknown {
    const n = ++this.counter;
    switch (t.kind) {
      case "enum": {
        const values = this.enums.get(t.name)!;
        return values[n % values.length];
      }
      case "moref":
        return { type: t.target ?? "VirtualMachine", value: `vm-${n}` };
      case "data": {
        const o = this.objects.get(t.name)!;
        // Rotate through the declared type and its subtypes.
        const candidates = [t.name, ...o.subtypes];
        return this.object(candidates[n % candidates.length]!, depth);
      }
      case "primitive":
        switch (t.name) {
          case "String":
          case "TypeName":
          case "PropertyPath":
          case "MethodName":
            return `s${n} <a href="x">&amp;</a> 'q' Über 日本 🚀\ttab\r\nline`;
          case "Boolean":
            return n % 2 === 0;
          case "Byte":
            return -128 + (n % 256);
          case "Short":
            return n % 2 ? 32767 : -32768;
          case "Int":
            return n % 2 ? 2147483647 : -2147483648;
          case "Long":
            return n % 2 ? 9007199254740993n : -(2n ** 63n);
          case "Float":
            return n % 3 === 0 ? Infinity : 1.5;
          case "Double":
            return n % 3 === 0 ? -Infinity : -2.25e-300;
          case "DateTime":
            return new Date(Date.UTC(2020, n % 12, 1 + (n % 28), 13, 45, 1, n % 1000));
          case "Binary":
            return new Uint8Array([0, 255, n % 256, 10, 13]);
          case "AnyType":
            return ANY_SAMPLES[n % ANY_SAMPLES.length];
        }
    }
  }
}

/** Values for anyType slots, one per way such a value can look. */
export const ANY_SAMPLES: unknown[] = [
  "text & <more>",
  42,
  9007199254740993n,
  true,
  new Date(Date.UTC(2021, 5, 6, 7, 8, 9, 10)),
  new Uint8Array([1, 2, 3]),
  { type: "Datastore", value: "datastore-7" },
  { $type: "xsd:short", value: -7 },
  { $type: "xsd:double", value: 0.5 },
  { $type: "ArrayOfString", value: ["a", "b & c"] },
  { $type: "ArrayOfManagedObjectReference", value: [{ type: "HostSystem", value: "host-1" }] },
  { $type: "ArrayOfInt", value: [1, -2] },
  { $type: "ManagedEntityStatus", value: "green" },
  { $type: "SharesInfo", shares: 1000, level: "normal" },
];
