/**
 * Constructors the generated code calls. Object codecs resolve their members lazily,
 * on first use: schemas are full of cycles (a snapshot tree holding snapshot trees).
 */
import type {
  AnyCodec,
  Codec,
  EnumCodec,
  FieldSpec,
  ObjectCodec,
  ObjectLayout,
  Occurrence,
  ReferenceCodec,
} from "./types.js";

export const MorefCodec: ReferenceCodec = { kind: "moref", typeName: "ManagedObjectReference" };
export const AnyTypeCodec: AnyCodec = { kind: "any", typeName: "AnyType" };

export function defineEnum<const T extends string>(
  typeName: string,
  values: readonly T[],
): EnumCodec<T> {
  const valueSet = new Set(values);
  // Made on first decode: most enums never are.
  let byText: Map<string, T> | undefined;
  let byLength: { bytes: Uint8Array; value: T }[][] | undefined;
  return {
    kind: "enum",
    typeName,
    values,
    valueSet,
    listed(text: string): T | undefined {
      byText ??= new Map(values.map((v) => [v, v]));
      return byText.get(text);
    },
    listedAt(bytes: Uint8Array, start: number, end: number): T | undefined {
      byLength ??= valuesByLength(values);
      const candidates = byLength[end - start];
      if (candidates === undefined) return undefined;
      for (const { bytes: value, value: listed } of candidates)
        if (sameBytesAt(bytes, start, value)) return listed;
      return undefined;
    },
  };
}

/** An enum's ASCII values as bytes, by length (a value that is not ASCII is only found by text). */
function valuesByLength<T extends string>(values: readonly T[]) {
  const byLength: { bytes: Uint8Array; value: T }[][] = [];
  for (const value of values) {
    const bytes = asciiBytes(value);
    if (bytes !== undefined) (byLength[bytes.length] ??= []).push({ bytes, value });
  }
  return byLength;
}

export function field(name: string, codec: Codec, occurrence: Occurrence): FieldSpec {
  return {
    name,
    codec,
    list: occurrence === "rl" || occurrence === "ol",
    required: occurrence === "r" || occurrence === "rl",
    occurrence,
    index: -1,
  };
}

export interface ObjectDefinition {
  typeName: string;
  base?: () => ObjectCodec;
  isFault?: boolean;
  /** Members declared by this type (not inherited), wire order. */
  fields: () => FieldSpec[];
  /** Names of all transitive subtypes. */
  subtypes?: readonly string[];
}

class LazyObjectCodec<T> implements ObjectCodec<T> {
  readonly kind = "object" as const;
  readonly typeName: string;
  readonly isFault: boolean;
  private resolved?: ObjectLayout;
  private subtypeSet?: Set<string>;

  constructor(private readonly def: ObjectDefinition) {
    this.typeName = def.typeName;
    this.isFault = def.isFault ?? false;
  }

  // The decoder calls layout() for every value it builds. When resolution sat behind the
  // getters, V8's optimizing compiler inlined it (spreads, maps, the base chain) into each
  // hot decoder function that read a getter: 23-26 ms of compilation per function
  // (--trace-opt), while the first response of a process decoded in slower code meanwhile.
  // Behind a method call the first-use branch is seen as rare and left out.
  layout(): ObjectLayout {
    return this.resolved ?? this.resolve();
  }

  private resolve(): ObjectLayout {
    const base = this.def.base?.();
    const fields = [...(base?.fields ?? []), ...this.def.fields()];
    for (let i = 0; i < fields.length; i++) fields[i]!.index = i;
    this.resolved = {
      base,
      fields,
      fieldMap: new Map(fields.map((f) => [f.name, f])),
      requiredFields: fields.filter((f) => f.required).map((f) => f.name),
      newValue: newValueMaker(this.typeName),
      nameBytes: fields.map((f) => asciiBytes(f.name)),
    };
    return this.resolved;
  }

  get base() {
    return this.layout().base;
  }
  get fields() {
    return this.layout().fields;
  }
  get fieldMap() {
    return this.layout().fieldMap;
  }
  get requiredFields() {
    return this.layout().requiredFields;
  }
  /** Makes an empty value of this type; see newValueMaker. */
  get newValue(): () => { $type: string } {
    return this.layout().newValue;
  }

  get subtypes(): ReadonlySet<string> {
    this.subtypeSet ??= new Set(this.def.subtypes ?? []);
    return this.subtypeSet;
  }
}

/**
 * A maker of plain objects `{ $type }` of one type. Each type gets its own constructor so
 * that V8 sizes its objects to the members they end up with (in-object, no separate
 * property store); its prototype is Object.prototype, so the values are plain objects.
 */
function newValueMaker(typeName: string): () => { $type: string } {
  function Value(this: { $type: string }) {
    this.$type = typeName;
  }
  Value.prototype = Object.prototype;
  const Ctor = Value as unknown as new () => { $type: string };
  return () => new Ctor();
}

/** Does `bytes` hold at `at` the `n` bytes it holds at `from`? */
export function sameRangeAt(bytes: Uint8Array, at: number, from: number, n: number): boolean {
  for (let k = 0; k < n; k++) if (bytes[at + k] !== bytes[from + k]) return false;
  return true;
}

/** Does `bytes` hold `name` at `at`? */
export function sameBytesAt(bytes: Uint8Array, at: number, name: Uint8Array): boolean {
  for (let k = 0; k < name.length; k++) if (bytes[at + k] !== name[k]) return false;
  return true;
}

/** `text` as bytes, one per character, when it is ASCII. */
function asciiBytes(text: string): Uint8Array | undefined {
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return undefined;
    bytes[i] = c;
  }
  return bytes;
}

export function defineObject<T>(def: ObjectDefinition): ObjectCodec<T> {
  return new LazyObjectCodec<T>(def);
}

/** libvirt's DynamicCast: is `value` of type `codec` or one of its subtypes (by `$type`)? */
export function isInstanceOf<T>(value: unknown, codec: ObjectCodec<T>): value is T {
  if (typeof value !== "object" || value === null) return false;
  const t = (value as { $type?: unknown }).$type;
  return typeof t === "string" && (t === codec.typeName || codec.subtypes.has(t));
}

/** A registry over a list of codecs, by type name. */
export function registryOf(codecs: Iterable<Codec>): Map<string, Codec> {
  const map = new Map<string, Codec>();
  for (const c of codecs) map.set(c.typeName, c);
  return map;
}

/** The built-in codecs by schema name. */
export function builtinCodecs(primitives: Iterable<Codec>): Map<string, Codec> {
  return registryOf([...primitives, AnyTypeCodec, MorefCodec]);
}
