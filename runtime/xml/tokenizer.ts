/**
 * A streaming, namespace-aware XML tokenizer: bytes in (in any chunking), events out.
 *
 * Why our own: responses must decode while they arrive, without a DOM, and fast
 * (see README, Performance). It implements what SOAP needs and refuses the rest:
 * elements, attributes, namespaces, text with the five predefined entities and
 * character references, CDATA, comments and processing instructions. A DOCTYPE is
 * an error, so no entity can ever be declared or expanded.
 */
import { isAscii } from "node:buffer";
import { XmlSyntaxError } from "../errors.js";
import { ownString } from "./own-string.js";

export const XML_NS = "http://www.w3.org/XML/1998/namespace";
const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";

/** Receives events. Attributes are readable through the tokenizer during `openElement`. */
export interface XmlHandler {
  openElement(ns: string, local: string, tokenizer: XmlTokenizer): void;
  /** Character data of the current element; may arrive in several pieces. */
  text(text: string): void;
  closeElement(): void;
  /**
   * Optional fast path for a whole leaf element, `<local …>text</local>` with nothing
   * inside but text, seen at once (attributes are readable through the tokenizer).
   * Equivalent to openElement + text + closeElement. The text is read through the
   * tokenizer, only if wanted: `leafText()` to parse it, `ownLeafText()` to keep it.
   */
  leafElement?(ns: string, local: string, tokenizer: XmlTokenizer): void;
  /**
   * Optional fast path for a run of elements, called at a start tag inside the current
   * element when the text being read is ASCII: `bytes[i]` is `buf`'s character i, and
   * `buf[pos]` is the tag's '<'. It reads as many whole leaves `<name>text</name>` (each
   * one's text made readable by `tokenizer.leafAt`, as for leafElement), start tags
   * (recorded with `tokenizer.openInRun` or `openInRunWithAttributes`, then handled as
   * openElement or leafElement would be) and end tags (`tokenizer.closeNamedInRun` or
   * `closeInRun`) as it recognises, one after another, and returns the position after the
   * last, or `pos` when it read none; or -1 when the buffer ends inside what it would read
   * and `tokenizer.holding` is true: the rest is then read again with more input.
   */
  memberRun?(buf: string, bytes: Uint8Array, pos: number, tokenizer: XmlTokenizer): number;
}

const enum Ch {
  Tab = 9,
  Lf = 10,
  Cr = 13,
  Space = 32,
  Quote = 34,
  Amp = 38,
  Apos = 39,
  Slash = 47,
  Colon = 58,
  Lt = 60,
  Eq = 61,
  Gt = 62,
  Question = 63,
  Bang = 33,
}

const MAX_PENDING = 64 * 1024 * 1024; // one tag or entity larger than this is not SOAP
/**
 * While less than this is waiting in the buffer, an element or text the buffer ends in is
 * held back until more input arrives, and then read whole (see run).
 */
const MAX_HELD = 1024 * 1024;

/**
 * Namespace bindings in scope beyond which a prefix is found through an index, not a scan
 * (a scan for each prefixed name made many declarations quadratic: 100,000 of them and
 * 100,000 elements named with the outermost prefix took 115 s).
 */
const SCANNED_BINDINGS = 32;
/** Attributes of one tag beyond which a duplicate is found through a set, not a scan. */
const SCANNED_ATTRIBUTES = 16;

const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

/** For ASCII: 0 a name character, 1 ends a name (space, '>', '/', '='), 2 cannot be in a name. */
const NAME_CLASS = /* @__PURE__ */ (() => {
  const t = new Uint8Array(128);
  for (const c of [Ch.Space, Ch.Tab, Ch.Lf, Ch.Cr, Ch.Gt, Ch.Slash, Ch.Eq]) t[c] = 1;
  for (const c of [Ch.Lt, Ch.Quote, Ch.Apos]) t[c] = 2;
  return t;
})();

function isSpace(c: number): boolean {
  return c === Ch.Space || c === Ch.Lf || c === Ch.Tab || c === Ch.Cr;
}

function isXmlChar(cp: number): boolean {
  return (
    cp === 0x9 ||
    cp === 0xa ||
    cp === 0xd ||
    (cp >= 0x20 && cp <= 0xd7ff) ||
    (cp >= 0xe000 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0x10ffff)
  );
}

/** Attribute lists longer than this are parsed every time (and the cache stays small). */
const MAX_CACHED_ATTRIBUTES = 256;
/** Cached attribute lists of one length at most (the cache holds at most 256 × 8). */
const MAX_SAME_LENGTH = 8;

/** A start tag's attributes, with what the tokenizer derives from them worked out once. */
interface AttributeList {
  /** From after the element name up to (not including) the tag's '>'; "" if not cached. */
  text: string;
  names: string[];
  values: string[];
  selfClosing: boolean;
  /** xmlns="…" */
  defaultNs: string | undefined;
  /** xmlns:prefix="uri" declarations. */
  prefixes: string[];
  uris: string[];
  /** The unprefixed `type` (a ManagedObjectReference's). */
  type: string | undefined;
  /** Attributes `p:type` that are xsi:type when `p` is bound to the XSI namespace. */
  typePrefixes: string[];
  typeValues: string[];
  /** The next cached list with text of the same length. */
  next: AttributeList | undefined;
}

/**
 * An attribute's name or value kept beyond its chunk: internalized (as property keys are),
 * so equal strings are one object and comparing them (prefix lookups, map keys) compares
 * pointers. A long one, which no cached list holds, is only copied.
 */
function keepAttributeText(text: string): string {
  if (text.length > MAX_CACHED_ATTRIBUTES) return ownString(text);
  for (const key in { [text]: 0 }) return key;
  return text;
}

/**
 * bytes[start, end) as a Latin-1 string. Node's Buffer method behind
 * `toString("latin1", start, end)` is called directly: toString's argument handling costs
 * more than the copy itself for short texts (perf). It is not documented, so a runtime
 * without it gets toString.
 */
