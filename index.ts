/**
 * esx-vi: the typed vSphere (vim25) SDK. Generated types, codecs, method stubs and
 * managed-object accessors (generated/), and the runtime they run on (runtime/).
 */
export * from "./runtime/index.js";
export * from "./generated/index.js";
