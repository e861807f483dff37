/**
 * SOAP 1.1 envelopes: requests built with the generated serializers, responses decoded
 * while they stream, faults raised as typed errors.
 */
import { type ContainerHandler, type DecodeOptions, StreamDecoder } from "../codec/decode.js";
import { AnyTypeCodec } from "../codec/define.js";
import type { Codec, ObjectCodec, Occurrence } from "../codec/types.js";
import { DecodeError, EsxViError } from "../errors.js";
import { XmlTokenizer } from "../xml/tokenizer.js";
import { VIM_NS, XSD_NS, XSI_NS, XmlWriter } from "../xml/writer.js";

export const SOAP_ENV_NS = "http://schemas.xmlsoap.org/soap/envelope/";

/** The full request document for `method`; `writeParams` writes the parameters in order. */
export function buildRequest(
  method: string,
  writeParams: (w: XmlWriter) => void,
  registry: DecodeOptions["registry"],
): string {
  const w = new XmlWriter(registry);
  w.enter(method);
  w.raw(
    `<?xml version="1.0" encoding="UTF-8"?>` +
      `<soapenv:Envelope xmlns:soapenv="${SOAP_ENV_NS}" xmlns:xsd="${XSD_NS}" xmlns:xsi="${XSI_NS}">` +
      `<soapenv:Body><${method} xmlns="${VIM_NS}">`,
  );
  writeParams(w);
  w.raw(`</${method}></soapenv:Body></soapenv:Envelope>`);
  return w.toString();
}

export interface ReturnSpec {
  codec: Codec;
  occurrence: Occurrence;
}

/** A SOAP fault from the server, with the vSphere fault decoded from its detail. */
export class VimFaultError extends EsxViError {
  constructor(
    /** The fault's type name from the detail's xsi:type, e.g. `InvalidLogin`. */
    readonly faultType: string,
    /** The decoded fault object (a MethodFault subtype), when the server sent one. */
    readonly fault: Record<string, unknown> | undefined,
    readonly faultString: string,
    readonly faultCode: string,
    readonly method: string,
  ) {
    super(`${method}: ${faultType}${faultString ? `: ${faultString}` : ""}`);
  }
}

/** What a response turned out to hold. */
export type ResponseOutcome =
  { kind: "result"; value: unknown } | { kind: "fault"; fault: VimFaultError };

/**
 * The last decoder of a listing, emptied of its response. V8 holds the hidden classes of a
 * class's objects weakly: when no decoder, tokenizer, template or decoded item is alive, a
 * full GC (an idle process's, between two listings) frees them and throws away the
 * optimized code that checks them, and the next listing decodes as slowly as a fresh
 * process's first (README, "Between listings"). This one keeps them.
 */
const keptForShapes: { decoder: ResponseDecoder | undefined } = { decoder: undefined };

/**
 * Decodes a response document incrementally: feed chunks with `write`, then `end`.
 * The return occurrence declared for the method is enforced.
 */
export class ResponseDecoder {
  private readonly tokenizer: XmlTokenizer;
  private readonly decoder: StreamDecoder;
  private results: unknown[] = [];
  private fault:
    | { code: string; text: string; detail?: Record<string, unknown>; detailType?: string }
    | undefined;
  private sawResponse = false;