function latin1(bytes: Buffer, start: number, end: number): string {
  return HAS_LATIN1_SLICE
    ? (bytes as unknown as Latin1Slicer).latin1Slice(start, end)
    : bytes.toString("latin1", start, end);
}

interface Latin1Slicer {
  latin1Slice(start: number, end: number): string;
}

const HAS_LATIN1_SLICE =
  typeof (Buffer.prototype as Partial<Latin1Slicer>).latin1Slice === "function";

/** Does `buf` hold `name` at `at`? (A loop: startsWith costs a call into the runtime.) */
function sameAt(buf: string, at: number, name: string): boolean {
  for (let k = 0; k < name.length; k++) {
    if (buf.charCodeAt(at + k) !== name.charCodeAt(k)) return false;
  }
  return true;
}

/** How many leading bytes of `bytes` are whole UTF-8 sequences (a split one stays out). */
function completeUtf8Length(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let back = 1; back <= 4 && back <= n; back++) {
    const b = bytes[n - back]!;
    if (b < 0x80) return n; // ASCII: whatever precedes it is complete or invalid
    if (b >= 0xf8) return n; // never a lead byte: invalid, and the decoder says so
    if (b >= 0xc0) {
      const need = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
      return back < need ? n - back : n;
    }
  }
  return n; // only continuation bytes: invalid, and the decoder says so
}

const NO_BYTES = new Uint8Array(0);

export class XmlTokenizer {
  private buf = "";
  private pos = 0;
  private readonly decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  /** Bytes received and not consumed yet (an incomplete tag or UTF-8 sequence), in pending[0, pendingLength). */
  private pending = NO_BYTES;
  private pendingLength = 0;
  /**
   * Text written as strings and not consumed yet. Kept as text, not as UTF-8 bytes: a string
   * chunk may end in the first half of a surrogate pair, which alone has no UTF-8 form.
   */
  private pendingText = "";
  /**
   * How much the last run left unconsumed (bytes, or characters of pendingText). Input is
   * not read again until as much again has arrived (see write).
   */
  private leftByRun = 0;
  private buffered = 0;
  /**
   * The bytes `buf` was decoded from, when they are all ASCII (one byte per character):
   * text is then copied straight out of them, see ownedText.
   */
  private asciiBytes: Buffer | undefined;
  /** See nextSpecial: positions in `buf` of the next '&' and CR (-1: not searched yet). */
  private ampAt = -1;
  private crAt = -1;
  /** During a run: hold back an element or text the buffer ends in (see run). */
  private holdIncomplete = false;
  /**
   * For memberRun: an element the buffer ends in may be left for the next chunk, which is
   * then read after it (see run).
   */
  get holding(): boolean {
    return this.holdIncomplete;
  }
  private ended = false;
  private started = false;
  private sawRoot = false;

  /**
   * Raw qualified names of open elements, for end-tag matching and error paths: the first
   * `depth` slots (those above are stale). A counter rather than push and pop, which V8
   * compiled to builtin calls here (perf: Builtins_ArrayPrototypePush under startTag).
   */
  private readonly openNames: string[] = [];
  private depth = 0;
  /** Default namespace per depth (index = depth of the element; entries above the current depth are stale). */
  private readonly defaultNs: string[] = [""];
  /** Prefix bindings as parallel stacks, innermost last: the depth that declared each, prefix, URI. */
  private readonly bindingDepth: number[] = [];
  private readonly bindingPrefix: string[] = [];
  private readonly bindingUri: string[] = [];
  private bindingCount = 0;
  /**
   * With more than SCANNED_BINDINGS in scope: each prefix's innermost binding, and for each
   * binding the one of the same prefix it hides (or -1), restored when it goes out of scope.
   */
  private bindingIndex: Map<string, number> | undefined;
  private readonly bindingHidden: number[] = [];

  /**
   * Of the element being opened (valid during openElement): the raw value of its
   * xsi:type attribute (prefix resolved by namespace, whatever its spelling) and of its
   * unprefixed `type` attribute. Resolved once here because every decoder needs them.
   */
  xsiType: string | undefined;
  typeAttribute: string | undefined;
  /** Where the start tag being handled begins in buf (for errors found while handling it). */
  private tagStart = 0;
  /** Of the leaf element being reported: its text is buf[leafStart, leafEnd) or leafNormalized. */
  private leafStart = 0;
  private leafEnd = 0;
  /** The leaf's text when it had references or CRs to resolve (then a string of its own). */
  private leafNormalized: string | undefined;
  /** Filled by resolveQNameInto. */
  qnameNs = "";
  qnameLocal = "";

  /** Attributes of the element being opened (valid during openElement only). */
  private openAttributes: AttributeList | undefined;
  /** Filled by `attributes` for describeAttributes. */
  private readonly parsedNames: string[] = [];
  /** The names parsed, as a set, in a tag with more than SCANNED_ATTRIBUTES. */
  private parsedNameSet: Set<string> | undefined;
  private readonly parsedValues: string[] = [];
  private parsedCount = 0;
  private parsedSelfClosing = false;
  /**
   * Parsed attribute lists by the length of their text, each length a short chain (see
   * startTag): lists of one length are common (xsi:type values of one length on the
   * elements of a device list), and with one list per length they evicted each other.
   */
  private readonly attributeCache = new Map<number, AttributeList>();

  /** The cached list whose text is buf[i, gt), moved to the front of its chain; or undefined. */
  private cachedAttributes(buf: string, i: number, gt: number): AttributeList | undefined {
    if (gt - i > MAX_CACHED_ATTRIBUTES) return undefined; // never cached
    const first = this.attributeCache.get(gt - i);
    if (first === undefined) return undefined;
    // (slice and === compare natively; startsWith is far slower here)
    const text = buf.slice(i, gt);
    if (text === first.text) return first;
    for (let before = first, list = first.next; list !== undefined; list = list.next) {
      if (text === list.text) {
        before.next = list.next;
        list.next = first;
        this.attributeCache.set(gt - i, list);
        return list;
      }
      before = list;
    }
    return undefined;
  }

