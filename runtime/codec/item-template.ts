/**
 * Item templates: the items of a list in one response (the `objects` of a listing, one per
 * VM) are usually written alike, the same tags in the same order with different texts in
 * between. The decoder records how it decoded one item through its runs of members — the
 * bytes of the markup between the texts, and what it did: open a data object, read a leaf,
 * keep a member the schema lacks, close an object — and decodes the next items by checking their markup against the
 * recorded bytes and doing the same again, without finding members, frames or attribute
 * lists. An item whose markup differs anywhere is decoded as before (nothing of it kept).
 *
 * What a template checks is everything the decoding of the recorded item depended on: the
 * tags with their attributes (names, xsi:type, a reference's type, namespace declarations)
 * and the texts that chose a type (a property's name before its `val`). The namespace scope
 * around the item is its siblings' own, and a template is used only inside the element that
 * holds the list it was recorded in.
 */
import { AnyTypeCodec } from "./define.js";
import type { Codec, FieldSpec } from "./types.js";

export const enum Step {
  /**
   * A value opens, made by `newValue`: a data object, or `{ $type }` of a type this schema
   * lacks; a member's (closed by Close) or an element's this schema lacks (CloseUntyped).
   */
  Open,
  /** A leaf: its text is read up to the next '<' and its value assigned. */
  Leaf,
  /** A leaf whose text is part of the checked markup (it chose a type): a known value. */
  Fixed,
  /** The object on top of the stack is complete: assigned to the one below. */
  Close,
  /**
   * A leaf this schema does not have (from a newer server): its text, as a string, kept
   * under the element's name in the object's `$extra`, or in the untyped value on top of
   * the stack, as the general path keeps it.
   */
  Extra,
  /** An element this schema does not have, with child elements: a new untyped value `{}`. */
  OpenUntyped,
  /**
   * The value on top of the stack, an element's this schema lacks, is complete: its missing
   * required lists made empty (`fill`), kept under its name in the value below.
   */
  CloseUntyped,
}

export interface TemplateStep {
  step: Step;
  /** The member the value is assigned to (Open: the member the object will be). */
  field: FieldSpec;
  /** Close, Leaf, Fixed: the member is not in the target yet (a list starts here). */
  first: boolean;
  /** Open: makes the value. */
  newValue: (() => object) | undefined;
  /** Leaf: how the text becomes a value. */
  codec: Codec | undefined;
  /** Leaf of a reference: its type attribute. */
  referenceType: string | undefined;
  /** Fixed: the value. */
  value: unknown;
  /** Extra, OpenUntyped, CloseUntyped: the element's name. */
  extraName: string | undefined;
  /** Extra, CloseUntyped: kept in `$extra` of a data object (else in an untyped value). */
  intoExtra: boolean;
  /** Close, CloseUntyped: required lists the item did not have, made empty (as finish does). */
  fill: readonly string[];
}

/**
 * Markup bytes to compare with a response's, also as 32-bit words for each of the four
 * alignments the markup can start at (a response's bytes are read four at a time from an
 * Int32Array over their buffer).
 */
export class Markup {
  readonly bytes: Uint8Array;
  /** words[r]: for markup starting at a byte offset ≡ r (mod 4), the words after its head. */
  readonly words: Int32Array[];

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.words = [0, 1, 2, 3].map((r) => {
      const head = Math.min((4 - r) & 3, bytes.length);
      const count = (bytes.length - head) >> 2;
      const aligned = new Uint8Array(count * 4);
      aligned.set(bytes.subarray(head, head + count * 4));
      return new Int32Array(aligned.buffer);
    });
  }

  /**
   * Does the response hold this markup at `pos`? `words` views the buffer of `bytes` from
   * its start; `offset` is where `bytes` starts in that buffer. The caller has checked that
   * the markup fits before the end of `bytes`.
   */
  at(bytes: Uint8Array, words: Int32Array, offset: number, pos: number): boolean {
    const expected = this.bytes;
    const n = expected.length;
    const from = offset + pos;
    const head = Math.min((4 - from) & 3, n);
    for (let k = 0; k < head; k++) if (bytes[pos + k] !== expected[k]) return false;
    const w = this.words[from & 3]!;
    const w0 = (from + head) >> 2;
    for (let k = 0; k < w.length; k++) if (words[w0 + k] !== w[k]) return false;
    for (let k = head + w.length * 4; k < n; k++) if (bytes[pos + k] !== expected[k]) return false;
    return true;
  }
}

/** One recorded way an item was written: markup[i], then steps[i], then leaves[i] (if any). */
export interface ItemTemplate {
  readonly markup: readonly Markup[];
  readonly steps: readonly (readonly TemplateStep[])[];
  /** The leaf read after markup[i] and steps[i]; undefined after the last markup. */
  readonly leaves: readonly (TemplateStep | undefined)[];
}

/** Items recorded per list at most (see StreamDecoder.listItem). */
export const MAX_RECORDINGS = 8;
/** Templates tried per list, the last that matched first. */
export const MAX_TEMPLATES = 4;
/** A list whose items miss this many times more than they match is no longer tried. */
export const MAX_MISSES = 16;

