/**
 * Values → XML. A data object is written by walking its codec's members in wire order
 * (inherited first), `writeField` for each; this file knows how each kind of codec looks
 * on the wire.
 */
import type { XmlWriter } from "../xml/writer.js";
import { AnyTypeCodec, MorefCodec } from "./define.js";
import {
  primitiveArrays,
  primitivesByXsdType,
  describe,
  DoubleCodec,
  IntCodec,
  LongCodec,
  StringCodec,
  BooleanCodec,
  DateTimeCodec,
  BinaryCodec,
} from "./primitives.js";
import {
  type Codec,
  InvalidText,
  type ObjectCodec,
  type Occurrence,
  type PrimitiveCodec,
  type TypeRegistry,
} from "./types.js";

/** Write one member: nothing when absent and optional, repeated elements for a list. */
export function writeField(
  w: XmlWriter,
  name: string,
  codec: Codec,
  value: unknown,
  occurrence: Occurrence,
): void {
  if (value === undefined || value === null) {
    if (occurrence === "r" || occurrence === "rl") {
      w.enter(name);
      w.fail(`required member '${name}' is missing`);
    }
    return;
  }
  if (occurrence === "rl" || occurrence === "ol") {
    if (!Array.isArray(value)) {
      w.enter(name);
      w.fail(`expected an array, got ${describe(value)}`);
    }
    if (value.length === 0 && occurrence === "rl") {
      w.enter(name);
      w.fail(`required list '${name}' is empty`);
    }
    for (let i = 0; i < value.length; i++) {
      w.enter(`${name}[${i}]`);
      if (value[i] === undefined || value[i] === null)
        w.fail("list items cannot be null or undefined");
      writeValue(w, name, codec, value[i], false);
      w.leave();
    }
    return;
  }
  w.enter(name);
  writeValue(w, name, codec, value, false);
  w.leave();
}

/**
 * Write `<name>value</name>`. `inAnySlot` means the declared type is anyType, so the
 * element must say its type with xsi:type.
 */
export function writeValue(
  w: XmlWriter,
  name: string,
  codec: Codec,
  value: unknown,
  inAnySlot: boolean,
): void {
  switch (codec.kind) {
    case "primitive":
      writePrimitive(
        w,
        name,
        codec,
        value,
        inAnySlot ? `${w.xsdPrefix}:${codec.xsdType}` : undefined,
      );
      return;
    case "enum": {
      if (typeof value !== "string" || !codec.valueSet.has(value)) {
        w.fail(
          `${describe(value)} is not a ${codec.typeName} (one of: ${codec.values.join(", ")})`,
        );
      }
      w.open(name, inAnySlot ? codec.typeName : undefined);
      w.raw(value);
      w.close(name);
      return;
    }
    case "moref": {
      const ref = value as { type?: unknown; value?: unknown };
      if (
        typeof ref !== "object" ||
        typeof ref.type !== "string" ||
        typeof ref.value !== "string"
      ) {
        w.fail(`expected a ManagedObjectReference {type, value}, got ${describe(value)}`);
      }
      w.open(name, inAnySlot ? "ManagedObjectReference" : undefined, "type", ref.type);
      w.text(ref.value);
      w.close(name);
      return;
    }
    case "any":
      writeAny(w, name, value);
      return;
    case "object":
      writeObject(w, name, codec, value, inAnySlot);
      return;
  }
}

function writePrimitive(
  w: XmlWriter,
  name: string,
  codec: PrimitiveCodec,
  value: unknown,
  xsiType?: string,
) {
  const text = codec.format(value);
  if (text instanceof InvalidText) w.fail(text.reason);
  w.open(name, xsiType);
  w.raw(text);
  w.close(name);
}

