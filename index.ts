/**
 * esx-vi: the typed vSphere (vim25) SDK. Generated types, codecs, method stubs and
 * managed-object accessors (generated/), and the runtime they run on (runtime/).
 */
export * from "./runtime/index.js";
export * from "./generated/index.js";
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