  /** Put `list` at the front of its length's chain, dropping the chain's last beyond the limit. */
  private cacheAttributes(list: AttributeList): void {
    const length = list.text.length;
    list.next = this.attributeCache.get(length);
    this.attributeCache.set(length, list);
    let kept = 1;
    for (let l = list; l.next !== undefined; l = l.next) {
      if (++kept > MAX_SAME_LENGTH) {
        l.next = undefined;
        break;
      }
    }
  }

  /** Lines in text already dropped from `buf`, for error positions. */
  private linesBefore = 1;
  private lastLineStartBefore = 0;
  private consumedChars = 0;

  constructor(private readonly handler: XmlHandler) {}

  /** Characters put into the buffer so far, input read again counted again (see write). */
  get charsBuffered(): number {
    return this.buffered;
  }

  /**
   * Feed bytes or text.
   *
   * What a run leaves unconsumed (a token or a held text the input ends in) is read again,
   * from its start, with the input that follows. So that a long one arriving in small chunks
   * costs linear time, not quadratic, it is read again only once the input after it is as
   * long as itself (or at the end): each read then at least doubles what is read.
   */
  write(chunk: Uint8Array | string): void {
    if (this.ended) throw this.error("write after end");
    if (typeof chunk === "string") {
      if (this.pendingLength > 0) this.decodePending();
      let text = chunk;
      if (this.pendingText.length > 0) {
        text = this.pendingText + chunk;
        if (this.waitForMore(text.length)) {
          this.pendingText = text;
          return;
        }
        this.pendingText = "";
      }
      this.append(text);
      this.run(false);
      this.keepRest(undefined, 0);
      return;
    }
    if (this.pendingText.length > 0) this.pendingTextAsBytes();
    // Bytes not consumed by the last run are decoded again with the new chunk, so that
    // `buf` is always one flat string: concatenated strings make every read go through a rope.
    let source = chunk;
    if (this.pendingLength > 0) {
      const length = this.pendingLength + chunk.length;
      this.reservePending(length);
      this.pending.set(chunk, this.pendingLength);
      if (this.waitForMore(length)) {
        this.pendingLength = length;
        return;
      }
      source = this.pending.subarray(0, length);
    }
    const end = completeUtf8Length(source);
    this.appendBytes(Buffer.from(source.buffer, source.byteOffset, end), false);
    this.run(false);
    this.keepRest(source, end);
  }

  /**
   * Whether input of `length`, begun by what the last run left, waits for more (see write).
   * Not past the limits a run goes by: a text held past MAX_HELD is passed on, and a token
   * past MAX_PENDING refused, as soon as they are reached.
   */
  private waitForMore(length: number): boolean {
    return (
      length < 2 * this.leftByRun &&
      length <= MAX_PENDING &&
      (length <= MAX_HELD || this.leftByRun > MAX_HELD)
    );
  }

  /** Text written as strings, then bytes: the text becomes pending bytes before them. */
  private pendingTextAsBytes(): void {
    const last = this.pendingText.charCodeAt(this.pendingText.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) {
      // Its other half cannot come as bytes; UTF-8 would make it U+FFFD.
      throw this.error("text written as a string ends in half a surrogate pair, and bytes follow");
    }
    const bytes = Buffer.from(this.pendingText, "utf8");
    this.pendingText = "";
    this.reservePending(bytes.length);
    this.pending.set(bytes, 0);
    this.pendingLength = bytes.length;
  }

  /** After the end: its buffer for pending bytes dropped (see StreamDecoder.release). */
  release(): void {
    this.pending = NO_BYTES;
    this.pendingLength = 0;
    this.pendingText = "";
  }

  /** No more input: everything must be complete and closed. */
  end(): void {
    if (this.ended) return;
    if (this.pendingText.length > 0) {
      const text = this.pendingText;
      this.pendingText = "";
      this.append(text);
    } else if (this.pendingLength > 0) {
      // Held bytes (an item a recording waited for, a leaf) are read as write reads a chunk.
      const bytes = Buffer.from(this.pending.buffer, this.pending.byteOffset, this.pendingLength);
      this.pendingLength = 0;
      this.appendBytes(bytes, true);
    }
    this.run(true);
    this.asciiBytes = undefined;
    this.ended = true;
    if (this.pos < this.buf.length) {
      throw this.error("unexpected end of input inside markup");
    }
    if (this.depth > 0) {
      throw this.error(
        `unexpected end of input: <${this.openNames[this.depth - 1]}> is not closed`,
      );
    }
    if (!this.sawRoot) throw this.error("no root element");
  }

  private decode(bytes: Uint8Array, final: boolean): string {
    try {
      return this.decoder.decode(bytes);
    } catch {
      throw this.error(final ? "invalid UTF-8 at end of input" : "invalid UTF-8");
    }
  }

  /**
   * Complete UTF-8 `bytes` into `buf`. ASCII (SOAP nearly always is) is its own UTF-8
   * decoding: copied, not decoded, and its bytes kept for runs (asciiBytes).
   */
  private appendBytes(bytes: Buffer, final: boolean): void {
    const ascii = isAscii(bytes);
    const text = ascii ? latin1(bytes, 0, bytes.length) : this.decode(bytes, final);
    this.append(text);
    if (ascii && this.buf === text) this.asciiBytes = bytes;
  }

  /** All pending bytes into `buf`, as text only (a string follows them): complete UTF-8 now. */
  private decodePending(): void {
    const text = this.decode(this.pending.subarray(0, this.pendingLength), true);
    this.pendingLength = 0;
    this.append(text);
  }