function writeObject(
  w: XmlWriter,
  name: string,
  declared: ObjectCodec,
  value: unknown,
  inAnySlot: boolean,
) {
  if (
    typeof value !== "object" ||
    value === null ||
    Array.isArray(value) ||
    value instanceof Date
  ) {
    w.fail(`expected a ${declared.typeName} object, got ${describe(value)}`);
  }
  const wireType = (value as { $type?: unknown }).$type;
  let actual: Codec | undefined = declared;
  if (wireType !== undefined && wireType !== declared.typeName) {
    if (typeof wireType !== "string") w.fail(`$type must be a string, got ${describe(wireType)}`);
    const known = w.registry?.get(wireType);
    if (declared.subtypes.has(wireType)) {
      if (known?.kind !== "object") {
        w.fail(
          `cannot write subtype '${wireType}' of ${declared.typeName}: this client's registry has no codec for it (pass the full registry, vimTypes)`,
        );
      }
      actual = known;
    } else {
      if (known) w.fail(`'${wireType}' is not ${declared.typeName} or one of its subtypes`);
      // A type from a newer server, decoded as an untyped record: send it back as it came.
      writeUntyped(w, name, value as Record<string, unknown>, wireType);
      return;
    }
  }
  const obj = actual as ObjectCodec;
  const polymorphic = inAnySlot || declared.subtypes.size > 0 || obj !== declared;
  w.open(name, polymorphic ? obj.typeName : undefined);
  writeMembers(w, obj, value as Record<string, unknown>);
  writeExtra(w, obj, value as Record<string, unknown>);
  w.close(name);
}

/** The members of a data object (not its element), in wire order. */
export function writeMembers(
  w: XmlWriter,
  codec: ObjectCodec,
  value: Record<string, unknown>,
): void {
  const fields = codec.fields;
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    writeField(w, f.name, f.codec, value[f.name], f.occurrence);
  }
}

/**
 * After the known members: the members a newer server sent that this schema does not
 * know (`$extra`, kept by the decoder) go back as they came. Any other property is not a
 * member of the type: refused, so a misspelt member is never silently dropped.
 */
function writeExtra(w: XmlWriter, codec: ObjectCodec, value: Record<string, unknown>): void {
  for (const key in value) {
    if (key === "$type" || key === "$extra" || codec.fieldMap.has(key) || value[key] === undefined)
      continue;
    w.enter(key);
    w.fail(`'${key}' is not a member of ${codec.typeName}`);
  }
  const extra = value.$extra;
  if (extra === undefined) return;
  if (typeof extra !== "object" || extra === null) w.fail("$extra must be an object");
  for (const [key, item] of Object.entries(extra)) writeUntypedMember(w, key, item);
}

