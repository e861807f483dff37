/**
 * What the generated code describes and the runtime walks: one codec per schema type.
 * Generated codecs reference each other directly (not by name through a global table),
 * so a bundler keeps only the codecs a program can reach.
 */
export type Occurrence = "r" | "rl" | "o" | "ol";

/** A reference to a server-side managed object. `T` names its managed type. */
export interface ManagedObjectReference<T extends string = string> {
  type: T;
  value: string;
}

/**
 * A value in an `xsd:anyType` slot whose JavaScript form alone would not say which
 * wire type it has: xsd:short/byte/float/double numbers, enum values, ArrayOfX lists.
 * Keeping `$type` means such a value is sent back exactly as it came.
 */
export interface TypedValue<V = unknown> {
  $type: string;
  value: V;
}

/** A data object of a type this schema does not know (from a newer server), kept whole. */
export interface UntypedRecord {
  $type?: string;
  [element: string]: unknown;
}

/**
 * What an anyType slot holds. Plain JS values stand for the wire types they map to
 * unambiguously: string → xsd:string, number (integer) → xsd:int, bigint → xsd:long,
 * boolean, Date → xsd:dateTime, Uint8Array → xsd:base64Binary; objects carry `$type`.
 */
export type AnyValue =
  | string
  | number
  | bigint
  | boolean
  | Date
  | Uint8Array
  | ManagedObjectReference
  | TypedValue
  | UntypedRecord
  | { $type?: string };

export interface PrimitiveCodec<T = unknown> {
  readonly kind: "primitive";
  /** Schema name: Int, String, DateTime… */
  readonly typeName: string;
  /** Local name of the XML Schema type: int, string, dateTime… */
  readonly xsdType: string;
  /** Whether anyType decoding wraps this in a TypedValue (its JS form is ambiguous). */
  readonly wrapInAny: boolean;
  /** Text → value; a message (not an exception) when the text is not valid. */
  parse(text: string): T | InvalidText;
  /** Value → escaped text; a message when the value cannot be written as this type. */
  format(value: unknown): string | InvalidText;
}

/** Returned by parse/format instead of throwing, so callers can add the path. */
export class InvalidText {
  constructor(readonly reason: string) {}
}

export interface EnumCodec<T extends string = string> {
  readonly kind: "enum";
  readonly typeName: string;
  readonly values: readonly T[];
  readonly valueSet: ReadonlySet<string>;
  /** The listed value equal to `text` (one shared string per value), or undefined. */
  listed(text: string): T | undefined;
  /** The listed value whose characters are the ASCII bytes[start, end), or undefined. */
  listedAt(bytes: Uint8Array, start: number, end: number): T | undefined;
}

export interface ReferenceCodec {
  readonly kind: "moref";
  readonly typeName: "ManagedObjectReference";
}

export interface AnyCodec {
  readonly kind: "any";
  readonly typeName: "AnyType";
}

export interface FieldSpec {
  readonly name: string;
  readonly codec: Codec;
  readonly list: boolean;
  readonly required: boolean;
  /** The DSL's occurrence: r, rl, o or ol (list and required together). */
  readonly occurrence: Occurrence;
  /**
   * Position in the wire order of the type declaring it (the same in every subtype, as
   * inherited members come first); -1 until that type's codec is first used.
   */
  index: number;
}

/**
 * A data object type as a table: its members in wire order, which the runtime's writer
 * (encode.ts) and reader (decode.ts) walk. `T`, the TypeScript type of its values, is
 * type-level only: it lets isInstanceOf narrow a value to it.
 */
// eslint-disable-next-line @typescript-eslint/no-unused-vars
export interface ObjectCodec<T = any> {
  readonly kind: "object";
  readonly typeName: string;
  readonly base: ObjectCodec | undefined;
  readonly isFault: boolean;
  /** Own and inherited members, wire order. */
  readonly fields: readonly FieldSpec[];
  /** Members by element name. */
  readonly fieldMap: ReadonlyMap<string, FieldSpec>;
  /** Names of required members, checked after decoding. */
  readonly requiredFields: readonly string[];
  /**
   * Names of every transitive subtype: the xsi:type values a slot of this type accepts.
   * Names, not codecs: a subtype's codec is looked up in the registry when one is met,
   * so a program bundles only the codecs of the types it declares it uses.
   */
  readonly subtypes: ReadonlySet<string>;
  /** A new plain object `{ $type: typeName }` for the decoder to fill. */
  readonly newValue: () => { $type: string };
  /**
   * The members, their map, the required names and the value maker at once: what the
   * decoder reads for every value. A method rather than getters on purpose (see define.ts).
   */
  layout(): ObjectLayout;
}

/** What an ObjectCodec resolves to on first use. */
export interface ObjectLayout {
  readonly base: ObjectCodec | undefined;
  readonly fields: readonly FieldSpec[];
  readonly fieldMap: ReadonlyMap<string, FieldSpec>;
  readonly requiredFields: readonly string[];
  readonly newValue: () => { $type: string };
  /**
   * Each member's element name as bytes (undefined for a name that is not ASCII), which
   * the decoder compares in place with a response's bytes (see StreamDecoder.memberRun).
   */
  readonly nameBytes: readonly (Uint8Array | undefined)[];
}

export type Codec = PrimitiveCodec | EnumCodec | ReferenceCodec | AnyCodec | ObjectCodec;

/** Looks codecs up by wire type name, for anyType slots and unexpected subtypes. */
export interface TypeRegistry {
  get(typeName: string): Codec | undefined;
}
