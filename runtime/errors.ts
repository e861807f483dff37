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

/** The server's certificate is not trusted; the message says how to pin it. */
export class TlsVerificationError extends EsxViError {
  constructor(
    readonly host: string,
    readonly reason: string,
    /** SHA-256 thumbprint of the server's certificate, `AA:BB:…`. */
    readonly sha256: string,
    readonly sha1: string,
  ) {
    super(
      `the TLS certificate of ${host} is not trusted (${reason}). If this is the right server, pin its certificate ` +
        `with thumbprint "${sha256}" (SHA-256), or give a CA file; no_verify=1 turns verification off`,
    );
  }
}

/** A network-level failure: refused, reset, DNS, proxy errors… */
export class ConnectionError extends EsxViError {
  constructor(
    message: string,
    readonly code: string | undefined,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The call took longer than its timeout. */
export class RequestTimeoutError extends EsxViError {
  constructor(
    readonly what: string,
    readonly timeoutMs: number,
  ) {
    super(`${what} timed out after ${timeoutMs} ms`);
  }
}

/** The caller's AbortSignal fired. */
export class RequestAbortedError extends EsxViError {
  constructor(
    readonly what: string,
    options?: { cause?: unknown },
  ) {
    super(`${what} was aborted`, options);
  }
}

/** The server answered with a redirect; like libvirt we do not follow it. */
export class RedirectError extends EsxViError {
  constructor(
    readonly status: number,
    readonly location: string | undefined,
    readonly what: string,
  ) {
    super(
      `${what}: the server redirects (HTTP ${status}) to ${location ?? "(no Location)"}; redirects are not followed`,
    );
  }
}