  private append(text: string): void {
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    this.compact();
    this.buffered += text.length;
    this.buf = this.buf.length === 0 ? text : this.buf + text;
    // Searched now, once per chunk, rather than on the first leaf: there the search would
    // run only once per chunk and V8 would optimize the leaf path without having seen it.
    const buf = this.buf;
    const amp = buf.indexOf("&");
    const cr = buf.indexOf("\r");
    this.ampAt = amp < 0 ? buf.length : amp;
    this.crAt = cr < 0 ? buf.length : cr;
  }

  /**
   * After a run: what it did not consume becomes pending bytes again, followed by the
   * bytes of `source` from `end` on (an incomplete UTF-8 sequence) when the input was bytes.
   */
  private keepRest(source: Uint8Array | undefined, end: number): void {
    this.asciiBytes = undefined;
    if (this.buf.length - this.pos > MAX_PENDING) throw this.error("token too large");
    this.compact();
    const rest = this.buf;
    this.buf = "";
    if (source === undefined) {
      this.pendingText = rest;
      this.leftByRun = rest.length;
      return;
    }
    // The rest is the tail of the decoded bytes: find where it starts in `source`.
    const from = end - (rest.length === 0 ? 0 : Buffer.byteLength(rest, "utf8"));
    const length = source.length - from;
    this.leftByRun = length;
    if (length === 0) this.pendingLength = 0;
    else if (source.buffer === this.pending.buffer) {
      this.pending.copyWithin(0, from, source.length);
      this.pendingLength = length;
    } else {
      this.reservePending(length);
      this.pending.set(source.subarray(from), 0);
      this.pendingLength = length;
    }
  }

  /** Room for `size` pending bytes, keeping those there. */
  private reservePending(size: number): void {
    if (size <= this.pending.length) return;
    const grown = new Uint8Array(Math.max(size, this.pending.length * 2));
    grown.set(this.pending.subarray(0, this.pendingLength), 0);
    this.pending = grown;
  }

  /** The value of an attribute of the element being opened, by namespace and local name. */
  attribute(ns: string, local: string): string | undefined {
    const list = this.openAttributes;
    if (list === undefined) return undefined;
    for (let i = 0; i < list.names.length; i++) {
      const name = list.names[i]!;
      const colon = name.indexOf(":");
      if (colon < 0) {
        // Unprefixed attributes have no namespace (not the default one).
        if (ns === "" && name === local) return list.values[i];
      } else if (name.slice(colon + 1) === local && name.slice(0, colon) !== "xmlns") {
        if (this.lookupPrefix(name.slice(0, colon)) === ns) return list.values[i];
      }
    }
    return undefined;
  }

  /** Resolve a QName found in content (such as an xsi:type value) in the current scope. */
  resolveQName(qname: string): { ns: string; local: string } {
    this.resolveQNameInto(qname);
    return { ns: this.qnameNs, local: this.qnameLocal };
  }

  /** resolveQName without allocating: the result is in qnameNs and qnameLocal. */
  resolveQNameInto(qname: string): void {
    const colon = qname.indexOf(":");
    if (colon < 0) {
      this.qnameNs = this.defaultNs[this.depth] ?? "";
      this.qnameLocal = qname;
      return;
    }
    const prefix = qname.slice(0, colon);
    const ns = this.lookupPrefix(prefix);
    if (ns === undefined)
      throw this.error(`undeclared namespace prefix '${prefix}' in '${qname}'`, this.tagStart);
    this.qnameNs = ns;
    this.qnameLocal = qname.slice(colon + 1);
  }

  /** Slash-separated names of the open elements, for messages. */
  elementPath(): string {
    return this.openNames.slice(0, this.depth).join("/");
  }

  private lookupPrefix(prefix: string): string | undefined {
    if (prefix === "xml") return XML_NS;
    const index = this.bindingIndex;
    if (index !== undefined) {
      const i = index.get(prefix);
      return i === undefined ? undefined : this.bindingUri[i];
    }
    for (let i = this.bindingCount - 1; i >= 0; i--)
      if (this.bindingPrefix[i] === prefix) return this.bindingUri[i];
    return undefined;
  }

  private compact(): void {
    if (this.pos === 0) return;
    const dropped = this.buf.slice(0, this.pos);
    for (let i = dropped.indexOf("\n"); i >= 0; i = dropped.indexOf("\n", i + 1)) {
      this.linesBefore++;
      this.lastLineStartBefore = this.consumedChars + i + 1;
    }
    this.consumedChars += this.pos;
    this.buf = this.buf.slice(this.pos);
    this.pos = 0;
    this.ampAt = -1;
    this.crAt = -1;
  }

  error(reason: string, at = this.pos): XmlSyntaxError {
    let line = this.linesBefore;
    let lineStart = this.lastLineStartBefore;
    const upto = Math.min(at, this.buf.length);
    for (let i = this.buf.indexOf("\n"); i >= 0 && i < upto; i = this.buf.indexOf("\n", i + 1)) {
      line++;
      lineStart = this.consumedChars + i + 1;
    }
    return new XmlSyntaxError(
      reason,
      line,
      this.consumedChars + upto - lineStart + 1,
      this.elementPath(),
    );
  }