/** The templates of one list member of the object being decoded, and how they fare. */
export class ItemTemplates {
  readonly list: ItemTemplate[] = [];
  hits = 0;
  misses = 0;
  /** Items recorded (a recording can be abandoned: the item is then not one a run reads). */
  recordings = 0;
  /** Times an item waited for more input before its recording (see StreamDecoder.listItem). */
  waits = 0;

  /** False once the list's items have missed too often (or never could match). */
  tried = true;

  /** An item matched none of the templates. */
  miss(): void {
    if (++this.misses >= MAX_MISSES && this.misses > this.hits) this.tried = false;
  }

  /** Put a template that matched (or was just recorded) first. */
  promote(template: ItemTemplate): void {
    const at = this.list.indexOf(template);
    if (at === 0) return;
    if (at > 0) this.list.splice(at, 1);
    this.list.unshift(template);
    if (this.list.length > MAX_TEMPLATES) this.list.length = MAX_TEMPLATES;
  }
}

/** Records one item while the runs of members decode it (see StreamDecoder.memberRun). */
export class ItemRecorder {
  private readonly markupFrom: number[] = [];
  private readonly markupTo: number[] = [];
  private readonly steps: TemplateStep[][] = [[]];
  private readonly leaves: (TemplateStep | undefined)[] = [];
  /** Where the markup being recorded starts. */
  private from: number;
  /** The item's end tag has been read. */
  done = false;

  constructor(
    readonly templates: ItemTemplates,
    /** The decoder's depth with the item open. */
    readonly depth: number,
    start: number,
  ) {
    this.from = start;
  }

  private add(step: TemplateStep): void {
    this.steps[this.steps.length - 1]!.push(step);
  }

  /** A value opens: a member's (`field`), or an element's this schema lacks (undefined). */
  open(field: FieldSpec | undefined, newValue: () => object): void {
    this.add(makeStep(Step.Open, field ?? NO_FIELD, false, { newValue }));
  }

  close(field: FieldSpec, first: boolean, fill: readonly string[]): void {
    this.add(makeStep(Step.Close, field, first, { fill }));
  }

  /** A leaf whose text is buf[start, end), decoded by `codec`. */
  leaf(
    field: FieldSpec,
    first: boolean,
    codec: Codec,
    referenceType: string | undefined,
    start: number,
    end: number,
  ): void {
    this.markupFrom.push(this.from);
    this.markupTo.push(start);
    this.leaves.push(makeStep(Step.Leaf, field, first, { codec, referenceType }));
    this.steps.push([]);
    this.from = end;
  }

  /** A leaf the schema does not have, named `name`, its text buf[start, end). */
  extra(name: string, intoExtra: boolean, start: number, end: number): void {
    this.markupFrom.push(this.from);
    this.markupTo.push(start);
    this.leaves.push(makeStep(Step.Extra, NO_FIELD, false, { extraName: name, intoExtra }));
    this.steps.push([]);
    this.from = end;
  }

  /** An element the schema does not have, named `name`, opens (its children follow). */
  openUntyped(name: string): void {
    this.add(makeStep(Step.OpenUntyped, NO_FIELD, false, { extraName: name }));
  }

  /**
   * An element this schema lacks closes (opened with openUntyped, or with `open` and no
   * field): kept under its name, its missing required lists (`fill`) made empty first.
   */
  closeUntyped(name: string, intoExtra: boolean, fill: readonly string[]): void {
    this.add(makeStep(Step.CloseUntyped, NO_FIELD, false, { extraName: name, intoExtra, fill }));
  }

  /** A leaf whose text stays in the checked markup: its value is always `value`. */
  fixed(field: FieldSpec, first: boolean, value: unknown): void {
    this.add(makeStep(Step.Fixed, field, first, { value }));
  }

  /** The template, the item's markup ending at `end` (after its end tag). */
  finish(bytes: Uint8Array, end: number): ItemTemplate {
    this.markupFrom.push(this.from);
    this.markupTo.push(end);
    this.leaves.push(undefined);
    // Copies (a Buffer's slice would be a view): the chunk's memory may be reused.
    const markup = this.markupFrom.map(
      (from, i) => new Markup(new Uint8Array(bytes.subarray(from, this.markupTo[i]!))),
    );
    return { markup, steps: this.steps, leaves: this.leaves };
  }
}

/** A step's value assigned as StreamDecoder.assign would: a list's first item starts the list. */
export function place(target: any, step: TemplateStep, value: unknown): void {
  const name = step.field.name;
  if (!step.first) target[name].push(value);
  else target[name] = step.field.list ? [value] : value;
}

function makeStep(
  step: Step,
  field: FieldSpec,
  first: boolean,
  rest: Partial<
    Pick<
      TemplateStep,
      "newValue" | "codec" | "referenceType" | "value" | "fill" | "extraName" | "intoExtra"
    >
  >,
): TemplateStep {
  return {
    step,
    field,
    first,
    newValue: rest.newValue,
    codec: rest.codec,
    referenceType: rest.referenceType,
    value: rest.value,
    fill: rest.fill ?? NO_FILL,
    extraName: rest.extraName,
    intoExtra: rest.intoExtra ?? false,
  };
}

const NO_FILL: readonly string[] = [];

/** The field of an Extra, OpenUntyped or CloseUntyped step, which has none. */
const NO_FIELD: FieldSpec = {
  name: "$extra",
  codec: AnyTypeCodec,
  list: false,
  required: false,
  occurrence: "o",
  index: -1,
};
