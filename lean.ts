/**
 * esx-vi/lean: the SDK without the by-name registry of every type. A program names the
 * types it reads (`VimConnection.connect(uri, { types: { registry, propertyTypes } })`)
 * and its bundle holds only the codecs it reaches. Values of types it did not name decode
 * as untyped records that keep their `$type`.
 */
export * from "./runtime/index.js";
export * from "./generated/types.js";
export * from "./generated/codecs.js";
export * from "./generated/methods.js";
export * from "./generated/managed.js";
export * from "./runtime/escape.js";
export * from "./runtime/http/transport.js";
export {
  parseProxy,
  proxyFromEnvironment,
  type ProxyConfig,
  type ProxyKind,
} from "./runtime/http/proxy.js";
export { type TlsOptions } from "./runtime/http/tls.js";
export * from "./client/index.js";
