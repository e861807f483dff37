/** The hand-written runtime: XML, codecs, SOAP, property retrieval. */
export * from "./errors.js";
export * from "./codec/index.js";
export { XmlTokenizer, type XmlHandler } from "./xml/tokenizer.js";
export { XmlWriter, escapeText, escapeAttribute, VIM_NS, XSD_NS, XSI_NS } from "./xml/writer.js";
export {
  buildRequest,
  ResponseDecoder,
  VimFaultError,
  type ReturnSpec,
  SOAP_ENV_NS,
} from "./soap/envelope.js";
export {
  SoapClient,
  HttpStatusError,
  UnboundThisError,
  type CallOptions,
  type Transport,
  type TransportResponse,
  type VimInvoker,
  type SoapClientOptions,
} from "./soap/client.js";
export {
  MissingPropertyError,
  ObjectNotFoundError,
  managedTypesLookup,
  propertyTypesOf,
  type ManagedTypeInfo,
} from "./property/managed.js";
