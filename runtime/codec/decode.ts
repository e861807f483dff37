/**
 * XML events → typed values, with no intermediate tree. A stack of frames follows the
 * open elements; each frame knows the codec of the value it builds. Polymorphism is
 * decided at each start tag from xsi:type (namespace-resolved, so `xsi:type` and
 * vcsim's `XMLSchema-instance:type` are the same thing).
 *
 * Forward compatibility: elements the schema does not know are skipped; an xsi:type it
 * does not know becomes an UntypedRecord carrying `$type`, never a wrong type.
 */
import { DecodeError } from "../errors.js";
import type { XmlHandler, XmlTokenizer } from "../xml/tokenizer.js";
import { VIM_NS, XSD_NS } from "../xml/writer.js";
import { AnyTypeCodec, MorefCodec, sameBytesAt, sameRangeAt } from "./define.js";
import { arrayElement } from "./encode.js";
import { ownString } from "../xml/own-string.js";
import { setOwn } from "./own-property.js";
import {
  ItemRecorder,
  type ItemTemplate,
  ItemTemplates,
  MAX_RECORDINGS,
  place,
  Step,
  type TemplateStep,
} from "./item-template.js";
import { primitivesByXsdType } from "./primitives.js";
import {
  type Codec,
  type EnumCodec,
  type FieldSpec,
  InvalidText,
  type ObjectCodec,
  type TypeRegistry,
} from "./types.js";

const enum Mode {
  /** Inside an element we do not model: count depth and ignore. */
  Skip,
  /** A primitive, enum or reference: collect text. */
  Text,
  /** A data object: children are its members. */
  Object,
  /** An ArrayOfX value in an anyType slot: children are items. */
  Array,
  /** Unknown type: children become fields of an UntypedRecord. */
  Untyped,
  /** Caller-defined structure around values (SOAP envelope, a document root). */
  Container,
}

/** Finishing a value in an anyType slot: how to present it. */
const enum Wrap {
  None,
  /** TypedValue { $type, value } */
  Typed,
  /** Array items collected as a plain array (declared list type) */
  PlainArray,
}

/** Receives the child elements of a Container frame. */
export interface ContainerHandler {
  /** A child element opens. Call `decoder.expect(...)`, `decoder.container(...)` or `decoder.skip()`. */
  open(decoder: StreamDecoder, ns: string, local: string): void;
  /** A value pushed with `expect` is complete. */
  value?(value: unknown, local: string): void;
  /** Text directly inside the container. */
  text?(text: string): void;
  close?(): void;
}

/**
 * Chooses the codec of a property value from what was decoded before it: the property
 * collector sends `obj` before `propSet`, and `name` before `val`.
 */
export interface PropertyTypes {
  /** Codec and list-ness of property `path` on managed type `type`, when the schema knows it. */
  lookup(type: string, path: string): { codec: Codec; list: boolean } | undefined;
}

export interface DecodeOptions {
  registry: TypeRegistry;
  propertyTypes?: PropertyTypes;
  /**
   * Read the items of a list that are written alike with a template of the first (see
   * item-template.ts). On by default; off only to compare with the decoding it stands for.
   */
  itemTemplates?: boolean;
}

class Frame {
  mode = Mode.Skip;
  codec: Codec | undefined;
  value: any;
  text = "";
  local = "";
  field: FieldSpec | undefined;
  wireType: string | undefined;
  wrap = Wrap.None;
  /** Element codec for Mode.Array. */
  itemCodec: Codec | undefined;
  hasChildren = false;
  container: ContainerHandler | undefined;
  /** For DynamicProperty/PropertyChange: the managed type whose property this is. */
  ownerType: string | undefined;
  /** Mode.Object: the codec's members (resolved once per value, not per child). */
  fields: readonly FieldSpec[] = NO_FIELDS;
  fieldMap: ReadonlyMap<string, FieldSpec> | undefined;
  /** Mode.Object: the members' names as bytes (ObjectLayout.nameBytes). */
  nameBytes: readonly (Uint8Array | undefined)[] = NO_NAMES;
  /** Mode.Object: where the next member is expected in wire order. */
  cursor = 0;
  /** Mode.Object: the highest member index assigned so far. */
  maxIndex = -1;
  /** Mode.Object: how many required members have been assigned. */
  requiredSeen = 0;
  /** Mode.Object: the item templates of its list members, by member index (see item-template.ts). */
  items: (ItemTemplates | undefined)[] | undefined;
}

const NO_FIELDS: readonly FieldSpec[] = [];
const NO_NAMES: readonly (Uint8Array | undefined)[] = [];

/** Strings up to this length are shared within one response (see SharedStrings). */
const SHARED_MAX_LENGTH = 32;
/** Slots of SharedStrings' table (a power of two). */
const SHARED_SLOTS = 2048;

/**
 * Equal short strings of one response decoded to one string. Property names, enum-like
 * values (guest ids, states), host and datastore names repeat in every object of a
 * listing; one copy each keeps the result smaller and leaves less for the GC to copy.
 * A direct-mapped table: a slot is chosen from the length and three characters (no hash
 * over the whole string) and holds the last string seen there; sharing is best effort.
 */
class SharedStrings {
  private slots: string[] | undefined;

  share(text: string): string {
    const n = text.length;
    if (n === 0 || n > SHARED_MAX_LENGTH) return text;
    const slots = (this.slots ??= new Array<string>(SHARED_SLOTS).fill(""));
    const slot =
      (n * 97 + text.charCodeAt(0) * 31 + text.charCodeAt(n >> 1) * 7 + text.charCodeAt(n - 1)) &
      (SHARED_SLOTS - 1);
    const known = slots[slot]!;
    if (known === text) return known;
    slots[slot] = text;
    return text;
  }
}

const NONE: readonly string[] = [];

/** Makes the value of an element of a type this schema lacks, `{ $type }`, as setupUntyped does. */
function typedUntypedMaker(wireType: string): () => object {
  return () => ({ $type: wireType });
}

