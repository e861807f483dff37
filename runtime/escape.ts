/**
 * libvirt's escaping rules and small parsers, giving its results byte for byte, with the
 * inverses where one exists. All work on UTF-8 bytes, as libvirt's C code does.
 */
import { EsxViError } from "./errors.js";

export class EscapeError extends EsxViError {}

const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder("utf-8", { fatal: true });

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, "0");
}

/**
 * Replace `escapeChar` and every character of `specials` by `escapeChar` + two lowercase
 * hex digits. Everything else passes through.
 */
export function escapeHex(s: string, escapeChar: string, specials: string): string {
  let out = "";
  for (const ch of s) {
    out += ch === escapeChar || specials.includes(ch) ? escapeChar + hex2(ch.charCodeAt(0)) : ch;
  }
  return out;
}

/** Undo escapeHex: `escapeChar` + two hex digits (either case) → that byte. */
export function unescapeHex(s: string, escapeChar: string): string {
  if (!s.includes(escapeChar)) return s;
  const bytes: number[] = [];
  const raw = utf8.encode(s);
  const esc = escapeChar.charCodeAt(0);
  for (let i = 0; i < raw.length; i++) {
    if (raw[i] !== esc) {
      bytes.push(raw[i]!);
      continue;
    }
    const h = String.fromCharCode(raw[i + 1] ?? 0, raw[i + 2] ?? 0);
    if (!/^[0-9a-fA-F]{2}$/.test(h)) {
      throw new EscapeError(
        `'${escapeChar}' at offset ${i} of '${s}' is not followed by two hex digits`,
      );
    }
    bytes.push(parseInt(h, 16));
    i += 2;
  }
  try {
    return fromUtf8.decode(new Uint8Array(bytes));
  } catch {
    throw new EscapeError(`'${s}' unescapes to bytes that are not UTF-8`);
  }
}

/** VM names as ESX stores them: `%`, `/` and `\` as `%xx`. `a/b` → `a%2fb`. */
export const escapePercent = (s: string) => escapeHex(s, "%", "/\\");
export const unescapePercent = (s: string) => unescapeHex(s, "%");

/** The VMX pipe form: `|` and `"` as `|xx`. `say "hi"` → `say |22hi|22`. */
export const escapePipe = (s: string) => escapeHex(s, "|", '"');
export const unescapePipe = (s: string) => unescapeHex(s, "|");

/** A VMX `displayName`: percent(pipe(name)). */
export const escapeVmxDisplayName = (name: string) => escapePercent(escapePipe(name));
export const unescapeVmxDisplayName = (value: string) => unescapePipe(unescapePercent(value));

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

function isNormal(byte: number): boolean {
  return (
    (byte >= 0x41 && byte <= 0x5a) || // A-Z
    (byte >= 0x61 && byte <= 0x7a) || // a-z
    (byte >= 0x30 && byte <= 0x39) || // 0-9
    byte === 0x27 || // '
    byte === 0x28 || // (
    byte === 0x29 || // )
    byte === 0x2c || // ,
    byte === 0x2e || // .
    byte === 0x20 || // space
    byte === 0x5f || // _
    byte === 0x2d // -
  );
}

/**
 * VMware's base64 escaping of datastore item names: each run of bytes outside
 * `[A-Za-z0-9'(),. _-]` becomes `+` + base64 of the run (alphabet with `,` for `/`, no
 * padding), closed by `-` only when more input follows.
 */
export function escapeBase64(s: string): string {
  const bytes = utf8.encode(s);
  let out = "";
  let i = 0;
  while (i < bytes.length) {
    if (isNormal(bytes[i]!)) {
      out += String.fromCharCode(bytes[i]!);
      i++;
      continue;
    }
    let j = i;
    while (j < bytes.length && !isNormal(bytes[j]!)) j++;
    out += "+";
    for (let k = i; k < j; k += 3) {
      const b0 = bytes[k]!;
      const b1 = k + 1 < j ? bytes[k + 1]! : undefined;
      const b2 = k + 2 < j ? bytes[k + 2]! : undefined;
      out += BASE64_ALPHABET[b0 >> 2];
      out += BASE64_ALPHABET[((b0 & 3) << 4) | ((b1 ?? 0) >> 4)];
      if (b1 !== undefined) out += BASE64_ALPHABET[((b1 & 15) << 2) | ((b2 ?? 0) >> 6)];
      if (b2 !== undefined) out += BASE64_ALPHABET[b2 & 63];
    }
    if (j < bytes.length) out += "-";
    i = j;
  }
  return out;
}

