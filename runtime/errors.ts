/**
 * Typed errors. Every error names where it happened: an element path for XML,
 * a type/member path for values being serialized.
 */

export class EsxViError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The bytes are not well-formed XML (or use a feature we refuse, such as a DTD). */
export class XmlSyntaxError extends EsxViError {
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
    readonly elementPath: string,
  ) {
    super(
      `XML syntax error at line ${line}, column ${column}${elementPath ? ` (in ${elementPath})` : ""}: ${reason}`,
    );
  }
}

/** Well-formed XML that does not fit the schema: a missing required element, a bad number… */
export class DecodeError extends EsxViError {
  constructor(
    readonly reason: string,
    readonly elementPath: string,
  ) {
    super(`cannot decode ${elementPath}: ${reason}`);
  }
}

/** A value that cannot be written as the schema type it is declared as. */
export class EncodeError extends EsxViError {
  constructor(
    readonly reason: string,
    readonly valuePath: string,
  ) {
    super(`cannot serialize ${valuePath}: ${reason}`);
  }
}

/** A name given to the codec API that the schema does not define. */
export class UnknownTypeError extends EsxViError {
  constructor(readonly typeName: string) {
    super(`unknown schema type '${typeName}'`);
  }
}
