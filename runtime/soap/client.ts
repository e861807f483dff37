/**
 * The seam between generated method stubs and the wire. Stubs call `invoke`; a
 * `Transport` moves bytes (HTTP in production, a function in tests).
 */
import type { DecodeOptions, PropertyTypes } from "../codec/decode.js";
import type { TypeRegistry } from "../codec/types.js";
import { EsxViError } from "../errors.js";
import type { XmlWriter } from "../xml/writer.js";
import { buildRequest, ResponseDecoder, type ReturnSpec } from "./envelope.js";

export interface CallOptions {
  signal?: AbortSignal;
  /** Milliseconds for the whole call. */
  timeout?: number;
  /**
   * For methods whose _this is bound to a ServiceContent member: call it on this object
   * instead (for example a private PropertyCollector).
   */
  target?: { type: string; value: string };
}

export interface TransportResponse {
  status: number;
  /** The body, as it arrives. */
  body: AsyncIterable<Uint8Array> | Iterable<Uint8Array | string> | string;
}

export interface Transport {
  post(
    request: { body: string; soapAction: string; method: string } & CallOptions,
  ): Promise<TransportResponse>;
}

/** What generated method stubs need from a client. */
export interface VimInvoker {
  /** ServiceContent, once retrieved: where `_this:member` bindings come from. */
  readonly serviceContent: object | undefined;
  invoke(
    method: string,
    writeParams: (w: XmlWriter) => void,
    returns: ReturnSpec | undefined,
    options?: CallOptions,
  ): Promise<unknown>;
}

/** An HTTP status other than 200 (result) or 500 (SOAP fault). */
export class HttpStatusError extends EsxViError {
  constructor(
    readonly status: number,
    readonly method: string,
  ) {
    super(`${method}: unexpected HTTP status ${status}`);
  }
}

/** A `_this:member` binding used before ServiceContent was retrieved, or naming an absent member. */
export class UnboundThisError extends EsxViError {}

export function boundThis(client: VimInvoker, member: string, method: string): unknown {
  const sc = client.serviceContent as Record<string, unknown> | undefined;
  if (!sc)
    throw new UnboundThisError(
      `${method} binds _this to ServiceContent.${member}, but ServiceContent has not been retrieved`,
    );
  const ref = sc[member];
  if (ref === undefined)
    throw new UnboundThisError(`${method}: this server's ServiceContent has no ${member}`);
  return ref;
}

export interface SoapClientOptions {
  registry: TypeRegistry;
  propertyTypes?: PropertyTypes;
  /** The API version sent in SOAPAction (`urn:vim25/<version>`). */
  apiVersion?: string;
}

export class SoapClient implements VimInvoker {
  serviceContent: object | undefined;
  apiVersion: string;
  private readonly decodeOptions: DecodeOptions;

  constructor(
    private readonly transport: Transport,
    options: SoapClientOptions,
  ) {
    this.apiVersion = options.apiVersion ?? "5.5";
    this.decodeOptions = { registry: options.registry, propertyTypes: options.propertyTypes };
  }

  async invoke(
    method: string,
    writeParams: (w: XmlWriter) => void,
    returns: ReturnSpec | undefined,
    options: CallOptions = {},
  ): Promise<unknown> {
    const body = buildRequest(method, writeParams, this.decodeOptions.registry);
    const response = await this.transport.post({
      body,
      soapAction: `urn:vim25/${this.apiVersion}`,
      method,
      signal: options.signal,
      timeout: options.timeout,
    });
    const source = response.body;
    if (response.status !== 200 && response.status !== 500) {
      // Read the (error page's) body to its end: the connection is then free again, where
      // an unread body would hold it, and the call's timer, until the timeout.
      if (typeof source === "object" && Symbol.asyncIterator in source)
        for await (const _ of source) void _; // drain, as the datastore transfers do
      throw new HttpStatusError(response.status, method);
    }
    const decoder = new ResponseDecoder(method, returns, this.decodeOptions);
    if (typeof source === "string") decoder.write(source);
    else if (Symbol.asyncIterator in source) for await (const chunk of source) decoder.write(chunk);
    else for (const chunk of source) decoder.write(chunk);
    const outcome = decoder.end();
    if (outcome.kind === "fault") throw outcome.fault;
    return outcome.value;
  }
}