/** listItem: the input a recording waits for, from the item's start (items are smaller)… */
const RECORD_AHEAD = 32 * 1024;
/** …at most this many times per list (chunks of 512 bytes fill it). */
const MAX_RECORDING_WAITS = 64;

/** listItem, replay: the buffer ends inside the item (what is there is read again with more). */
const NEEDS_MORE = -2;

/** An element the schema does not have, `name` with `value`, kept in `target.$extra`. */
function keepExtra(target: any, name: string, value: unknown): void {
  keepNamed((target.$extra ??= {}), name, value);
}

/**
 * `value` under the element name `name` in `target` (`$extra`, an untyped value's children):
 * a repeated name becomes a list. Own properties only: `toString`, `constructor` or
 * `__proto__` are names like any other, never the ones objects inherit.
 */
function keepNamed(target: Record<string, unknown>, name: string, value: unknown): void {
  if (!Object.hasOwn(target, name)) {
    setOwn(target, name, value);
    return;
  }
  const existing = target[name];
  if (Array.isArray(existing)) existing.push(value);
  else target[name] = [existing, value];
}

/** A template's Extra or CloseUntyped step: `value` kept as the general path keeps it. */
function keepUnknown(target: any, step: TemplateStep, value: unknown): void {
  if (step.intoExtra) keepExtra(target, step.extraName!, value);
  else keepNamed(target, step.extraName!, value);
}

/** unknownElement: longer names are left to the general path. */
const MAX_UNKNOWN_NAME = 64;

/** A-Z, a-z, 0-9, '_', '-', '.': what the names unknownElement reads are made of. */
function isPlainNameByte(b: number): boolean {
  return (
    (b >= 97 && b <= 122) ||
    (b >= 65 && b <= 90) ||
    (b >= 48 && b <= 57) ||
    b === 95 ||
    b === 45 ||
    b === 46
  );
}

/**
 * For a leaf whose start tag `<name>`, of a name of `n` bytes, is at `pos`: where its text
 * ends, at the '<' of `</name>`; -1 unless that end tag follows the text in the buffer.
 */
function leafTextEnd(buf: string, bytes: Uint8Array, pos: number, n: number): number {
  const lt = buf.indexOf("<", pos + n + 2);
  const gt = lt + n + 2;
  if (lt < 0 || gt >= buf.length || bytes[lt + 1] !== 47 /* / */ || bytes[gt] !== 62 /* > */)
    return -1;
  return sameRangeAt(bytes, lt + 2, pos + 1, n) ? lt : -1;
}

/** A DynamicProperty or PropertyChange inside an ObjectContent or ObjectUpdate? */
function isPropertyHolder(holder: Codec, owner: Codec): boolean {
  const h = holder.typeName;
  const o = owner.typeName;
  return (
    (h === "DynamicProperty" || h === "PropertyChange") &&
    (o === "ObjectContent" || o === "ObjectUpdate")
  );
}

const NO_WORDS = new Int32Array(0);

export class StreamDecoder implements XmlHandler {
  private readonly frames: Frame[] = [];
  private depth = 0;
  private skipDepth = 0;
  private tokenizer!: XmlTokenizer;
  /** The element being opened, while a container handler decides what it is. */
  private pendingLocal = "";
  private pendingHandled = false;
  /** Set by memberCodec. */
  private memberIsList = false;
  private readonly strings = new SharedStrings();
  /** Item templates are recorded and used (DecodeOptions.itemTemplates). */
  private readonly itemTemplates: boolean;
  /** Items read with a template so far (for tests and diagnostics). */
  itemsReplayed = 0;
  /** The item being recorded, during the run that reads it. */
  private recorder: ItemRecorder | undefined;
  /** Set by listItem: record the item the run opens next into these templates. */
  private recordInto: ItemTemplates | undefined;
  /** While recording: the leaf leafElement decoded on its fast path (see memberWithAttributes). */
  private fastLeaf: { field: FieldSpec; first: boolean; codec: Codec; value: unknown } | undefined;
  /** The values a template's steps are building, innermost last; and the item built. */
  private readonly itemStack: any[] = [];
  private itemValue: unknown;
  /** The last item read with a template, and the last recorder (see release). */
  private sampleItem: unknown;
  private sampleRecorder: ItemRecorder | undefined;
  /** Where the current run started (memberRun returns -1 to hold only what it has not read). */
  private runStart = 0;
  /** The bytes' buffer as 32-bit words, for Markup.at. */
  private words: Int32Array = NO_WORDS;
  private wordsOf: ArrayBufferLike | undefined;

  constructor(
    private readonly options: DecodeOptions,
    root: ContainerHandler,
  ) {
    this.itemTemplates = options.itemTemplates ?? true;
    const frame = new Frame();
    frame.mode = Mode.Container;
    frame.container = root;
    this.frames.push(frame);
  }

  attach(tokenizer: XmlTokenizer): this {
    this.tokenizer = tokenizer;
    return this;
  }

  /**
   * The response is decoded: what still refers to it (values, container handlers, the
   * chunk's words, pending bytes) is dropped, so that the decoder can be kept for its hidden
   * classes (see ResponseDecoder.end), with one item it read and one recorder, whose
   * objects have the hidden classes of those it made. (The item stack, the item value and
   * the recorder are already empty after each run.)
   */
  release(): void {
    for (const frame of this.frames) {
      frame.value = undefined;
      frame.container = undefined;
      frame.text = "";
    }
    this.fastLeaf = undefined;
    this.words = NO_WORDS;
    this.wordsOf = undefined;
    this.tokenizer.release();
  }

  // ---- API for container handlers -------------------------------------------------

  /** The element being opened is a value of `codec`; the parent's `value()` receives it. */
  expect(codec: Codec, list = false): void {
    this.pendingHandled = true;
    const frame = this.push(this.pendingLocal);
    this.setup(frame, codec, list);
  }

  /** The element being opened is a structure the handler walks itself. */
  container(handler: ContainerHandler): void {
    this.pendingHandled = true;
    const frame = this.push(this.pendingLocal);
    frame.mode = Mode.Container;
    frame.container = handler;
  }

