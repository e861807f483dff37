/**
 * esx-vi: the typed vSphere (vim25) SDK. Generated types, codecs, method stubs and
 * managed-object accessors (generated/), the runtime they run on (runtime/) and the
 * connected client (client/). This entry point includes every type of the API and makes
 * it the default for connections; `esx-vi/lean` leaves that out for small bundles.
 */
import { setDefaultTypes } from "./client/connection.js";
import { vimPropertyTypes } from "./generated/managed.js";
import { vimTypes } from "./generated/registry.js";

export * from "./lean.js";
export * from "./generated/registry.js";

setDefaultTypes({ registry: vimTypes, propertyTypes: vimPropertyTypes });