  private run(final: boolean): void {
    const buf = this.buf;
    const len = buf.length;
    let pos = this.pos;
    // A leaf element or text the buffer ends in waits for the rest of it, so that a chunk
    // boundary does not send it down the general path. Why (perf, cold decode): V8 optimizes
    // the hot paths early, from the first chunks; code that runs only where a chunk happens
    // to end, reached later, throws that optimized code away (a deoptimization) and the
    // decoder runs unoptimized again until V8 recompiles it. Not at the end, and not while
    // the buffer is large (a huge text is then streamed as it comes).
    this.holdIncomplete = !final && len - pos <= MAX_HELD;
    while (pos < len) {
      const lt = buf.indexOf("<", pos);
      if (lt < 0) break; // text at the end of the buffer
      if (lt !== pos) {
        // Character data followed by markup: complete (no reference or CRLF can be split).
        this.emitText(buf, pos, lt);
        pos = lt;
      }
      // Markup at pos.
      if (pos + 1 >= len) break;
      const c1 = buf.charCodeAt(pos + 1);
      let next: number;
      if (c1 === Ch.Slash) next = this.endTag(buf, pos);
      else if (c1 === Ch.Bang) next = this.bang(buf, pos);
      else if (c1 === Ch.Question) next = this.processingInstruction(buf, pos);
      else {
        const bytes = this.asciiBytes;
        if (bytes !== undefined && this.depth > 0 && this.handler.memberRun !== undefined) {
          const after = this.handler.memberRun(buf, bytes, pos, this);
          if (after < 0) break; // held: read again with the next chunk
          if (after !== pos) {
            pos = after;
            continue;
          }
        }
        next = this.startTag(buf, pos);
      }
      if (next < 0) break; // incomplete: wait for more input
      pos = next;
    }
    if (pos < len && !this.holdIncomplete) pos = this.trailingText(buf, pos, final);
    this.pos = pos;
  }

  /** Character data from `pos` to the end of the buffer (if that is text), less a split reference or CR. */
  private trailingText(buf: string, pos: number, final: boolean): number {
    if (buf.charCodeAt(pos) === Ch.Lt) return pos; // incomplete markup, not text
    let end = buf.length;
    if (!final) {
      // Keep a possibly split entity reference for the next chunk.
      if (this.nextSpecial(pos, Ch.Amp) < end) {
        const amp = buf.lastIndexOf("&", end - 1);
        if (buf.indexOf(";", amp) < 0) end = amp;
      }
      // Keep a trailing CR: it may be the first half of CRLF.
      if (end > pos && buf.charCodeAt(end - 1) === Ch.Cr) end--;
    }
    if (end > pos) this.emitText(buf, pos, end);
    return end;
  }

  /**
   * The first '&' (or CR) in `buf` at or after `from`, or buf.length. Each is searched for
   * once per stretch of buffer, not once per text: SOAP text rarely has either.
   */
  private nextSpecial(from: number, which: Ch.Amp | Ch.Cr): number {
    if (which === Ch.Amp) {
      if (from > this.ampAt) {
        const at = this.buf.indexOf("&", from);
        this.ampAt = at < 0 ? this.buf.length : at;
      }
      return this.ampAt;
    }
    if (from > this.crAt) {
      const at = this.buf.indexOf("\r", from);
      this.crAt = at < 0 ? this.buf.length : at;
    }
    return this.crAt;
  }

  private emitText(buf: string, start: number, end: number): void {
    const text = buf.slice(start, end);
    if (this.depth === 0) {
      for (let i = 0; i < text.length; i++) {
        if (!isSpace(text.charCodeAt(i)))
          throw this.error("text outside the root element", start + i);
      }
      return;
    }
    this.handler.text(this.normalizeText(text, start));
  }

  private decodeEntities(text: string, offset: number): string {
    let out = "";
    let last = 0;
    for (let amp = text.indexOf("&"); amp >= 0; amp = text.indexOf("&", last)) {
      const semi = text.indexOf(";", amp);
      if (semi < 0) throw this.error("unterminated entity reference", offset + amp);
      const name = text.slice(amp + 1, semi);
      out += text.slice(last, amp);
      if (name.charCodeAt(0) === 35 /* # */) {
        const hex = name.charCodeAt(1) === 120; /* x */
        const digits = name.slice(hex ? 2 : 1);
        const valid = hex ? /^[0-9a-fA-F]{1,6}$/.test(digits) : /^[0-9]{1,7}$/.test(digits);
        const cp = valid ? parseInt(digits, hex ? 16 : 10) : -1;
        if (!valid || !isXmlChar(cp))
          throw this.error(`invalid character reference '&${name};'`, offset + amp);
        out += String.fromCodePoint(cp);
      } else {
        const ch = PREDEFINED[name];
        if (ch === undefined) {
          throw this.error(
            `undefined entity '&${name};' (only the five predefined entities are allowed)`,
            offset + amp,
          );
        }
        out += ch;
      }
      last = semi + 1;
    }
    return out + text.slice(last);
  }

  private endTag(buf: string, pos: number): number {
    const depth = this.depth;
    if (depth > 0) {
      // The usual case, compared in place.
      const after = this.closeInRun(buf, pos);
      if (after >= 0) return after;
    }
    const expected = depth > 0 ? this.openNames[depth - 1]! : "";
    const gt = buf.indexOf(">", pos + 2);
    if (gt < 0) return -1;
    let nameEnd = gt;
    while (nameEnd > pos + 2 && isSpace(buf.charCodeAt(nameEnd - 1))) nameEnd--;
    const name = buf.slice(pos + 2, nameEnd);
    if (depth === 0) throw this.error(`end tag </${name}> without a start tag`, pos);
    if (name !== expected) throw this.error(`end tag </${name}> does not match <${expected}>`, pos);
    this.handler.closeElement();
    this.popElement();
    return gt + 1;
  }

  private popElement(): void {
    const depth = this.depth--;
    while (this.bindingCount > 0 && this.bindingDepth[this.bindingCount - 1] === depth) {
      const n = --this.bindingCount;
      const index = this.bindingIndex;
      if (index !== undefined) {
        const hidden = this.bindingHidden[n]!;
        if (hidden < 0) index.delete(this.bindingPrefix[n]!);
        else index.set(this.bindingPrefix[n]!, hidden);
      }
    }
    if (this.bindingIndex !== undefined && this.bindingCount <= SCANNED_BINDINGS / 2)
      this.bindingIndex = undefined;
  }

  /** Binding `n` into bindingIndex. */
  private indexBinding(index: Map<string, number>, n: number): void {
    const prefix = this.bindingPrefix[n]!;
    this.bindingHidden[n] = index.get(prefix) ?? -1;
    index.set(prefix, n);
  }