  /** Ignore the element being opened and everything inside it. */
  skip(): void {
    this.pendingHandled = true;
    this.skipDepth = 1;
  }

  /** The element path, for error messages. */
  path(extra?: string): string {
    const names: string[] = [];
    for (let i = 1; i <= this.depth; i++) names.push(this.frames[i]!.local);
    if (extra) names.push(extra);
    return names.join("/");
  }

  fail(reason: string, extra?: string): never {
    throw new DecodeError(reason, this.path(extra));
  }

  // ---- XmlHandler -----------------------------------------------------------------

  openElement(ns: string, local: string): void {
    if (this.skipDepth > 0) {
      this.skipDepth++;
      return;
    }
    const top = this.frames[this.depth]!;
    switch (top.mode) {
      case Mode.Object: {
        const field = this.findField(top, local);
        if (field === undefined) {
          // A member this schema version does not have (a newer server): kept in $extra.
          const frame = this.push(local);
          this.setupUntyped(frame);
          return;
        }
        const frame = this.push(local);
        frame.field = field;
        const codec = this.memberCodec(top, field, local);
        const list = this.memberIsList;
        this.setup(frame, codec, list);
        if (frame.mode === Mode.Object && isPropertyHolder(frame.codec!, top.codec!)) {
          const owner = top.value.obj?.type;
          frame.ownerType = typeof owner === "string" ? owner : undefined;
        }
        return;
      }
      case Mode.Array: {
        const frame = this.push(local);
        this.setup(frame, top.itemCodec!, false);
        return;
      }
      case Mode.Untyped: {
        top.hasChildren = true;
        const frame = this.push(local);
        this.setupUntyped(frame);
        return;
      }
      case Mode.Container: {
        this.pendingLocal = local;
        this.pendingHandled = false;
        top.container!.open(this, ns, local);
        if (!this.pendingHandled) this.skipDepth = 1;
        return;
      }
      default:
        this.fail(
          `unexpected element <${local}> inside a ${top.codec?.typeName ?? "simple"} value`,
          local,
        );
    }
  }

  text(text: string): void {
    if (this.skipDepth > 0) return;
    const top = this.frames[this.depth]!;
    switch (top.mode) {
      case Mode.Text:
      case Mode.Untyped:
        top.text += text;
        return;
      case Mode.Container:
        top.container!.text?.(text);
        return;
      default:
        for (let i = 0; i < text.length; i++) {
          const c = text.charCodeAt(i);
          if (c !== 32 && c !== 10 && c !== 9 && c !== 13) {
            this.fail(
              `unexpected text ${JSON.stringify(text.trim().slice(0, 40))} in a ${top.codec?.typeName} value`,
            );
          }
        }
    }
  }

  closeElement(): void {
    if (this.skipDepth > 0) {
      this.skipDepth--;
      return;
    }
    const frame = this.frames[this.depth]!;
    if (frame.mode === Mode.Container) {
      frame.container!.close?.();
      this.depth--;
      return;
    }
    if (this.recorder !== undefined) this.recordClose(frame);
    const value = this.finish(frame);
    this.depth--;
    const parent = this.frames[this.depth]!;
    switch (parent.mode) {
      case Mode.Object: {
        const field = frame.field;
        if (field === undefined) {
          keepExtra(parent.value, frame.local, value);
          return;
        }
        this.assign(parent, field, value);
        return;
      }
      case Mode.Array:
        parent.value.push(value);
        return;
      case Mode.Untyped:
        keepNamed(parent.value, frame.local, value);
        return;
      case Mode.Container:
        parent.container!.value?.(value, frame.local);
        return;
    }
  }

  /**
   * A leaf element seen whole. The common cases (a primitive, enum or reference member
   * of an object, an item of a primitive list) are decoded without a frame; everything
   * else takes the general path.
   */
  leafElement(ns: string, local: string, tokenizer: XmlTokenizer): void {
    if (this.skipDepth === 0) {
      const top = this.frames[this.depth]!;
      if (top.mode === Mode.Object) {
        const field = this.findField(top, local);
        if (field !== undefined) {
          const codec = this.memberCodec(top, field, local);
          const list = this.memberIsList;
          if (
            !list &&
            (codec.kind === "primitive" || codec.kind === "enum" || codec.kind === "moref")
          ) {
            const value = this.leafValue(codec, tokenizer, local);
            if (this.recorder !== undefined)
              this.fastLeaf = { field, first: top.value[field.name] === undefined, codec, value };
            this.assign(top, field, value);
            return;
          }
        }
      } else if (
        top.mode === Mode.Array &&
        (top.itemCodec!.kind === "primitive" ||
          top.itemCodec!.kind === "moref" ||
          top.itemCodec!.kind === "enum")
      ) {
        top.value.push(this.leafValue(top.itemCodec!, tokenizer, local));
        return;
      }
    }
    this.recorder = undefined; // (read through frames: not recorded)
    const text = tokenizer.ownLeafText();
    this.openElement(ns, local);
    if (text.length > 0) this.text(text);
    this.closeElement();
  }

  /**
   * Members of the object being decoded, read straight from the bytes one after another:
   * leaves `<name>text</name>`, data objects `<name>` (whose members are then read the same
   * way), members whose attribute text (an xsi:type, a reference's type) the tokenizer has
   * seen before, and end tags. A member is recognised by comparing the names the object
   * expects next with the bytes in place (as findField tries them), so no name is scanned,
   * cut or looked up; it is then handled as startTag and openElement or leafElement would.
   * Members the schema lacks, and their children, are read too (unknownElement). Anything
   * else (a prefixed name, attributes not seen before, a reference or CR in a text, space
   * between elements, an element the chunk has not all of) is left to the general path.
   * Why (perf): nearly every element of a listing is read here, and the general path costs
   * more per element; README, Benchmarks, gives the gain.
   */
  memberRun(buf: string, bytes: Uint8Array, pos: number, tokenizer: XmlTokenizer): number {
    this.runStart = pos;
    const after = this.readRun(buf, bytes, pos, tokenizer);
    // An item is recorded only when one run reads it whole: positions are in this buffer.
    this.recorder = undefined;
    this.recordInto = undefined;
    return after;
  }

