/** Everything generated code imports from the runtime, in one place. */
export * from "./index.js";
export type { XmlWriter } from "../xml/writer.js";
export { boundThis, type CallOptions, type VimInvoker } from "../soap/client.js";
export {
  managedTypesLookup,
  retrieveProperties,
  type ManagedTypeInfo,
} from "../property/managed.js";
export { UnknownTypeError } from "../errors.js";
