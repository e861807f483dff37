/**
 * The built-in types and how they map to JavaScript:
 *
 * | schema         | wire              | TypeScript   | notes                                    |
 * |----------------|-------------------|--------------|------------------------------------------|
 * | Boolean        | xsd:boolean       | boolean      | reads true/false/1/0                     |
 * | Byte/Short/Int | xsd:byte/short/int| number       | integers, range-checked                  |
 * | Long           | xsd:long          | bigint       | exact over the whole int64 range         |
 * | Float/Double   | xsd:float/double  | number       | INF, -INF, NaN as in XML Schema          |
 * | String, TypeName, PropertyPath, MethodName | xsd:string | string | kept verbatim, escaped on the way out |
 * | DateTime       | xsd:dateTime      | Date         | no zone means UTC; written as ISO 8601 Z |
 * | Binary         | xsd:base64Binary  | Uint8Array   |                                          |
 */
import { ownString } from "../xml/own-string.js";
import { escapeText } from "../xml/writer.js";
import { InvalidText, type PrimitiveCodec } from "./types.js";

function primitive<T>(
  typeName: string,
  xsdType: string,
  wrapInAny: boolean,
  parse: (text: string) => T | InvalidText,
  format: (value: unknown) => string | InvalidText,
): PrimitiveCodec<T> {
  return { kind: "primitive", typeName, xsdType, wrapInAny, parse, format };
}

/** XML Schema collapses whitespace around these values. */
function trim(text: string): string {
  const c0 = text.charCodeAt(0);
  const cN = text.charCodeAt(text.length - 1);
  return c0 <= 32 || cN <= 32 ? text.trim() : text;
}