  private bang(buf: string, pos: number): number {
    if (buf.startsWith("<!--", pos)) {
      const end = buf.indexOf("-->", pos + 4);
      return end < 0 ? -1 : end + 3;
    }
    if (buf.startsWith("<![CDATA[", pos)) {
      if (this.depth === 0) throw this.error("CDATA outside the root element", pos);
      const end = buf.indexOf("]]>", pos + 9);
      if (end < 0) return -1;
      let text = buf.slice(pos + 9, end);
      if (text.indexOf("\r") >= 0) text = text.replace(/\r\n?/g, "\n");
      if (text.length > 0) this.handler.text(text);
      return end + 3;
    }
    const rest = buf.slice(pos, pos + 9);
    if (rest.length < 9 && ["<!--", "<![CDATA[", "<!DOCTYPE"].some((p) => p.startsWith(rest))) {
      return -1; // too little input to tell which construct this is
    }
    if (buf.startsWith("<!DOCTYPE", pos)) {
      throw this.error("DOCTYPE is not allowed (entity declarations are refused)", pos);
    }
    throw this.error("unexpected '<!'", pos);
  }

  private processingInstruction(buf: string, pos: number): number {
    const end = buf.indexOf("?>", pos + 2);
    if (end < 0) return -1;
    return end + 2;
  }

  private startTag(buf: string, pos: number): number {
    const len = buf.length;
    let i = pos + 1;
    let colon = -1;
    // Element name. Everything above '>' is a name character here, so letters cost one test.
    for (;;) {
      if (i >= len) return -1;
      const c = buf.charCodeAt(i);
      if (c > Ch.Gt) {
        i++;
        continue;
      }
      const k = NAME_CLASS[c]!;
      if (k === 0) {
        if (c === Ch.Colon && colon < 0) colon = i;
        i++;
        continue;
      }
      if (k === 2) throw this.error(`invalid character '${buf[i]}' in element name`, i);
      if (c === Ch.Eq) throw this.error(`invalid character '=' in element name`, i);
      break;
    }
    const nameEnd = i;
    if (nameEnd === pos + 1) throw this.error("missing element name after '<'", pos);
    const name = buf.slice(pos + 1, nameEnd);
    this.tagStart = pos;
    this.openAttributes = undefined;
    this.xsiType = undefined;
    this.typeAttribute = undefined;
    let selfClosing = false;
    let attributes: AttributeList | undefined;
    if (buf.charCodeAt(i) === Ch.Gt) {
      i++; // no attributes: the usual case in SOAP
    } else {
      // SOAP repeats the same attribute lists (namespace declarations, xsi:type, type) on
      // thousands of elements: a list seen before is recognised by its text, not parsed again.
      const gt = buf.indexOf(">", i);
      if (gt < 0) return -1; // a start tag ends with '>': this one is not complete yet
      let list = this.cachedAttributes(buf, i, gt);
      if (list !== undefined) i = gt + 1;
      else {
        const start = i;
        i = this.attributes(buf, i);
        if (i < 0) return -1;
        list = this.describeAttributes(pos);
        if (i === gt + 1 && gt - start <= MAX_CACHED_ATTRIBUTES) {
          list.text = ownString(buf.slice(start, gt));
          this.cacheAttributes(list);
        }
      }
      attributes = list;
      this.openAttributes = list;
      selfClosing = list.selfClosing;
    }
    // Where the element's content, up to the end tag of a leaf, may be: see run for holding.
    const leafPath = !selfClosing && this.handler.leafElement !== undefined;
    let lt = -1;
    let after = 0;
    /** The next '<' and the '>' a leaf's end tag would end with are both in the buffer. */
    let contentSeen = false;
    if (leafPath) {
      lt = buf.indexOf("<", i);
      after = lt + 2 + (nameEnd - pos - 1);
      // (Written so that nothing in it but `return` runs only when holding: code that has
      // never run has no type feedback, and reaching it deoptimizes the function.)
      contentSeen = lt >= 0 && after < len;
      if (this.holdIncomplete && !contentSeen) return -1;
    }

    const depth = this.depth;
    if (depth === 0) {
      if (this.sawRoot) throw this.error("more than one root element", pos);
      this.sawRoot = true;
    }
    this.pushElement(name);
    const level = depth + 1;
    if (attributes !== undefined) this.declareNamespaces(attributes, level);
    let ns: string;
    let local: string;
    if (colon < 0) {
      ns = this.defaultNs[level]!;
      local = name;
    } else {
      const prefix = buf.slice(pos + 1, colon);
      const uri = this.lookupPrefix(prefix);
      if (uri === undefined) throw this.error(`undeclared namespace prefix '${prefix}'`, pos);
      ns = uri;
      local = buf.slice(colon + 1, nameEnd);
    }
    if (attributes !== undefined) this.readTypes(attributes);
    if (leafPath) {
      // `<name …>text</name>`, complete in the buffer: one call instead of three.
      if (contentSeen && buf.charCodeAt(lt + 1) === Ch.Slash && buf.charCodeAt(after) === Ch.Gt) {
        // `</` right after text ends this element in well-formed XML; the name check guards
        // the rest (indexOf finds a match in place natively, a mismatch is an error anyway).
        if (buf.indexOf(name, lt + 2) === lt + 2) {
          this.leafStart = i;
          this.leafEnd = lt;
          this.leafNormalized =
            this.nextSpecial(i, Ch.Amp) < lt || this.nextSpecial(i, Ch.Cr) < lt
              ? ownString(this.normalizeText(buf.slice(i, lt), i))
              : undefined;
          this.handler.leafElement!(ns, local, this);
          this.leafNormalized = undefined;
          this.popElement();
          return after + 1;
        }
      }
    }
    this.handler.openElement(ns, local, this);
    if (selfClosing) {
      this.handler.closeElement();
      this.popElement();
    }
    return i;
  }