/** Infer the wire type of a value in an anyType slot (see AnyValue). */
export function writeAny(w: XmlWriter, name: string, value: unknown): void {
  switch (typeof value) {
    case "string":
      return writePrimitive(w, name, StringCodec, value, `${w.xsdPrefix}:string`);
    case "boolean":
      return writePrimitive(w, name, BooleanCodec, value, `${w.xsdPrefix}:boolean`);
    case "bigint":
      return writePrimitive(w, name, LongCodec, value, `${w.xsdPrefix}:long`);
    case "number": {
      if (Number.isInteger(value) && value >= -2147483648 && value <= 2147483647) {
        return writePrimitive(w, name, IntCodec, value, `${w.xsdPrefix}:int`);
      }
      if (Number.isSafeInteger(value))
        return writePrimitive(w, name, LongCodec, value, `${w.xsdPrefix}:long`);
      return writePrimitive(w, name, DoubleCodec, value, `${w.xsdPrefix}:double`);
    }
    case "object":
      break;
    default:
      w.fail(`a ${typeof value} cannot be sent in an anyType slot`);
  }
  if (value === null) w.fail("null cannot be sent in an anyType slot");
  if (value instanceof Date)
    return writePrimitive(w, name, DateTimeCodec, value, `${w.xsdPrefix}:dateTime`);
  if (value instanceof Uint8Array)
    return writePrimitive(w, name, BinaryCodec, value, `${w.xsdPrefix}:base64Binary`);
  if (Array.isArray(value)) {
    w.fail(
      "a plain array in an anyType slot has no wire type: wrap it as { $type: 'ArrayOfX', value: [...] }",
    );
  }
  const v = value as { $type?: unknown; type?: unknown; value?: unknown };
  if (v.$type === undefined) {
    if (typeof v.type === "string" && typeof v.value === "string") {
      w.open(name, "ManagedObjectReference", "type", v.type);
      w.text(v.value);
      w.close(name);
      return;
    }
    w.fail(
      "an object in an anyType slot needs $type (or must be a ManagedObjectReference {type, value})",
    );
  }
  if (typeof v.$type !== "string") w.fail(`$type must be a string, got ${describe(v.$type)}`);
  const wireType = v.$type;
  if (wireType.startsWith(`${w.xsdPrefix}:`)) {
    const codec = primitivesByXsdType.get(wireType.slice(w.xsdPrefix.length + 1));
    if (!codec) w.fail(`unknown XML Schema type '${wireType}'`);
    return writePrimitive(w, name, codec, v.value, wireType);
  }
  if (wireType.startsWith("ArrayOf")) {
    const items = v.value;
    if (!Array.isArray(items)) w.fail(`${wireType} needs an array in 'value'`);
    const element = arrayElement(w.registry, wireType);
    if (!element) w.fail(`unknown array type '${wireType}'`);
    w.open(name, wireType);
    items.forEach((item, i) => {
      w.enter(`[${i}]`);
      if (element.codec.kind === "primitive") writePrimitive(w, element.name, element.codec, item);
      else writeValue(w, element.name, element.codec, item, element.codec.kind === "any");
      w.leave();
    });
    w.close(name);
    return;
  }
  const codec = w.registry?.get(wireType);
  if (!codec) return writeUntyped(w, name, v as Record<string, unknown>, wireType);
  if (codec.kind === "enum" || codec.kind === "primitive")
    return writeValue(w, name, codec, v.value, true);
  if (codec.kind === "moref") return writeValue(w, name, codec, v.value, true);
  writeValue(w, name, codec, value, true);
}

/** The element codec and element name inside an ArrayOfX wrapper, if the item type is known. */
export function arrayElement(
  registry: TypeRegistry | undefined,
  wireType: string,
): { codec: Codec; name: string } | undefined {
  const primitive = primitiveArrays.get(wireType);
  if (primitive) return { codec: primitive, name: primitive.xsdType };
  const itemType = wireType.slice("ArrayOf".length);
  if (itemType === "AnyType") return { codec: AnyTypeCodec, name: "anyType" };
  if (itemType === "ManagedObjectReference") return { codec: MorefCodec, name: itemType };
  const codec = registry?.get(itemType);
  return codec ? { codec, name: itemType } : undefined;
}

/** An untyped record (a type this schema does not know): members in the order they are stored. */
function writeUntyped(
  w: XmlWriter,
  name: string,
  record: Record<string, unknown>,
  wireType: string | undefined,
) {
  const keys = Object.keys(record);
  if (wireType !== undefined && keys.length === 2 && typeof record.value === "string") {
    // { $type, value }: a simple value of an unknown type.
    w.open(name, wireType);
    w.text(record.value);
    w.close(name);
    return;
  }
  w.open(name, wireType);
  for (const [key, item] of Object.entries(record))
    if (key !== "$type") writeUntypedMember(w, key, item);
  w.close(name);
}

/** One member of an untyped record (repeated elements for an array). */
function writeUntypedMember(w: XmlWriter, key: string, item: unknown): void {
  for (const one of Array.isArray(item) ? item : [item]) {
    w.enter(key);
    if (typeof one === "string") {
      w.open(key);
      w.text(one);
      w.close(key);
    } else if (isPlainRecord(one)) writeUntyped(w, key, one, undefined);
    else writeAny(w, key, one);
    w.leave();
  }
}

/** A nested untyped record: an object without $type that is not a reference or a Date/bytes. */
function isPlainRecord(v: unknown): v is Record<string, unknown> {
  return (
    typeof v === "object" &&
    v !== null &&
    !(v instanceof Date) &&
    !(v instanceof Uint8Array) &&
    (v as { $type?: unknown }).$type === undefined &&
    !("type" in v && "value" in v)
  );
}