  constructor(
    private readonly method: string,
    private readonly returns: ReturnSpec | undefined,
    options: DecodeOptions,
  ) {
    const faultCodec = options.registry.get("MethodFault") as ObjectCodec | undefined;
    const responseName = `${method}Response`;
    const results = this.results;
    const fault = () => this.fault!;

    const detail: ContainerHandler = {
      open: (d, _ns, local) => {
        if (!fault().detail) {
          // <InvalidLoginFault xsi:type="InvalidLogin">: xsi:type decides; the element name is the fallback.
          const named = local.endsWith("Fault") ? local.slice(0, -5) : local;
          fault().detailType = named;
          const codec = options.registry.get(named);
          // Without fault codecs (a lean registry) the detail still decodes, as an untyped
          // record whose $type is its xsi:type.
          d.expect(
            codec?.kind === "object" && codec.isFault ? codec : (faultCodec ?? AnyTypeCodec),
          );
        } else d.skip();
      },
      value: (value) => {
        fault().detail = value as Record<string, unknown>;
      },
    };
    const text = (assign: (t: string) => void): ContainerHandler => ({
      open: (d) => d.skip(),
      text: assign,
    });
    const faultBody: ContainerHandler = {
      open(d, _ns, local) {
        if (local === "faultcode") d.container(text((t) => (fault().code += t)));
        else if (local === "faultstring") d.container(text((t) => (fault().text += t)));
        else if (local === "detail") d.container(detail);
        else d.skip();
      },
    };
    const response: ContainerHandler = {
      open(d, _ns, local) {
        if (local !== "returnval")
          return d.fail(`unexpected element <${local}> in ${responseName}`, local);
        if (!returns)
          return d.fail(`${method} returns nothing, but the response has a value`, local);
        d.expect(returns.codec);
      },
      value(value) {
        results.push(value);
      },
    };
    const body: ContainerHandler = {
      open: (d, ns, local) => {
        if (ns === SOAP_ENV_NS && local === "Fault") {
          this.fault = { code: "", text: "" };
          d.container(faultBody);
        } else if (local === responseName) {
          this.sawResponse = true;
          d.container(response);
        } else d.fail(`expected <${responseName}> or a SOAP Fault, got <${local}>`, local);
      },
    };
    const envelope: ContainerHandler = {
      open(d, ns, local) {
        if (ns === SOAP_ENV_NS && local === "Body") d.container(body);
        else d.skip(); // Header
      },
    };
    const root: ContainerHandler = {
      open(d, ns, local) {
        if (ns !== SOAP_ENV_NS || local !== "Envelope")
          d.fail(`expected a SOAP Envelope, got <${local}> (namespace '${ns}')`, local);
        d.container(envelope);
      },
    };
    const decoder = new StreamDecoder(options, root);
    this.decoder = decoder;
    this.tokenizer = new XmlTokenizer(decoder);
    decoder.attach(this.tokenizer);
  }

  /** Items of lists read with a template (see StreamDecoder.itemsReplayed). */
  get itemsReplayed(): number {
    return this.decoder.itemsReplayed;
  }

  write(chunk: Uint8Array | string): void {
    this.tokenizer.write(chunk);
  }

  end(): ResponseOutcome {
    this.tokenizer.end();
    const values = this.results;
    this.results = [];
    this.decoder.release();
    if (this.decoder.itemsReplayed > 0) keptForShapes.decoder = this; // a listing's
    if (this.fault) {
      const f = this.fault;
      const faultType =
        (f.detail?.$type as string | undefined) ?? f.detailType ?? (f.code || "SoapFault");
      return {
        kind: "fault",
        fault: new VimFaultError(faultType, f.detail, f.text.trim(), f.code.trim(), this.method),
      };
    }
    const where = `${this.method}Response/returnval`;
    if (!this.sawResponse)
      throw new DecodeError(`the response has no <${this.method}Response>`, "Envelope/Body");
    const occurrence = this.returns?.occurrence;
    switch (occurrence) {
      case undefined:
        return { kind: "result", value: undefined };
      case "r":
        if (values.length !== 1)
          throw new DecodeError(`expected exactly one value, got ${values.length}`, where);
        return { kind: "result", value: values[0] };
      case "o":
        if (values.length > 1)
          throw new DecodeError(`expected at most one value, got ${values.length}`, where);
        return { kind: "result", value: values[0] };
      case "rl":
        if (values.length === 0)
          throw new DecodeError("expected at least one value, got none", where);
        return { kind: "result", value: values };
      case "ol":
        return { kind: "result", value: values };
    }
  }
}