  /**
   * For memberRun: the start tag at the position it reads, `<name>` with no attribute and no
   * prefix, complete in the buffer, opens an element as startTag records one.
   */
  openInRun(name: string, pos: number): void {
    this.tagStart = pos;
    this.openAttributes = undefined;
    this.xsiType = undefined;
    this.typeAttribute = undefined;
    this.pushElement(name);
  }

  /** `name` is open, inside the element that was; it inherits that one's default namespace. */
  private pushElement(name: string): void {
    const depth = this.depth;
    this.openNames[depth] = name;
    this.depth = depth + 1;
    this.defaultNs[depth + 1] = this.defaultNs[depth]!;
  }

  /**
   * For memberRun: the start tag `<name …>` at pos (no prefix), whose '>' is at gt, opens an
   * element as startTag records one, when its attribute text was seen before (and parsed
   * then) and does not end the element; false (nothing done) when it was not, for startTag
   * to read.
   */
  openInRunWithAttributes(buf: string, pos: number, gt: number, name: string): boolean {
    const i = pos + 1 + name.length;
    const list = this.cachedAttributes(buf, i, gt);
    if (list === undefined || list.selfClosing) return false;
    this.openInRun(name, pos);
    this.openAttributes = list;
    this.declareNamespaces(list, this.depth);
    this.readTypes(list);
    return true;
  }

  /** For memberRun: the element opened with openInRunWithAttributes was a leaf, read whole. */
  closeLeafInRun(): void {
    this.popElement();
  }

  /** The default namespace in the open element (the namespace of its unprefixed children). */
  defaultNamespace(): string {
    return this.defaultNs[this.depth]!;
  }

  /** The type attributes of the element being opened, its namespace scope in place. */
  private readTypes(attributes: AttributeList): void {
    this.typeAttribute = attributes.type;
    // xsi:type under whatever prefix is bound to the XSI namespace here.
    for (let k = 0; k < attributes.typePrefixes.length; k++) {
      if (this.lookupPrefix(attributes.typePrefixes[k]!) === XSI_NS)
        this.xsiType = attributes.typeValues[k];
    }
  }

  /**
   * For memberRun: the end tag at the run's position is `</name>`, name being the open
   * element's local name (`length` characters long), as the caller has checked in the bytes.
   * Closed as endTag would, when the open element's name is that local name (no prefix);
   * false (nothing done) when it is not.
   */
  closeNamedInRun(length: number): boolean {
    if (this.openNames[this.depth - 1]!.length !== length) return false;
    this.handler.closeElement();
    this.popElement();
    return true;
  }

  /**
   * `</name>` at pos, complete in the buffer, where name is the open element's: closed (the
   * handler's closeElement) and the position after it returned. -1 for anything else, which
   * endTag reads. For endTag and memberRun; the tokenizer must be inside an element.
   */
  closeInRun(buf: string, pos: number): number {
    const expected = this.openNames[this.depth - 1]!;
    const after = pos + 2 + expected.length;
    // (Reads stay inside buf: past its end charCodeAt is NaN, and V8's optimized code
    // deoptimizes the first time it sees that, which slows the first responses decoded.)
    if (after >= buf.length || buf.charCodeAt(after) !== Ch.Gt || !sameAt(buf, pos + 2, expected))
      return -1;
    this.handler.closeElement();
    this.popElement();
    return after + 1;
  }

  /**
   * For memberRun: make buf[start, end) the text that leafText and ownLeafText read, when it
   * is plain (no reference or CR to resolve); false when it is not.
   */
  leafAt(start: number, end: number): boolean {
    if (this.nextSpecial(start, Ch.Amp) < end || this.nextSpecial(start, Ch.Cr) < end) return false;
    this.leafStart = start;
    this.leafEnd = end;
    return true;
  }

  /**
   * During leafElement: `table.listedAt` applied to the element's text as ASCII bytes
   * (`bytes[start, end)`), when it is plain ASCII read in place; otherwise undefined.
   */
  leafListed<T>(table: {
    listedAt(bytes: Uint8Array, start: number, end: number): T | undefined;
  }): T | undefined {
    const bytes = this.asciiBytes;
    if (bytes === undefined || this.leafNormalized !== undefined) return undefined;
    return table.listedAt(bytes, this.leafStart, this.leafEnd);
  }

  /**
   * During leafElement: the element's text, to be read and dropped (it may be a view
   * that keeps the whole decoded chunk alive). Dates and numbers are parsed from it.
   */
  leafText(): string {
    return this.leafNormalized ?? this.buf.slice(this.leafStart, this.leafEnd);
  }

  /** During leafElement: the element's text as a string of its own, to keep. */
  ownLeafText(): string {
    return this.leafNormalized ?? this.ownedText(this.buf, this.leafStart, this.leafEnd);
  }

  /**
   * buf[start, end) as a string of its own. A slice of 13 characters or more is a view
   * that keeps the whole decoded chunk alive; from ASCII bytes a copy costs one native
   * call, otherwise ownString copies it.
   */
  private ownedText(buf: string, start: number, end: number): string {
    if (end - start < 13) return buf.slice(start, end);
    const bytes = this.asciiBytes;
    return bytes !== undefined ? latin1(bytes, start, end) : ownString(buf.slice(start, end));
  }

  /** Line ends normalised in the raw text only (a CR written as &#13; must survive), then references. */
  private normalizeText(text: string, offset: number): string {
    if (text.indexOf("\r") >= 0) text = text.replace(/\r\n?/g, "\n");
    if (text.indexOf("&") >= 0) text = this.decodeEntities(text, offset);
    return text;
  }