const escapeString = (value: unknown) => {
  if (typeof value !== "string")
    return new InvalidText(`expected a string, got ${describe(value)}`);
  try {
    return escapeText(value);
  } catch (e) {
    return new InvalidText((e as { reason?: string }).reason ?? String(e));
  }
};

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (value instanceof Date) return "a Date";
  if (typeof value === "object") return "an object";
  if (typeof value === "string")
    return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + "…" : value)}`;
  return `${typeof value} ${String(value)}`;
}

function integer(typeName: string, xsdType: string, min: number, max: number, wrapInAny: boolean) {
  return primitive<number>(
    typeName,
    xsdType,
    wrapInAny,
    (raw) => {
      const text = trim(raw);
      let i = 0;
      let negative = false;
      const c = text.charCodeAt(0);
      if (c === 45 /* - */ || c === 43 /* + */) {
        negative = c === 45;
        i = 1;
      }
      if (i >= text.length || text.length - i > 12)
        return new InvalidText(`'${raw}' is not an ${xsdType}`);
      let n = 0;
      for (; i < text.length; i++) {
        const d = text.charCodeAt(i) - 48;
        if (d < 0 || d > 9) return new InvalidText(`'${raw}' is not an ${xsdType}`);
        n = n * 10 + d;
      }
      if (negative) n = -n;
      if (n < min || n > max)
        return new InvalidText(`${text} is out of range for ${xsdType} (${min}..${max})`);
      return n === 0 ? 0 : n; // no -0
    },
    (value) => {
      if (typeof value !== "number" || !Number.isInteger(value)) {
        return new InvalidText(`expected an integer for ${xsdType}, got ${describe(value)}`);
      }
      if (value < min || value > max)
        return new InvalidText(`${value} is out of range for ${xsdType} (${min}..${max})`);
      return String(value);
    },
  );
}

export const BooleanCodec = primitive<boolean>(
  "Boolean",
  "boolean",
  false,
  (raw) => {
    const t = trim(raw);
    if (t === "true" || t === "1") return true;
    if (t === "false" || t === "0") return false;
    return new InvalidText(`'${raw}' is not a boolean`);
  },
  (v) =>
    typeof v === "boolean"
      ? v
        ? "true"
        : "false"
      : new InvalidText(`expected a boolean, got ${describe(v)}`),
);

export const ByteCodec = integer("Byte", "byte", -128, 127, true);
export const ShortCodec = integer("Short", "short", -32768, 32767, true);
export const IntCodec = integer("Int", "int", -2147483648, 2147483647, false);

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const LONG_TEXT = /^[+-]?[0-9]{1,19}$/;

/** Longs below this are one shared bigint each (sizes and counters are often 0 or small). */
const SMALL_LONGS = 1024;
const smallLongs: bigint[] = [];
function smallLong(n: number): bigint {
  return (smallLongs[n] ??= BigInt(n));
}

/** An optionally signed run of 1 to 15 digits as a number, or undefined. */
function smallInteger(t: string): number | undefined {
  let i = 0;
  const sign = t.charCodeAt(0);
  if (sign === 45 || sign === 43) i = 1;
  if (i === t.length) return undefined;
  let n = 0;
  for (; i < t.length; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return sign === 45 ? -n : n;
}

export const LongCodec = primitive<bigint>(
  "Long",
  "long",
  false,
  (raw) => {
    const t = trim(raw);
    // Up to 15 digits fit a double exactly: read them without a regular expression.
    const small = t.length <= 15 ? smallInteger(t) : undefined;
    if (small !== undefined)
      return small >= 0 && small < SMALL_LONGS ? smallLong(small) : BigInt(small);
    if (!LONG_TEXT.test(t)) return new InvalidText(`'${raw}' is not a long`);
    const n = BigInt(t);
    if (n < INT64_MIN || n > INT64_MAX) return new InvalidText(`${t} is out of range for long`);
    return n;
  },
  (v) => {
    let n: bigint;
    if (typeof v === "bigint") n = v;
    else if (typeof v === "number" && Number.isSafeInteger(v)) n = BigInt(v);
    else {
      return new InvalidText(
        typeof v === "number"
          ? `${v} is not a safe integer: pass a bigint for long values beyond 2^53`
          : `expected a bigint for long, got ${describe(v)}`,
      );
    }
    if (n < INT64_MIN || n > INT64_MAX) return new InvalidText(`${n} is out of range for long`);
    return n.toString();
  },
);

const DECIMAL = /^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

function floating(typeName: string, xsdType: string) {
  return primitive<number>(
    typeName,
    xsdType,
    true,
    (raw) => {
      const t = trim(raw);
      if (t === "INF" || t === "+INF") return Infinity;
      if (t === "-INF") return -Infinity;
      if (t === "NaN") return NaN;
      if (!DECIMAL.test(t)) return new InvalidText(`'${raw}' is not a ${xsdType}`);
      return Number(t);
    },
    (v) => {
      if (typeof v !== "number")
        return new InvalidText(`expected a number for ${xsdType}, got ${describe(v)}`);
      if (v === Infinity) return "INF";
      if (v === -Infinity) return "-INF";
      return Number.isNaN(v) ? "NaN" : String(v);
    },
  );
}

export const FloatCodec = floating("Float", "float");
export const DoubleCodec = floating("Double", "double");

function stringLike(typeName: string) {
  return primitive<string>(typeName, "string", false, ownString, escapeString);
}

export const StringCodec = stringLike("String");
export const TypeNameCodec = stringLike("TypeName");
export const PropertyPathCodec = stringLike("PropertyPath");
export const MethodNameCodec = stringLike("MethodName");

const DATE_TIME =
  /^(-?[0-9]{4,})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})?$/;

/** Digits of `t` from `at` to `at + n` as a number, or -1 if one is not a digit. */
function digits(t: string, at: number, n: number): number {
  let v = 0;
  for (let i = at; i < at + n; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * What servers send, `YYYY-MM-DDThh:mm:ss[.fff…](Z|±hh:mm)?` with a year from 1000, read
 * without a regular expression (listings carry thousands of these). Anything else, or
 * anything out of range, is left to the general parser (undefined).
 */
export function parseCommonDateTime(t: string): Date | undefined {
  const n = t.length;
  if (
    n < 19 ||
    t.charCodeAt(4) !== 45 ||
    t.charCodeAt(7) !== 45 ||
    t.charCodeAt(10) !== 84 ||
    t.charCodeAt(13) !== 58 ||
    t.charCodeAt(16) !== 58
  )
    return undefined;
  const y = digits(t, 0, 4);
  const mo = digits(t, 5, 2);
  const d = digits(t, 8, 2);
  const h = digits(t, 11, 2);
  const mi = digits(t, 14, 2);
  const s = digits(t, 17, 2);
  if (y < 1000 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 24) return undefined;
  if (mi < 0 || mi > 59 || s < 0 || s > 60) return undefined;
  let i = 19;
  let ms = 0;
  if (i < n && t.charCodeAt(i) === 46 /* . */) {
    const start = ++i;
    while (i < n && t.charCodeAt(i) >= 48 && t.charCodeAt(i) <= 57) i++;
    if (i === start) return undefined;
    for (let k = 0; k < 3; k++) ms = ms * 10 + (start + k < i ? t.charCodeAt(start + k) - 48 : 0);
  }
  let offset = 0;
  if (i < n) {
    const c = t.charCodeAt(i);
    if (c === 90 /* Z */ && i + 1 === n) {
      // UTC
    } else if ((c === 43 || c === 45) && i + 6 === n && t.charCodeAt(i + 3) === 58) {
      const oh = digits(t, i + 1, 2);
      const om = digits(t, i + 4, 2);
      if (oh < 0 || om < 0) return undefined;
      offset = (c === 45 ? -1 : 1) * (oh * 60 + om) * 60_000;
    } else return undefined;
  }
  return new Date(Date.UTC(y, mo - 1, d, h, mi, s, ms) - offset);
}

/** Any xsd:dateTime (the regular-expression path; exported for tests of the fast one). */
export function parseDateTimeGeneral(raw: string): Date | InvalidText {
  const m = DATE_TIME.exec(trim(raw));
  if (!m) return new InvalidText(`'${raw}' is not an xsd:dateTime`);
  const [, y, mo, d, h, mi, s, frac, zone] = m;
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  if (
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > 31 ||
    hour > 24 ||
    Number(mi) > 59 ||
    Number(s) > 60
  ) {
    return new InvalidText(`'${raw}' is not a valid date and time`);
  }
  const ms = frac ? Math.floor(Number("0" + frac) * 1000) : 0;
  const date = new Date(0);
  date.setUTCFullYear(Number(y), month - 1, day);
  date.setUTCHours(hour, Number(mi), Number(s), ms);
  let time = date.getTime();
  if (zone && zone !== "Z") {
    const sign = zone[0] === "-" ? -1 : 1;
    time -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return new Date(time);
}

export const DateTimeCodec = primitive<Date>(
  "DateTime",
  "dateTime",
  false,
  (raw) => parseCommonDateTime(raw) ?? parseDateTimeGeneral(raw),
  (v) => {
    if (!(v instanceof Date)) return new InvalidText(`expected a Date, got ${describe(v)}`);
    if (Number.isNaN(v.getTime())) return new InvalidText("the Date is invalid");
    const y = v.getUTCFullYear();
    if (y < 1 || y > 9999)
      return new InvalidText(`year ${y} is outside what xsd:dateTime carries here (1..9999)`);
    return v.toISOString();
  },
);

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export const BinaryCodec = primitive<Uint8Array>(
  "Binary",
  "base64Binary",
  false,
  (raw) => {
    const t = raw.replace(/\s+/g, "");
    if (!BASE64.test(t) || t.length % 4 === 1) return new InvalidText("not valid base64");
    const buf = Buffer.from(t, "base64");
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
  },
  (v) =>
    v instanceof Uint8Array
      ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64")
      : new InvalidText(`expected a Uint8Array, got ${describe(v)}`),
);

/** All primitives by XML Schema local name, for xsi:type="xsd:…" in anyType slots. */
export const primitivesByXsdType: ReadonlyMap<string, PrimitiveCodec> = new Map<
  string,
  PrimitiveCodec
>([
  ["boolean", BooleanCodec],
  ["byte", ByteCodec],
  ["short", ShortCodec],
  ["int", IntCodec],
  ["long", LongCodec],
  ["float", FloatCodec],
  ["double", DoubleCodec],
  ["string", StringCodec],
  ["dateTime", DateTimeCodec],
  ["base64Binary", BinaryCodec],
]);

/** Element names used inside ArrayOfX wrappers of primitives (ArrayOfString holds <string>). */
export const primitiveArrays: ReadonlyMap<string, PrimitiveCodec> = new Map<string, PrimitiveCodec>(
  [
    ["ArrayOfBoolean", BooleanCodec],
    ["ArrayOfByte", ByteCodec],
    ["ArrayOfShort", ShortCodec],
    ["ArrayOfInt", IntCodec],
    ["ArrayOfLong", LongCodec],
    ["ArrayOfFloat", FloatCodec],
    ["ArrayOfDouble", DoubleCodec],
    ["ArrayOfString", StringCodec],
    ["ArrayOfDateTime", DateTimeCodec],
    ["ArrayOfBase64Binary", BinaryCodec],
  ],
);

/** All primitives by schema name (Int, String, …). */
export const primitivesBySchemaName: ReadonlyMap<string, PrimitiveCodec> = new Map<
  string,
  PrimitiveCodec
>(
  [
    BooleanCodec,
    ByteCodec,
    ShortCodec,
    IntCodec,
    LongCodec,
    FloatCodec,
    DoubleCodec,
    StringCodec,
    TypeNameCodec,
    PropertyPathCodec,
    MethodNameCodec,
    DateTimeCodec,
    BinaryCodec,
  ].map((c) => [c.typeName, c]),
);
