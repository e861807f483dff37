/**
 * Managed-object property metadata and typed retrieval of one object's properties.
 * (Bulk listing with container views and paging builds on the same pieces.)
 */
import type { PropertyTypes } from "../codec/decode.js";
import type { Codec, FieldSpec, ManagedObjectReference } from "../codec/types.js";
import { setOwn } from "../codec/own-property.js";
import { EsxViError } from "../errors.js";
import type { CallOptions, VimInvoker } from "../soap/client.js";

export interface ManagedTypeInfo {
  typeName: string;
  base?: () => ManagedTypeInfo;
  /** Properties declared by this type (not inherited). */
  properties: () => FieldSpec[];
}

/**
 * Property paths → codecs for the given managed types (their bases included). Pass only
 * the types a program reads to keep its bundle small; `vimPropertyTypes` covers them all.
 */
export function propertyTypesOf(infos: Iterable<ManagedTypeInfo>): PropertyTypes {
  return managedTypesLookup(new Map([...infos].map((i) => [i.typeName, i])));
}

/** Property paths → codecs, walking managed properties then data-object members. */
export function managedTypesLookup(types: ReadonlyMap<string, ManagedTypeInfo>): PropertyTypes {
  const ownProperty = (typeName: string, name: string): FieldSpec | undefined => {
    for (let info = types.get(typeName); info; info = info.base?.()) {
      const found = info.properties().find((p) => p.name === name);
      if (found) return found;
    }
    return undefined;
  };
  const resolve = (typeName: string, path: string) => {
    const segments = path.split(".");
    let spec = ownProperty(typeName, segments[0]!);
    for (let i = 1; spec && i < segments.length; i++) {
      if (spec.list || spec.codec.kind !== "object") return undefined;
      spec = spec.codec.fieldMap.get(segments[i]!);
    }
    return spec ? { codec: spec.codec, list: spec.list } : undefined;
  };
  // Per managed type, per path: no string building on the hot path.
  const cache = new Map<string, Map<string, { codec: Codec; list: boolean } | null>>();
  return {
    lookup(typeName, path) {
      let byPath = cache.get(typeName);
      if (byPath === undefined) {
        byPath = new Map();
        cache.set(typeName, byPath);
      }
      let hit = byPath.get(path);
      if (hit === undefined) {
        hit = resolve(typeName, path) ?? null;
        byPath.set(path, hit);
      }
      return hit ?? undefined;
    },
  };
}

interface ObjectContentLike {
  obj: ManagedObjectReference;
  propSet?: { name: string; val: unknown }[];
  missingSet?: { path: string; fault: { fault?: { $type?: string }; localizedMessage?: string } }[];
}
interface RetrieveResultLike {
  token?: string;
  objects: ObjectContentLike[];
}

/** The two property-collector stubs retrieval needs (generated; passed in to keep the runtime schema-free). */
export interface RetrieveStubs {
  RetrievePropertiesEx(
    client: VimInvoker,
    args: { specSet: object[]; options: { maxObjects?: number } },
    options?: CallOptions,
  ): Promise<RetrieveResultLike | undefined>;
  ContinueRetrievePropertiesEx(
    client: VimInvoker,
    args: { token: string },
    options?: CallOptions,
  ): Promise<RetrieveResultLike>;
}

/** A requested property the server could not read (the fault says why). */
export class MissingPropertyError extends EsxViError {
  constructor(
    readonly ref: ManagedObjectReference,
    readonly path: string,
    readonly faultType: string,
    localizedMessage: string | undefined,
  ) {
    super(
      `cannot read ${ref.type} ${ref.value} property '${path}': ${faultType}${localizedMessage ? `: ${localizedMessage}` : ""}`,
    );
  }
}

/** The object itself is gone (or was never there). */
export class ObjectNotFoundError extends EsxViError {
  constructor(readonly ref: ManagedObjectReference) {
    super(`${ref.type} ${ref.value} was not found`);
  }
}

/** Reads `properties` of one managed object into a plain record keyed by property path. */
export async function retrieveProperties(
  client: VimInvoker,
  stubs: RetrieveStubs,
  ref: ManagedObjectReference,
  properties: readonly string[],
  options?: CallOptions,
): Promise<Record<string, unknown>> {
  const spec = {
    propSet: [{ type: ref.type, all: false, pathSet: [...properties] }],
    objectSet: [{ obj: ref, skip: false }],
  };
  let result = await stubs.RetrievePropertiesEx(client, { specSet: [spec], options: {} }, options);
  const out: Record<string, unknown> = {};
  let found = false;
  while (result) {
    for (const content of result.objects) {
      found = true;
      addProperties(out, content.propSet);
      for (const m of content.missingSet ?? []) {
        throw new MissingPropertyError(
          ref,
          m.path,
          m.fault.fault?.$type ?? "MethodFault",
          m.fault.localizedMessage,
        );
      }
    }
    result = result.token
      ? await stubs.ContinueRetrievePropertiesEx(client, { token: result.token }, options)
      : undefined;
  }
  if (!found) throw new ObjectNotFoundError(ref);
  return out;
}

/**
 * A property set's values into `out`, keyed by property path. The paths come from the
 * server: each becomes an own property, even one named `__proto__`.
 */
export function addProperties(
  out: Record<string, unknown>,
  propSet: readonly { name: string; val: unknown }[] | undefined,
): void {
  if (propSet === undefined) return;
  for (const p of propSet) setOwn(out, p.name, p.val);
}