  /**
   * Attributes from `i` (just after the element name) to the end of the start tag, into
   * the parsed* fields. Returns the position after the tag, or -1 when the tag is not
   * complete in the buffer yet.
   */
  private attributes(buf: string, i: number): number {
    const len = buf.length;
    this.parsedCount = 0;
    this.parsedNameSet = undefined;
    this.parsedSelfClosing = false;
    for (;;) {
      while (i < len && isSpace(buf.charCodeAt(i))) i++;
      if (i >= len) return -1;
      const c = buf.charCodeAt(i);
      if (c === Ch.Gt) return i + 1;
      if (c === Ch.Slash) {
        if (i + 1 >= len) return -1;
        if (buf.charCodeAt(i + 1) !== Ch.Gt) throw this.error("expected '>' after '/'", i);
        this.parsedSelfClosing = true;
        return i + 2;
      }
      const nameStart = i;
      while (i < len) {
        const d = buf.charCodeAt(i);
        if (d < 128 && NAME_CLASS[d] !== 0) {
          if (d === Ch.Eq || isSpace(d)) break;
          throw this.error(`attribute '${buf.slice(nameStart, i + 1)}' has no value`, i);
        }
        i++;
      }
      const attrName = buf.slice(nameStart, i);
      while (i < len && isSpace(buf.charCodeAt(i))) i++;
      if (i >= len) return -1;
      if (buf.charCodeAt(i) !== Ch.Eq)
        throw this.error(`expected '=' after attribute '${attrName}'`, i);
      i++;
      while (i < len && isSpace(buf.charCodeAt(i))) i++;
      if (i >= len) return -1;
      const q = buf.charCodeAt(i);
      if (q !== Ch.Quote && q !== Ch.Apos)
        throw this.error(`attribute '${attrName}' value must be quoted`, i);
      // One pass over the value: its end, and whether it needs more than a slice.
      let close = i + 1;
      let special = false;
      for (; close < len; close++) {
        const d = buf.charCodeAt(close);
        if (d === q) break;
        if (d <= Ch.Amp || d === Ch.Lt) {
          if (d === Ch.Lt) throw this.error(`'<' in the value of attribute '${attrName}'`, i);
          if (d === Ch.Amp || d === Ch.Tab || d === Ch.Lf || d === Ch.Cr) special = true;
        }
      }
      if (close >= len) return -1;
      let value = buf.slice(i + 1, close);
      if (special) {
        // Attribute-value normalisation: literal whitespace becomes a space; references are kept.
        if (/[\t\n\r]/.test(value)) value = value.replace(/\r\n|[\t\n\r]/g, " ");
        if (value.indexOf("&") >= 0) value = this.decodeEntities(value, i + 1);
      }
      if (this.parsedCount < SCANNED_ATTRIBUTES) {
        for (let k = 0; k < this.parsedCount; k++) {
          if (this.parsedNames[k] === attrName)
            throw this.error(`duplicate attribute '${attrName}'`, nameStart);
        }
      } else {
        if (this.parsedCount === SCANNED_ATTRIBUTES)
          this.parsedNameSet = new Set(this.parsedNames.slice(0, SCANNED_ATTRIBUTES));
        const seen = this.parsedNameSet!;
        if (seen.has(attrName)) throw this.error(`duplicate attribute '${attrName}'`, nameStart);
        seen.add(attrName);
      }
      this.parsedNames[this.parsedCount] = attrName;
      this.parsedValues[this.parsedCount] = value;
      this.parsedCount++;
      i = close + 1;
      if (i < len) {
        const after = buf.charCodeAt(i);
        if (!isSpace(after) && after !== Ch.Gt && after !== Ch.Slash)
          throw this.error("expected whitespace between attributes", i);
      }
    }
  }

  /** xmlns and xmlns:p attributes of the element being opened, at depth `level`. */
  private declareNamespaces(list: AttributeList, level: number): void {
    if (list.defaultNs !== undefined) this.defaultNs[level] = list.defaultNs;
    for (let k = 0; k < list.prefixes.length; k++) {
      const n = this.bindingCount++;
      this.bindingDepth[n] = level;
      this.bindingPrefix[n] = list.prefixes[k]!;
      this.bindingUri[n] = list.uris[k]!;
      if (this.bindingIndex !== undefined) this.indexBinding(this.bindingIndex, n);
      else if (n === SCANNED_BINDINGS) {
        const index = new Map<string, number>();
        for (let i = 0; i <= n; i++) this.indexBinding(index, i);
        this.bindingIndex = index;
      }
    }
  }

  /** The attributes just parsed (the parsed* fields) as an AttributeList. */
  private describeAttributes(pos: number): AttributeList {
    const list: AttributeList = {
      text: "",
      // Own copies: these outlive the chunk (in the cache, and as `type` values). Internalized:
      // a cached list's prefixes, URIs and type values are compared and looked up for every
      // element that carries it, and equal strings of different lists are then one object.
      names: this.parsedNames.slice(0, this.parsedCount).map(keepAttributeText),
      values: this.parsedValues.slice(0, this.parsedCount).map(keepAttributeText),
      selfClosing: this.parsedSelfClosing,
      defaultNs: undefined,
      prefixes: [],
      uris: [],
      type: undefined,
      typePrefixes: [],
      typeValues: [],
      next: undefined,
    };
    for (let k = 0; k < list.names.length; k++) {
      const a = list.names[k]!;
      const value = list.values[k]!;
      const n = a.length;
      if (a === "xmlns") list.defaultNs = value;
      else if (a.startsWith("xmlns:")) {
        const prefix = keepAttributeText(a.slice(6));
        if (value === "")
          throw this.error(`namespace prefix '${prefix}' bound to an empty URI`, pos);
        list.prefixes.push(prefix);
        list.uris.push(value);
      } else if (a === "type") list.type = value;
      else if (n > 5 && a.charCodeAt(n - 5) === Ch.Colon && a.endsWith("type")) {
        list.typePrefixes.push(keepAttributeText(a.slice(0, n - 5)));
        list.typeValues.push(value);
      }
    }
    return list;
  }
}