  private readRun(buf: string, bytes: Uint8Array, pos: number, tokenizer: XmlTokenizer): number {
    const len = buf.length;
    for (;;) {
      if (this.skipDepth !== 0) return pos;
      const top = this.frames[this.depth]!;
      if (top.mode !== Mode.Object) {
        // An element this schema does not have: its children, then its end tag.
        if (top.mode !== Mode.Untyped) return pos;
        const after =
          bytes[pos + 1] === 47 /* / */
            ? tokenizer.closeInRun(buf, pos)
            : this.unknownElement(top, buf, bytes, pos);
        if (after < 0) return pos;
        pos = after;
        if (pos + 1 >= len || bytes[pos] !== 60 /* < */) return pos;
        continue;
      }
      if (bytes[pos + 1] === 47 /* / */) {
        // The object's end tag, when it is `</name>` in place: compared as bytes with the
        // member's name when there is one, else with the open element's name.
        const field = top.field;
        const name =
          field === undefined ? undefined : this.frames[this.depth - 1]!.nameBytes[field.index];
        let after = -1;
        if (name !== undefined) {
          const gt = pos + 2 + name.length;
          if (
            gt < len &&
            bytes[gt] === 62 /* > */ &&
            sameBytesAt(bytes, pos + 2, name) &&
            tokenizer.closeNamedInRun(name.length)
          )
            after = gt + 1;
        }
        if (after < 0) after = tokenizer.closeInRun(buf, pos);
        if (after < 0) return pos;
        pos = after;
        if (this.recorder?.done) this.finishRecording(bytes, pos);
      } else {
        const k = this.memberAt(top, bytes, pos, len);
        if (k < 0) {
          const after = this.unknownElement(top, buf, bytes, pos);
          if (after < 0) return pos;
          pos = after;
          if (pos + 1 >= len || bytes[pos] !== 60 /* < */) return pos;
          continue;
        }
        const field = top.fields[k]!;
        const codec = field.codec;
        const name = top.nameBytes[k]!;
        const n = name.length;
        if (bytes[pos + 1 + n] !== 62 /* > */) {
          const after = this.memberWithAttributes(buf, bytes, pos, n, field.name, tokenizer);
          if (after < 0) return pos;
          pos = after;
        } else if (codec.kind === "object") {
          // As openElement: no attribute, so no xsi:type, so the declared type.
          if (k >= top.cursor) top.cursor = k + 1;
          const read =
            field.list && this.itemTemplates && this.recorder === undefined
              ? this.listItem(top, field, buf, bytes, pos, tokenizer)
              : -1;
          if (read === NEEDS_MORE) return pos === this.runStart ? -1 : pos;
          if (read >= 0) pos = read;
          else {
            tokenizer.openInRun(field.name, pos);
            const frame = this.push(field.name);
            frame.field = field;
            this.setupObject(frame, codec);
            if (isPropertyHolder(codec, top.codec!)) {
              const owner = top.value.obj?.type;
              frame.ownerType = typeof owner === "string" ? owner : undefined;
            }
            if (this.recordInto !== undefined) {
              this.recorder = new ItemRecorder(this.recordInto, this.depth, pos);
              this.recordInto = undefined;
            }
            this.recorder?.open(field, codec.layout().newValue);
            pos += n + 2;
          }
        } else {
          if (codec.kind !== "primitive" && codec.kind !== "enum") return pos;
          const textStart = pos + n + 2;
          const lt = leafTextEnd(buf, bytes, pos, n);
          if (lt < 0 || !tokenizer.leafAt(textStart, lt)) return pos;
          if (k >= top.cursor) top.cursor = k + 1;
          const value = this.leafValue(codec, tokenizer, field.name);
          if (this.recorder !== undefined) {
            const first = top.value[field.name] === undefined;
            this.recordLeaf(top, field, first, codec, value, textStart, lt);
          }
          this.assign(top, field, value);
          pos = lt + n + 3;
        }
      }
      // Go on while another tag follows at once.
      if (pos + 1 >= len || bytes[pos] !== 60 /* < */) return pos;
    }
  }