/** The inverse of escapeBase64. */
export function unescapeBase64(s: string): string {
  const bytes: number[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x2b /* + */) {
      if (c > 0x7f || !isNormal(c))
        throw new EscapeError(
          `'${s[i]}' at offset ${i} of '${s}' cannot appear in an escaped name`,
        );
      bytes.push(c);
      i++;
      continue;
    }
    let j = i + 1;
    let bits = 0;
    let nbits = 0;
    while (j < s.length && s[j] !== "-") {
      const v = BASE64_ALPHABET.indexOf(s[j]!);
      if (v < 0) break;
      bits = (bits << 6) | v;
      nbits += 6;
      if (nbits >= 8) {
        nbits -= 8;
        bytes.push((bits >> nbits) & 0xff);
      }
      j++;
    }
    if (j === i + 1) throw new EscapeError(`empty base64 run at offset ${i} of '${s}'`);
    if (j < s.length && s[j] !== "-")
      throw new EscapeError(`base64 run at offset ${i} of '${s}' is not closed by '-'`);
    i = j < s.length ? j + 1 : j;
  }
  try {
    return fromUtf8.decode(new Uint8Array(bytes));
  } catch {
    throw new EscapeError(`'${s}' decodes to bytes that are not UTF-8`);
  }
}

/** `"` `*` `<` `>` `:` `|` `?` → `_` (slashes stay). Not invertible. */
export function replaceSpecialWindowsPathChars(s: string): string {
  return s.replace(/["*<>:|?]/g, "_");
}

/**
 * A datastore item name (a file or directory created for a domain or volume):
 * Windows specials → `_`, then percent escaping, then base64 escaping. Not invertible
 * (the first step loses information); names shown to users come from the server.
 */
export function escapeDatastoreItem(s: string): string {
  return escapeBase64(escapePercent(replaceSpecialWindowsPathChars(s)));
}

/** libvirt's URI encoding: ASCII letters and digits pass, every other byte is `%xx` lowercase. */
export function uriEncode(s: string): string {
  let out = "";
  for (const b of utf8.encode(s)) {
    out +=
      (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || (b >= 0x30 && b <= 0x39)
        ? String.fromCharCode(b)
        : "%" + hex2(b);
  }
  return out;
}

export interface DatastorePath {
  datastore: string;
  /** The directory part, without a trailing slash; "" when the path has no directory. */
  directory: string;
  /** The path inside the datastore (directory and file), as given after the brackets. */
  path: string;
}

/**
 * `[datastore] dir/file` → its parts. Unlike libvirt, a missing `]` is an error and a
 * path without a `/` has directory "" (libvirt returned the file name there).
 */
export function parseDatastorePath(s: string): DatastorePath {
  if (!s.startsWith("[")) throw new EscapeError(`datastore path '${s}' does not start with '['`);
  const close = s.indexOf("]");
  if (close < 0) throw new EscapeError(`datastore path '${s}' has no ']'`);
  if (close === 1) throw new EscapeError(`datastore path '${s}' has an empty datastore name`);
  const datastore = s.slice(1, close);
  const path = s.slice(close + 1).replace(/^ +/, "");
  const slash = path.lastIndexOf("/");
  return { datastore, directory: slash < 0 ? "" : path.slice(0, slash), path };
}

/** `[datastore] path`, or `[datastore]` for the root. */
export function formatDatastorePath(datastore: string, path = ""): string {
  if (datastore === "" || /[[\]]/.test(datastore))
    throw new EscapeError(`invalid datastore name '${datastore}'`);
  return path === "" ? `[${datastore}]` : `[${datastore}] ${path}`;
}

/** A VM id from `42` or `vm-42` (the managed object reference value); must be > 0. */
export function parseVirtualMachineId(s: string): number {
  const m = /^(?:vm-)?([0-9]+)$/.exec(s);
  const id = m ? Number(m[1]) : NaN;
  if (!Number.isSafeInteger(id) || id <= 0)
    throw new EscapeError(`'${s}' is not a virtual machine id`);
  return id;
}

/**
 * A UUID in any of VMware's spellings (hex pairs, optionally separated by dashes or
 * spaces) → canonical lowercase 8-4-4-4-12.
 */
export function reformatUuid(s: string): string {
  const pairs: string[] = [];
  let i = 0;
  const text = s.trim();
  while (i < text.length) {
    const c = text[i]!;
    if (c === "-" || c === " ") {
      i++;
      continue;
    }
    const pair = text.slice(i, i + 2);
    if (!/^[0-9a-fA-F]{2}$/.test(pair)) throw new EscapeError(`'${s}' is not a UUID`);
    pairs.push(pair.toLowerCase());
    i += 2;
  }
  if (pairs.length !== 16)
    throw new EscapeError(`'${s}' is not a UUID (${pairs.length} bytes, expected 16)`);
  const h = pairs.join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** `…/folder/<path>?dcPath=<datacenter path>&dsName=<datastore>` for datastore file transfer. */
export function datastoreFileUrl(
  base: string,
  datacenterPath: string,
  datastore: string,
  path: string,
): string {
  return `${base.replace(/\/+$/, "")}/folder/${uriEncode(path)}?dcPath=${uriEncode(datacenterPath)}&dsName=${uriEncode(datastore)}`;
}

/** `…/screen?id=<vm reference value>` for a VM's screenshot (PNG). */
export function screenshotUrl(base: string, vmReferenceValue: string): string {
  return `${base.replace(/\/+$/, "")}/screen?id=${uriEncode(vmReferenceValue)}`;
}
