/**
 * One value as a standalone XML element: the codec API's `serialize`/`deserialize`.
 */
import { XmlTokenizer } from "../xml/tokenizer.js";
import { VIM_NS, XSD_NS, XSI_NS, XmlWriter } from "../xml/writer.js";
import { DecodeError } from "../errors.js";
import { type ContainerHandler, type DecodeOptions, StreamDecoder } from "./decode.js";
import { writeValue } from "./encode.js";
import type { Codec, TypeRegistry } from "./types.js";

const ROOT_NAMESPACES = ` xmlns="${VIM_NS}" xmlns:xsi="${XSI_NS}" xmlns:xsd="${XSD_NS}"`;

/** `<elementName xmlns="urn:vim25" …>…</elementName>` for one value of `codec`. */
export function encodeElement(
  codec: Codec,
  value: unknown,
  elementName: string,
  registry: TypeRegistry,
): string {
  const w = new XmlWriter(registry);
  w.enter(codec.typeName);
  writeValue(w, elementName, codec, value, codec.kind === "any");
  const xml = w.toString();
  // Declare the namespaces on the root element (after its name, before its attributes).
  const nameEnd = 1 + elementName.length;
  return xml.slice(0, nameEnd) + ROOT_NAMESPACES + xml.slice(nameEnd);
}

/** Decode a document whose root element holds one value of `codec`. */
export function decodeElement(
  codec: Codec,
  xml: string | Uint8Array | Iterable<Uint8Array | string>,
  options: DecodeOptions,
): unknown {
  let result: unknown;
  let seen = false;
  const root: ContainerHandler = {
    open(decoder) {
      decoder.expect(codec);
    },
    value(value) {
      result = value;
      seen = true;
    },
  };
  const decoder = new StreamDecoder(options, root);
  const tokenizer = new XmlTokenizer(decoder);
  decoder.attach(tokenizer);
  if (typeof xml === "string" || xml instanceof Uint8Array) tokenizer.write(xml);
  else for (const chunk of xml) tokenizer.write(chunk);
  tokenizer.end();
  if (!seen) throw new DecodeError("no value found", codec.typeName);
  return result;
}