  /**
   * In a run: an element at `pos` this schema does not have (a newer server's), `<name>`
   * with no attribute or prefix, read as the general path reads it: in an object, a name it
   * has no member for, kept in its `$extra`; in an untyped value (such an element, or an
   * unknown xsi:type), any child, kept under its name. A leaf `<name>text</name>` is its text
   * as a string; an element whose child follows at once opens an untyped value `{}`, whose
   * children the run reads next. The position after what was read, or -1 to leave it to the
   * general path. Why (perf): one such member in every item (vcsim's video cards carry
   * `graphicsMemorySizeInKB`, which the 5.5 schema lacks; a newer vCenter's VM summaries
   * carry several) would otherwise end every run there, and no item could be recorded as a
   * template.
   */
  private unknownElement(top: Frame, buf: string, bytes: Uint8Array, pos: number): number {
    const len = buf.length;
    const c = bytes[pos + 1]!;
    // A name starts with a letter or '_' ('<!', '<?' and '</' are not elements to read here).
    if (!((c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95)) return -1;
    let i = pos + 2;
    while (i < len && i - pos <= MAX_UNKNOWN_NAME && isPlainNameByte(bytes[i]!)) i++;
    if (i + 2 >= len || (bytes[i] !== 62 /* > */ && bytes[i] !== 32)) return -1;
    const n = i - pos - 1;
    const local = buf.slice(pos + 1, i);
    const inObject = top.mode === Mode.Object;
    // A member the schema has, out of the order memberAt looks in, is the general path's.
    if (inObject && top.fieldMap!.has(local)) return -1;
    const tokenizer = this.tokenizer;
    // Attributes (an xsi:type: a type this schema has, or a newer one) are read as a
    // member's are; openElement then sets the value up as the general path does.
    if (bytes[i] === 32) return this.memberWithAttributes(buf, bytes, pos, n, local, tokenizer);
    if (bytes[i + 1] === 60 /* < */ && bytes[i + 2] !== 47 /* / */) {
      // Child elements follow: an untyped value (no attribute, so no xsi:type), as openElement.
      tokenizer.openInRun(local, pos);
      if (!inObject) top.hasChildren = true;
      this.setupUntyped(this.push(local));
      this.recorder?.openUntyped(local);
      return i + 1;
    }
    const lt = leafTextEnd(buf, bytes, pos, n);
    if (lt < 0 || !tokenizer.leafAt(i + 1, lt)) return -1;
    const text = tokenizer.ownLeafText();
    if (inObject) keepExtra(top.value, local, text);
    else {
      top.hasChildren = true;
      keepNamed(top.value, local, text);
    }
    this.recorder?.extra(local, inObject, i + 1, lt);
    return lt + n + 3;
  }

  // ---- item templates (item-template.ts) ----------------------------------------------

  /**
   * An item of list member `field` of the object in `top` starts at `pos`: read with one of
   * the list's templates when one matches (the item assigned, the position after its end
   * tag returned); NEEDS_MORE when the buffer ends inside it and the tokenizer holds it for
   * the next chunk; else -1, and the run opens it as usual (and records it, when the list
   * still takes templates: recordInto is set).
   */
  private listItem(
    top: Frame,
    field: FieldSpec,
    buf: string,
    bytes: Uint8Array,
    pos: number,
    tokenizer: XmlTokenizer,
  ): number {
    const items = (top.items ??= []);
    let templates = items[field.index];
    if (templates === undefined) {
      // A property's value type depends on the object that holds the item (its `obj`): such
      // items are read by their holder's template, never by their own.
      templates = items[field.index] = new ItemTemplates();
      if (isPropertyHolder(field.codec, top.codec!)) templates.tried = false;
    }
    if (!templates.tried) return -1;
    const list = templates.list;
    let cut = false;
    for (let i = 0; i < list.length; i++) {
      const template = list[i]!;
      const after = this.replay(template, buf, bytes, pos, tokenizer);
      if (after < 0) this.itemStack.fill(undefined); // what it was building, dropped
      if (after >= 0) {
        templates.hits++;
        this.itemsReplayed++;
        if (i > 0) templates.promote(template);
        this.assign(top, field, this.itemValue);
        this.sampleItem = this.itemValue;
        this.itemValue = undefined;
        return after;
      }
      if (after === NEEDS_MORE) {
        // The buffer ends inside the item: read again with the next chunk, when it may be.
        if (tokenizer.holding) return NEEDS_MORE;
        cut = true;
      }
    }
    if (cut) return -1;
    // A list whose recorded items were never met again is not recorded any further.
    const record = templates.recordings <= templates.hits && templates.recordings < MAX_RECORDINGS;
    // An item is recorded only when one run reads it whole (see memberRun): near the end of
    // the buffer it waits for more input, or chunks smaller than an item (a server's first
    // TLS records, a slow link) would never let one be recorded. Each wait has the held bytes
    // read again (once they have doubled, see XmlTokenizer.write), hence a budget per list.
    // (Before counting a miss: the item is tried again.)
    if (
      record &&
      buf.length - pos < RECORD_AHEAD &&
      tokenizer.holding &&
      templates.waits++ < MAX_RECORDING_WAITS
    )
      return NEEDS_MORE;
    if (list.length > 0) templates.miss();
    if (record) this.recordInto = templates;
    return -1;
  }

  /**
   * The item at `pos` read with `template`: the position after it (the item in itemValue);
   * -1 when its markup differs from the template's (or a text does not decode: the general
   * path then reports it, with its path); NEEDS_MORE when the buffer ends inside it (the part
   * there is not compared: a difference in it is found with the next chunk). Failures are
   * plain returns on purpose (perf, cold decode): a path first taken at a chunk's end after
   * V8 has optimized this function would deoptimize it, if that path read a property or
   * called a function it has no type feedback for.
   */
  private replay(
    template: ItemTemplate,
    buf: string,
    bytes: Uint8Array,
    pos: number,
    tokenizer: XmlTokenizer,
  ): number {
    const len = buf.length;
    if (bytes.buffer !== this.wordsOf) {
      this.wordsOf = bytes.buffer;
      this.words = new Int32Array(bytes.buffer, 0, bytes.buffer.byteLength >> 2);
    }
    const words = this.words;
    const offset = bytes.byteOffset;
    const { markup, steps, leaves } = template;
    const stack = this.itemStack;
    let sp = -1;
    for (let i = 0; i < markup.length; i++) {
      const expected = markup[i]!;
      const n = expected.bytes.length;
      if (pos + n > len) return NEEDS_MORE;
      if (!expected.at(bytes, words, offset, pos)) return -1;
      pos += n;
      const todo = steps[i]!;
      for (let j = 0; j < todo.length; j++) {
        const step = todo[j]!;
        switch (step.step) {
          case Step.Open:
            stack[++sp] = step.newValue!();
            break;
          case Step.Fixed:
            place(stack[sp], step, step.value);
            break;
          case Step.Close: {
            const value = stack[sp];
            stack[sp--] = undefined;
            for (let f = 0; f < step.fill.length; f++) value[step.fill[f]!] = [];
            if (sp < 0) this.itemValue = value;
            else place(stack[sp], step, value);
            break;
          }
          case Step.OpenUntyped:
            stack[++sp] = {};
            break;
          case Step.CloseUntyped: {
            const value = stack[sp];
            stack[sp--] = undefined;
            for (let f = 0; f < step.fill.length; f++) value[step.fill[f]!] = [];
            keepUnknown(stack[sp], step, value);
            break;
          }
        }
      }
      const leaf = leaves[i];
      if (leaf !== undefined) {
        const lt = buf.indexOf("<", pos);
        if (lt < 0) return NEEDS_MORE;
        if (!tokenizer.leafAt(pos, lt)) return -1;
        if (leaf.step === Step.Extra) {
          keepUnknown(stack[sp], leaf, tokenizer.ownLeafText());
          pos = lt;
          continue;
        }
        tokenizer.typeAttribute = leaf.referenceType;
        let value: unknown;
        try {
          value = this.leafValue(leaf.codec!, tokenizer, leaf.field.name);
        } catch (err) {
          if (err instanceof DecodeError) return -1;
          throw err;
        }
        place(stack[sp], leaf, value);
        pos = lt;
      }
    }
    return pos;
  }

  /** While recording: a leaf of the object in `top`, its text buf[start, end), decoded to `value`. */
  private recordLeaf(
    top: Frame,
    field: FieldSpec,
    first: boolean,
    codec: Codec,
    value: unknown,
    start: number,
    end: number,
  ): void {
    // A property's name chooses its value's type (memberCodec): the text is checked as markup.
    if (top.ownerType !== undefined && field.name === "name")
      this.recorder!.fixed(field, first, value);
    else {
      const referenceType = codec.kind === "moref" ? this.tokenizer.typeAttribute : undefined;
      this.recorder!.leaf(field, first, codec, referenceType, start, end);
    }
  }

  /** While recording: `frame` closes (before finish, which fills in absent required lists). */
  private recordClose(frame: Frame): void {
    const recorder = this.recorder!;
    const field = frame.field;
    const parent = this.frames[this.depth - 1]!;
    if (field === undefined && (parent.mode === Mode.Object || parent.mode === Mode.Untyped)) {
      // An element this schema does not have, kept by its name as closeElement keeps it:
      // opened by unknownElement (`{}`) or memberWithAttributes (a data object of the type
      // its xsi:type names, or `{ $type }`), with children.
      const intoExtra = parent.mode === Mode.Object;
      if (frame.mode === Mode.Untyped && frame.hasChildren)
        recorder.closeUntyped(frame.local, intoExtra, NONE);
      else if (frame.mode === Mode.Object)
        recorder.closeUntyped(frame.local, intoExtra, this.requiredToFill(frame));
      else this.recorder = undefined;
      return;
    }
    // A member: a data object, or `{ $type }` with children (a type this schema lacks, opened
    // by memberWithAttributes), placed in the member as assign places it.
    const object = frame.mode === Mode.Object;
    const ofUnknownType =
      frame.mode === Mode.Untyped && frame.wireType !== undefined && frame.hasChildren;
    if (field === undefined || parent.mode !== Mode.Object || !(object || ofUnknownType)) {
      this.recorder = undefined;
      return;
    }
    const fill = object ? this.requiredToFill(frame) : NONE;
    recorder.close(field, parent.value[field.name] === undefined, fill);
    if (this.depth === recorder.depth) recorder.done = true;
  }

  /** The required lists the object in `frame` lacks (finish makes them empty). */
  private requiredToFill(frame: Frame): readonly string[] {
    const codec = frame.codec as ObjectCodec;
    const required = codec.isFault ? NONE : codec.layout().requiredFields;
    return frame.requiredSeen === required.length
      ? NONE
      : required.filter((name) => frame.value[name] === undefined);
  }

  /** The recorded item ended at `end`: its template is its list's first. */
  private finishRecording(bytes: Uint8Array, end: number): void {
    const recorder = this.recorder!;
    this.recorder = undefined;
    this.sampleRecorder = recorder;
    const templates = recorder.templates;
    templates.recordings++;
    templates.promote(recorder.finish(bytes, end));
  }

  /**
   * A member `<name attributes…>` (an xsi:type, a reference's type), or an element this
   * schema lacks with attributes (from unknownElement), read in a run, when its
   * start tag and what follows it up to the next tag are in the buffer and its attribute
   * text was seen before: a whole leaf goes to leafElement, anything else to openElement,
   * as startTag sends them. `n` is the name's length. The position after what was read, or
   * -1 (nothing read).
   */
  private memberWithAttributes(
    buf: string,
    bytes: Uint8Array,
    pos: number,
    n: number,
    local: string,
    tokenizer: XmlTokenizer,
  ): number {
    const gt = buf.indexOf(">", pos + 1 + n);
    if (gt < 0) return -1;
    const lt = buf.indexOf("<", gt + 1);
    const end = lt + n + 2; // the '>' of `</name>`, if that is what follows
    if (lt < 0 || end >= buf.length) return -1;
    if (!tokenizer.openInRunWithAttributes(buf, pos, gt, local)) return -1;
    const ns = tokenizer.defaultNamespace();
    if (
      bytes[lt + 1] === 47 /* / */ &&
      bytes[end] === 62 /* > */ &&
      sameRangeAt(bytes, lt + 2, pos + 1, n) &&
      tokenizer.leafAt(gt + 1, lt)
    ) {
      this.leafElement(ns, local, tokenizer);
      if (this.recorder !== undefined) {
        // Recorded when leafElement read it on its fast path (it gave up recording otherwise).
        const { field, first, codec, value } = this.fastLeaf!;
        this.recordLeaf(this.frames[this.depth]!, field, first, codec, value, gt + 1, lt);
      }
      this.fastLeaf = undefined;
      tokenizer.closeLeafInRun();
      return end + 1;
    }
    this.openElement(ns, local);
    if (this.recorder !== undefined) {
      // As the frame was set up: a data object of the type named (a member's, or one the
      // schema lacks, kept by its name when it closes), or a value of a type this
      // schema lacks (a newer server's xsi:type), `{ $type }`, whose children unknownElement
      // reads. Anything else (a list, a text) is not recorded.
      const frame = this.frames[this.depth]!;
      if (frame.mode === Mode.Object)
        this.recorder.open(frame.field, (frame.codec as ObjectCodec).layout().newValue);
      else if (frame.mode === Mode.Untyped && frame.wireType !== undefined)
        this.recorder.open(frame.field, typedUntypedMaker(frame.wireType));
      else this.recorder = undefined;
    }
    return gt + 1;
  }

  /**
   * The member of the object in `top` whose start tag, `<name>` or `<name ` (attributes
   * follow), is at `pos`: the previous member again (for a list) or one after it, as
   * findField would find it; or -1. (Members left out between two sent ones are common,
   * and a name is rejected by its first byte, so all the members after the previous one
   * are tried.)
   */
  private memberAt(top: Frame, bytes: Uint8Array, pos: number, len: number): number {
    const names = top.nameBytes;
    const from = top.cursor;
    const end = names.length;
    const first = bytes[pos + 1];
    for (let k = from > 0 ? from - 1 : 0; k < end; k++) {
      const name = names[k];
      if (
        name !== undefined &&
        name[0] === first &&
        pos + 1 + name.length < len && // (reads past the end would deoptimize)
        (bytes[pos + 1 + name.length] === 62 /* > */ || bytes[pos + 1 + name.length] === 32) &&
        sameBytesAt(bytes, pos + 1, name)
      )
        return k;
    }
    return -1;
  }

  /**
   * The codec of member `field` of the object in `top`. A property value (`val` of a
   * DynamicProperty or PropertyChange) takes the type its property path has on the
   * managed type that holds it, when the schema knows it; `memberIsList` then says whether
   * that property is a list (sent as an ArrayOfX wrapper).
   */
  private memberCodec(top: Frame, field: FieldSpec, local: string): Codec {
    this.memberIsList = false;
    if (field.codec.kind === "any" && top.ownerType !== undefined && local === "val") {
      const name = top.value.name;
      if (typeof name === "string") {
        const typed = this.options.propertyTypes?.lookup(top.ownerType, name);
        if (typed) {
          this.memberIsList = typed.list;
          return typed.codec;
        }
      }
    }
    return field.codec;
  }

  /**
   * The member of the object in `top` named `local`. Members arrive in wire order, so the
   * one after the previous match (or the previous one again, for a list) is tried first.
   */
  private findField(top: Frame, local: string): FieldSpec | undefined {
    const fields = top.fields;
    const at = top.cursor;
    if (at > 0 && fields[at - 1]!.name === local) return fields[at - 1];
    const end = Math.min(fields.length, at + 4);
    for (let i = at; i < end; i++) {
      if (fields[i]!.name === local) {
        top.cursor = i + 1;
        return fields[i];
      }
    }
    const field = top.fieldMap!.get(local);
    if (field !== undefined) top.cursor = field.index + 1;
    return field;
  }

  /** Store a decoded member: appended for a list, refused when a single value repeats. */
  private assign(frame: Frame, field: FieldSpec, value: unknown): void {
    const target = frame.value;
    if (field.index > frame.maxIndex) {
      // Past every member seen so far: it cannot be there already.
      frame.maxIndex = field.index;
      target[field.name] = field.list ? [value] : value;
      if (field.required) frame.requiredSeen++;
      return;
    }
    const existing = target[field.name];
    if (field.list) {
      if (existing === undefined) {
        target[field.name] = [value];
        if (field.required) frame.requiredSeen++;
      } else existing.push(value);
    } else {
      if (existing !== undefined)
        this.fail(`element <${field.name}> appears more than once but is not a list`, field.name);
      target[field.name] = value;
      if (field.required) frame.requiredSeen++;
    }
  }

  /**
   * A leaf's value from the tokenizer's leaf text: copied only when kept as a string, read
   * in place when parsed (a date, a number) or when it is one of an enum's listed values.
   */
  private leafValue(codec: Codec, tokenizer: XmlTokenizer, local: string): unknown {
    if (codec.kind === "primitive") {
      if (codec.xsdType === "string") return this.strings.share(tokenizer.ownLeafText());
      const parsed = codec.parse(tokenizer.leafText());
      // (The reason quotes the text, a view of the chunk: copied, so an error kept does not pin it.)
      if (parsed instanceof InvalidText) this.fail(ownString(parsed.reason), local);
      return parsed;
    }
    if (codec.kind === "enum")
      return tokenizer.leafListed(codec) ?? this.enumValue(codec, tokenizer.leafText());
    const type = this.tokenizer.typeAttribute;
    if (type === undefined) this.fail("a ManagedObjectReference needs a 'type' attribute", local);
    return { type, value: this.strings.share(tokenizer.ownLeafText().trim()) };
  }

  /**
   * An enum's value: the listed string, or (a value this schema does not list, from a
   * newer server) the text kept as it came, in a string of its own.
   */
  private enumValue(codec: EnumCodec, text: string): string {
    const value = text.trim();
    return codec.listed(value) ?? this.strings.share(ownString(value));
  }

  // ---- frames ---------------------------------------------------------------------

  private push(local: string): Frame {
    this.depth++;
    let frame = this.frames[this.depth];
    if (frame === undefined) {
      frame = new Frame();
      this.frames[this.depth] = frame;
    }
    frame.local = local;
    frame.text = "";
    frame.field = undefined;
    frame.wireType = undefined;
    frame.wrap = Wrap.None;
    frame.hasChildren = false;
    frame.ownerType = undefined;
    frame.value = undefined;
    frame.cursor = 0;
    frame.maxIndex = -1;
    frame.requiredSeen = 0;
    frame.items = undefined;
    return frame;
  }

  private setup(frame: Frame, declared: Codec, list: boolean): void {
    if (list) {
      // A list property in an anyType slot: <val xsi:type="ArrayOfX"><X>…</X>…</val>.
      frame.mode = Mode.Array;
      frame.codec = declared;
      frame.itemCodec = declared;
      frame.value = [];
      frame.wrap = Wrap.PlainArray;
      return;
    }
    frame.codec = declared;
    switch (declared.kind) {
      case "primitive":
      case "enum":
        frame.mode = Mode.Text;
        return;
      case "moref":
        frame.mode = Mode.Text;
        frame.wireType = this.tokenizer.typeAttribute;
        return;
      case "object": {
        const xsiType = this.tokenizer.xsiType;
        let codec: ObjectCodec = declared;
        if (xsiType !== undefined) {
          this.tokenizer.resolveQNameInto(xsiType);
          const ns = this.tokenizer.qnameNs;
          const local = this.tokenizer.qnameLocal;
          if (local !== declared.typeName || ns !== VIM_NS) {
            const sub = ns === VIM_NS ? this.options.registry.get(local) : undefined;
            if (sub === undefined || sub.kind !== "object") {
              if (sub !== undefined) return this.setupAny(frame, xsiType);
              frame.wireType = local;
              return this.setupUntyped(frame);
            }
            codec = sub;
          }
        }
        this.setupObject(frame, codec);
        return;
      }
      case "any": {
        const xsiType = this.tokenizer.xsiType;
        if (xsiType === undefined) return this.setupUntyped(frame);
        return this.setupAny(frame, xsiType);
      }
    }
  }

  private setupObject(frame: Frame, codec: ObjectCodec): void {
    frame.mode = Mode.Object;
    frame.codec = codec;
    const layout = codec.layout();
    frame.fields = layout.fields;
    frame.fieldMap = layout.fieldMap;
    frame.nameBytes = layout.nameBytes;
    frame.value = layout.newValue();
  }

  /** An anyType slot (or an unexpected type): the xsi:type decides everything. */
  private setupAny(frame: Frame, xsiType: string): void {
    this.tokenizer.resolveQNameInto(xsiType);
    const ns = this.tokenizer.qnameNs;
    const local = this.tokenizer.qnameLocal;
    if (ns === XSD_NS) {
      const codec = primitivesByXsdType.get(local);
      if (codec === undefined) {
        if (local === "anyType") return this.setupUntyped(frame);
        frame.wireType = `xsd:${local}`;
        return this.setupUntyped(frame);
      }
      frame.mode = Mode.Text;
      frame.codec = codec;
      if (codec.wrapInAny) {
        frame.wrap = Wrap.Typed;
        frame.wireType = `xsd:${local}`;
      }
      return;
    }
    if (ns === VIM_NS) {
      if (local === "ManagedObjectReference") {
        frame.mode = Mode.Text;
        frame.codec = MorefCodec;
        frame.wireType = this.tokenizer.typeAttribute;
        return;
      }
      if (local.startsWith("ArrayOf")) {
        const element = arrayElement(this.options.registry, local);
        if (element !== undefined) {
          frame.mode = Mode.Array;
          frame.codec = element.codec;
          frame.itemCodec = element.codec.kind === "any" ? AnyTypeCodec : element.codec;
          frame.value = [];
          frame.wrap = Wrap.Typed;
          frame.wireType = local;
          return;
        }
      }
      const codec = this.options.registry.get(local);
      if (codec !== undefined) {
        if (codec.kind === "enum" || codec.kind === "primitive") {
          frame.mode = Mode.Text;
          frame.codec = codec;
          frame.wrap = Wrap.Typed;
          frame.wireType = local;
          return;
        }
        if (codec.kind === "object") {
          this.setupObject(frame, codec);
          return;
        }
      }
    }
    frame.wireType = local;
    this.setupUntyped(frame);
  }

  private setupUntyped(frame: Frame): void {
    if (frame.wireType === undefined) {
      const xsiType = this.tokenizer.xsiType;
      if (xsiType !== undefined) {
        const { ns, local } = this.tokenizer.resolveQName(xsiType);
        if (ns === VIM_NS && this.options.registry.get(local) !== undefined)
          return this.setupAny(frame, xsiType);
        if (ns === XSD_NS && primitivesByXsdType.has(local)) return this.setupAny(frame, xsiType);
        frame.wireType = ns === XSD_NS ? `xsd:${local}` : local;
      }
    }
    frame.mode = Mode.Untyped;
    frame.codec = undefined;
    frame.value = frame.wireType === undefined ? {} : { $type: frame.wireType };
  }

  private finish(frame: Frame): unknown {
    switch (frame.mode) {
      case Mode.Text: {
        const codec = frame.codec!;
        let value: unknown;
        if (codec.kind === "primitive") {
          if (codec.xsdType === "string") value = this.strings.share(ownString(frame.text));
          else {
            const parsed = codec.parse(frame.text);
            if (parsed instanceof InvalidText) this.fail(parsed.reason);
            value = parsed;
          }
        } else if (codec.kind === "enum") {
          value = this.enumValue(codec, frame.text);
        } else {
          if (frame.wireType === undefined)
            this.fail("a ManagedObjectReference needs a 'type' attribute");
          value = { type: frame.wireType, value: this.strings.share(ownString(frame.text.trim())) };
          return value;
        }
        return frame.wrap === Wrap.Typed ? { $type: frame.wireType!, value } : value;
      }
      case Mode.Object: {
        const codec = frame.codec as ObjectCodec;
        const value = frame.value;
        // A fault is reported as the fault it is, even when the server left out one of its
        // members: failing the decode would hide the error the server meant to tell.
        const layout = codec.layout();
        const required = codec.isFault ? NONE : layout.requiredFields;
        if (frame.requiredSeen === required.length) return value;
        for (let i = 0; i < required.length; i++) {
          const name = required[i]!;
          if (value[name] !== undefined) continue;
          // An absent required list is an empty one (some servers send `<returnval/>` for
          // an empty RetrieveResult); an absent required value cannot be made up.
          if (layout.fieldMap.get(name)!.list) value[name] = [];
          else this.fail(`required element <${name}> of ${codec.typeName} is missing`);
        }
        return value;
      }
      case Mode.Array:
        return frame.wrap === Wrap.PlainArray
          ? frame.value
          : { $type: frame.wireType!, value: frame.value };
      case Mode.Untyped:
        if (frame.hasChildren) return frame.value;
        return frame.wireType === undefined
          ? ownString(frame.text)
          : { $type: frame.wireType, value: ownString(frame.text) };
      default:
        return undefined;
    }
  }
}
