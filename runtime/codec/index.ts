/** The codec runtime, as the generated code and advanced users see it. */
export * from "./types.js";
export * from "./primitives.js";
export {
  AnyTypeCodec,
  MorefCodec,
  builtinCodecs,
  defineEnum,
  defineObject,
  field,
  isInstanceOf,
  registryOf,
} from "./define.js";
export { writeField, writeMembers, writeValue, writeAny } from "./encode.js";
export {
  StreamDecoder,
  type ContainerHandler,
  type DecodeOptions,
  type PropertyTypes,
} from "./decode.js";
export { encodeElement, decodeElement } from "./document.js";
