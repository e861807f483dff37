/**
 * The property collector: RetrievePropertiesEx with ContinueRetrievePropertiesEx paging
 * (and CancelRetrievePropertiesEx when the caller stops early), container views, and
 * traversal specs (libvirt's table plus a recursive walk of the whole inventory).
 * Property values arrive decoded with their schema types (see the decoder's
 * PropertyTypes), so `runtime.powerState` is a VirtualMachinePowerState, not a string
 * in a wrapper.
 */
import {
  CancelRetrievePropertiesEx,
  ContinueRetrievePropertiesEx,
  CreateContainerView,
  DestroyView,
  RetrievePropertiesEx,
  type ObjectContent,
  type PropertyFilterSpec,
  type RetrieveResult,
  type SelectionSpec,
  type TraversalSpec,
} from "../generated/index.js";
import { SelectionSpecCodec, TraversalSpecCodec } from "../generated/codecs.js";
import type { PropertyTypes } from "../runtime/codec/decode.js";
import { registryOf } from "../runtime/codec/define.js";
import type { Codec, ManagedObjectReference, TypeRegistry } from "../runtime/codec/types.js";

import type { CallOptions, VimInvoker } from "../runtime/soap/client.js";
import {
  addProperties,
  MissingPropertyError,
  retrieveProperties,
  propertyTypesOf,
  type ManagedTypeInfo,
} from "../runtime/property/managed.js";

export interface PageOptions extends CallOptions {
  /** Objects per page (RetrievePropertiesEx maxObjects); the server may use fewer. */
  pageSize?: number;
}

/** One managed object with the properties read, keyed by property path. */
export interface ObjectProperties<P = Record<string, unknown>> {
  ref: ManagedObjectReference;
  props: P;
}

/**
 * Every ObjectContent the specs select, page by page. Stopping the iteration early
 * cancels the server-side result set.
 */
export async function* retrieveContents(
  client: VimInvoker,
  specSet: PropertyFilterSpec[],
  options: PageOptions = {},
): AsyncGenerator<ObjectContent> {
  for await (const page of retrievePages(client, specSet, options)) yield* page;
}

/**
 * The pages of ObjectContent the specs select, as the server sends them (one await per
 * page, not per object: a listing of thousands of objects is mostly synchronous work).
 * Stopping the iteration early cancels the server-side result set.
 */
export async function* retrievePages(
  client: VimInvoker,
  specSet: PropertyFilterSpec[],
  options: PageOptions = {},
): AsyncGenerator<ObjectContent[]> {
  const call = { signal: options.signal, timeout: options.timeout };
  let result: RetrieveResult | undefined = await RetrievePropertiesEx(
    client,
    { specSet, options: options.pageSize ? { maxObjects: options.pageSize } : {} },
    call,
  );
  let pending: string | undefined;
  try {
    while (result) {
      pending = result.token;
      yield result.objects;
      if (!pending) break;
      const token: string = pending;
      pending = undefined; // consumed by the continue call, whatever its outcome
      result = await ContinueRetrievePropertiesEx(client, { token }, call);
    }
  } finally {
    if (pending)
      await CancelRetrievePropertiesEx(client, { token: pending }).catch(() => undefined);
  }
}

/** An ObjectContent as `{ ref, props }`; a property the server could not read is an error. */
export function toProperties<P>(content: ObjectContent): ObjectProperties<P> {
  const props: Record<string, unknown> = {};
  addProperties(props, content.propSet);
  const missing = content.missingSet?.[0];
  if (missing) {
    const fault = missing.fault.fault as { $type?: string };
    throw new MissingPropertyError(
      content.obj,
      missing.path,
      fault?.$type ?? "MethodFault",
      missing.fault.localizedMessage,
    );
  }
  return { ref: content.obj, props: props as P };
}

/** A TraversalSpec: from `type`, follow property `path`, then the named select specs. */
export function traverse(
  name: string,
  type: string,
  path: string,
  selectSet: string[] = [],
): TraversalSpec {
  return {
    $type: "TraversalSpec",
    name,
    type,
    path,
    skip: false,
    selectSet: selectSet.map((n) => ({ $type: "SelectionSpec", name: n })),
  };
}

/** A walk over the whole inventory below any folder, datacenter, cluster, host or pool. */
export function inventoryTraversal(): SelectionSpec[] {
  return [
    traverse("folderToChild", "Folder", "childEntity", [
      "folderToChild",
      "dcToVmFolder",
      "dcToHostFolder",
      "dcToDatastoreFolder",
      "dcToNetworkFolder",
      "crToHost",
      "crToPool",
      "hostToVm",
      "poolToPool",
      "poolToVm",
    ]),
    traverse("dcToVmFolder", "Datacenter", "vmFolder", ["folderToChild"]),
    traverse("dcToHostFolder", "Datacenter", "hostFolder", ["folderToChild"]),
    traverse("dcToDatastoreFolder", "Datacenter", "datastoreFolder", ["folderToChild"]),
    traverse("dcToNetworkFolder", "Datacenter", "networkFolder", ["folderToChild"]),
    traverse("crToHost", "ComputeResource", "host", ["hostToVm"]),
    traverse("crToPool", "ComputeResource", "resourcePool", ["poolToPool", "poolToVm"]),
    traverse("hostToVm", "HostSystem", "vm"),
    traverse("poolToPool", "ResourcePool", "resourcePool", ["poolToPool", "poolToVm"]),
    traverse("poolToVm", "ResourcePool", "vm"),
  ];
}

/**
 * libvirt's lookup table (LookupObjectContentByType): the traversal that leads from a
 * root of one type to objects of another, one hop, as libvirt walked the inventory.
 */
