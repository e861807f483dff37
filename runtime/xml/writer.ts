/**
 * Building XML text. Every string that reaches the wire goes through `escapeText`
 * or `escapeAttribute`; characters XML 1.0 cannot carry are an error, never dropped.
 */
import type { TypeRegistry } from "../codec/types.js";
import { EncodeError } from "../errors.js";

export const XSI_NS = "http://www.w3.org/2001/XMLSchema-instance";
export const XSD_NS = "http://www.w3.org/2001/XMLSchema";
export const VIM_NS = "urn:vim25";

// Control characters other than TAB/LF/CR, U+FFFE/U+FFFF, and surrogates that are not part of a pair.
const UNREPRESENTABLE =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const TEXT_SPECIAL = /[&<>\r]/;
const ATTR_SPECIAL = /[&<>"\t\n\r]/;

function check(s: string, path: () => string): void {
  const m = UNREPRESENTABLE.exec(s);
  if (m) {
    const cp = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new EncodeError(
      `character U+${cp} at offset ${m.index} cannot be represented in XML 1.0`,
      path(),
    );
  }
}

/** Escape character data. CR is written as a reference: a parser would turn a raw CR into LF. */
export function escapeText(s: string, path: () => string = () => "string"): string {
  check(s, path);
  if (!TEXT_SPECIAL.test(s)) return s;
  return s.replace(/[&<>\r]/g, (c) =>
    c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : "&#13;",
  );
}

/** Escape a double-quoted attribute value; whitespace other than space is kept by reference. */
export function escapeAttribute(s: string, path: () => string = () => "attribute"): string {
  check(s, path);
  if (!ATTR_SPECIAL.test(s)) return s;
  return s.replace(/[&<>"\t\n\r]/g, (c) => {
    switch (c) {
      case "&":
        return "&amp;";
      case "<":
        return "&lt;";
      case ">":
        return "&gt;";
      case '"':
        return "&quot;";
      case "\t":
        return "&#9;";
      case "\n":
        return "&#10;";
      default:
        return "&#13;";
    }
  });
}

/**
 * Accumulates XML text. Keeps the path of element names being written so an
 * error deep inside a value says where it is (`PropertyFilterSpec.objectSet[2].obj`).
 */
export class XmlWriter {
  private out = "";
  private readonly path: string[] = [];

  /**
   * @param registry resolves `$type` names in anyType slots and subtypes the declared
   *   codec does not list.
   * Prefixes `xsi` and `xsd` must be declared by the enclosing document (the SOAP
   * envelope declares them once at the top).
   */
  constructor(readonly registry?: TypeRegistry) {}

  readonly xsiPrefix = "xsi";
  readonly xsdPrefix = "xsd";

  /** `<name[ xsi:type="T"][ attrName="attrValue"]>` */
  open(name: string, xsiType?: string, attrName?: string, attrValue?: string): void {
    this.out += "<" + name;
    if (xsiType !== undefined) this.out += " " + this.xsiPrefix + ':type="' + xsiType + '"';
    if (attrName !== undefined)
      this.out +=
        " " + attrName + '="' + escapeAttribute(attrValue ?? "", () => this.where()) + '"';
    this.out += ">";
  }

  close(name: string): void {
    this.out += "</" + name + ">";
  }

  /** Already-escaped character data or markup. */
  raw(text: string): void {
    this.out += text;
  }

  text(text: string): void {
    this.out += escapeText(text, () => this.where());
  }

  /** Track a path segment for error messages while writing a member or list item. */
  enter(segment: string): void {
    this.path.push(segment);
  }

  leave(): void {
    this.path.pop();
  }

  where(): string {
    return this.path.length === 0 ? "value" : this.path.join(".").replace(/\.\[/g, "[");
  }

  fail(reason: string): never {
    throw new EncodeError(reason, this.where());
  }

  toString(): string {
    return this.out;
  }
}