export function libvirtTraversal(rootType: string, wanted: string): SelectionSpec[] | undefined {
  const isCr = rootType === "ComputeResource" || rootType === "ClusterComputeResource";
  if (rootType === wanted && rootType !== "Folder") return [];
  if (
    rootType === "Folder" &&
    ["Folder", "Datacenter", "ComputeResource", "ClusterComputeResource"].includes(wanted)
  ) {
    return [traverse("folderToChildEntity", "Folder", "childEntity")];
  }
  if (isCr && wanted === "HostSystem")
    return [traverse("computeResourceToHost", "ComputeResource", "host")];
  if (isCr && wanted === "Datacenter") {
    return [
      traverse("computeResourceToParent", "ComputeResource", "parent", ["managedEntityToParent"]),
      traverse("managedEntityToParent", "ManagedEntity", "parent"),
    ];
  }
  if (
    rootType === "HostSystem" &&
    (wanted === "ComputeResource" || wanted === "ClusterComputeResource")
  ) {
    return [traverse("hostSystemToParent", "HostSystem", "parent")];
  }
  if (rootType === "HostSystem" && wanted === "VirtualMachine")
    return [traverse("hostSystemToVm", "HostSystem", "vm")];
  if (rootType === "HostSystem" && wanted === "Datastore")
    return [traverse("hostSystemToDatastore", "HostSystem", "datastore")];
  if (rootType === "Datacenter" && wanted === "Network")
    return [traverse("datacenterToNetwork", "Datacenter", "network")];
  return undefined;
}

/** Objects of `type` reachable from `root` through `selectSet`, with `paths` read. */
export async function collect<P = Record<string, unknown>>(
  client: VimInvoker,
  root: ManagedObjectReference,
  type: string,
  paths: string[],
  selectSet: SelectionSpec[],
  options: PageOptions = {},
): Promise<ObjectProperties<P>[]> {
  const spec: PropertyFilterSpec = {
    propSet: [{ type, all: false, pathSet: paths }],
    objectSet: [{ obj: root, skip: selectSet.length > 0 && root.type !== type, selectSet }],
  };
  const out: ObjectProperties<P>[] = [];
  for await (const page of retrievePages(client, [spec], options)) {
    for (const c of page)
      if (c.obj.type === type || selectSet.length === 0) out.push(toProperties<P>(c));
  }
  return out;
}

export interface ViewOptions extends PageOptions {
  /** Where to start (default: the root folder). */
  root?: ManagedObjectReference;
  recursive?: boolean;
}

/**
 * Every object of the given types below `root`, through a container view (destroyed
 * afterwards), page by page. `paths` must be valid for every type listed.
 */
export async function* listView<P = Record<string, unknown>>(
  client: VimInvoker & { serviceContent: object | undefined },
  types: string[],
  paths: string[],
  options: ViewOptions = {},
): AsyncGenerator<ObjectProperties<P>> {
  for await (const page of listViewPages<P>(client, types, paths, options)) yield* page;
}

/** listView a page at a time. */
export async function* listViewPages<P = Record<string, unknown>>(
  client: VimInvoker & { serviceContent: object | undefined },
  types: string[],
  paths: string[],
  options: ViewOptions = {},
): AsyncGenerator<ObjectProperties<P>[]> {
  // Any managed entity can hold a view; the server checks the type.
  const root = (options.root ??
    (client.serviceContent as { rootFolder: ManagedObjectReference })
      .rootFolder) as ManagedObjectReference<"ManagedEntity">;
  const call = { signal: options.signal, timeout: options.timeout };
  const view = await CreateContainerView(
    client,
    { container: root, type: types, recursive: options.recursive ?? true },
    call,
  );
  try {
    const spec: PropertyFilterSpec = {
      propSet: types.map((type) => ({ type, all: false, pathSet: paths })),
      objectSet: [
        { obj: view, skip: true, selectSet: [traverse("view", "ContainerView", "view")] },
      ],
    };
    for await (const page of retrievePages(client, [spec], options))
      yield page.map((c) => toProperties<P>(c));
  } finally {
    await DestroyView(client, view).catch(() => undefined);
  }
}

/** Every object of one managed type below the root folder (or `options.root`), collected. */
export async function listObjects<T extends string, P = Record<string, unknown>>(
  client: VimInvoker & { serviceContent: object | undefined },
  type: T,
  paths: string[],
  options: ViewOptions = {},
): Promise<{ ref: ManagedObjectReference<T>; props: P }[]> {
  const out: { ref: ManagedObjectReference<T>; props: P }[] = [];
  for await (const page of listViewPages<P>(client, [type], paths, options)) {
    for (const o of page) out.push(o as { ref: ManagedObjectReference<T>; props: P });
  }
  return out;
}

/** Read properties of one managed object by path; ObjectNotFoundError when it is gone. */
export async function readProperties<P = Record<string, unknown>>(
  client: VimInvoker,
  ref: ManagedObjectReference,
  paths: string[],
  options: CallOptions = {},
): Promise<P> {
  return (await retrieveProperties(
    client,
    { RetrievePropertiesEx, ContinueRetrievePropertiesEx },
    ref,
    paths,
    options,
  )) as P;
}

/**
 * Connection types for a program that reads only some managed types (with esx-vi/lean):
 * their property types, plus the codecs this client layer itself sends (traversal specs)
 * and any `codecs` the program names. Values of other types decode as untyped records.
 */
export function typesFor(
  managedTypes: ManagedTypeInfo[],
  codecs: Codec[] = [],
): { registry: TypeRegistry; propertyTypes: PropertyTypes } {
  return {
    registry: registryOf([TraversalSpecCodec, SelectionSpecCodec, ...codecs]),
    propertyTypes: propertyTypesOf(managedTypes),
  };
}
