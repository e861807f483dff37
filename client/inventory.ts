/**
 * libvirt's inventory resolution: which datacenter, compute resource and host a
 * connection works with. esx://: the first of each. vpx://dc-path: the URI path
 * `[folders/]datacenter/[folders/]computeResource[/host]`, a host being required
 * inside a cluster.
 */
import type { ManagedObjectReference } from "../runtime/codec/types.js";
import { EsxViError } from "../runtime/errors.js";
import type { VimInvoker } from "../runtime/soap/client.js";
import { unescapePercent } from "../runtime/escape.js";
import { readProperties, retrieveContents, toProperties, traverse } from "./properties.js";

export class InventoryError extends EsxViError {}

export interface Inventory {
  datacenter: {
    ref: ManagedObjectReference<"Datacenter">;
    name: string;
    vmFolder: ManagedObjectReference<"Folder">;
    hostFolder: ManagedObjectReference<"Folder">;
  };
  /** The datacenter's path including folders (`Folder1/dc1`): the `dcPath` of /folder URLs. */
  datacenterPath: string;
  computeResource: {
    ref: ManagedObjectReference;
    name: string;
    resourcePool: ManagedObjectReference<"ResourcePool">;
  };
  computeResourcePath: string;
  host: { ref: ManagedObjectReference<"HostSystem">; name: string };
}

interface Child {
  ref: ManagedObjectReference;
  name: string;
}

const CHILD_TYPES = [
  "Folder",
  "Datacenter",
  "ComputeResource",
  "ClusterComputeResource",
  "HostSystem",
];

async function childrenOf(client: VimInvoker, folder: ManagedObjectReference): Promise<Child[]> {
  const out: Child[] = [];
  const spec = {
    propSet: CHILD_TYPES.map((type) => ({ type, all: false, pathSet: ["name"] })),
    objectSet: [
      {
        obj: folder,
        skip: true,
        selectSet: [traverse("folderToChildEntity", "Folder", "childEntity")],
      },
    ],
  };
  for await (const c of retrieveContents(client, [spec])) {
    const { ref, props } = toProperties<{ name: string }>(c);
    out.push({ ref, name: unescapePercent(props.name) });
  }
  return out;
}

export async function resolveInventory(
  client: VimInvoker & { serviceContent: object | undefined },
  path: string,
): Promise<Inventory> {
  const root = (client.serviceContent as { rootFolder: ManagedObjectReference }).rootFolder;
  const segments = path === "" ? [] : path.split("/");
  const byPath = segments.length > 0;
  let i = 0;

  // Datacenter: through folders named by the path, or the first one found.
  let folder = root;
  const dcPath: string[] = [];
  let dc: Child | undefined;
  while (!dc) {
    const children = await childrenOf(client, folder);
    if (!byPath) {
      dc = children.find((c) => c.ref.type === "Datacenter");
      const sub = children.find((c) => c.ref.type === "Folder");
      if (!dc && sub) {
        folder = sub.ref;
        dcPath.push(sub.name);
        continue;
      }
      if (!dc) throw new InventoryError("no datacenter found in the inventory");
      break;
    }
    const name = segments[i];
    if (name === undefined) throw new InventoryError(`path '${path}' does not name a datacenter`);
    const match = children.find(
      (c) => c.name === name && (c.ref.type === "Folder" || c.ref.type === "Datacenter"),
    );
    if (!match)
      throw new InventoryError(
        `path '${path}': no folder or datacenter named '${name}' in '${dcPath.join("/") || "/"}'`,
      );
    dcPath.push(name);
    i++;
    if (match.ref.type === "Datacenter") dc = match;
    else folder = match.ref;
  }
  const dcProps = await readProperties<{
    vmFolder: ManagedObjectReference<"Folder">;
    hostFolder: ManagedObjectReference<"Folder">;
  }>(client, dc.ref, ["vmFolder", "hostFolder"]);

  // Compute resource, from the datacenter's host folder.
  folder = dcProps.hostFolder;
  const crPath: string[] = [];
  let cr: Child | undefined;
  while (!cr) {
    const children = await childrenOf(client, folder);
    const isCr = (c: Child) =>
      c.ref.type === "ComputeResource" || c.ref.type === "ClusterComputeResource";
    if (!byPath) {
      cr = children.find(isCr);
      if (!cr) throw new InventoryError(`no compute resource found in datacenter '${dc.name}'`);
      break;
    }
    const name = segments[i];
    if (name === undefined)
      throw new InventoryError(`path '${path}' does not name a compute resource`);
    const match = children.find((c) => c.name === name && (c.ref.type === "Folder" || isCr(c)));
    if (!match)
      throw new InventoryError(
        `path '${path}': no folder or compute resource named '${name}' in datacenter '${dc.name}'`,
      );
    crPath.push(name);
    i++;
    if (isCr(match)) cr = match;
    else folder = match.ref;
  }
  const crProps = await readProperties<{
    host?: ManagedObjectReference<"HostSystem">[];
    resourcePool?: ManagedObjectReference<"ResourcePool">;
  }>(client, cr.ref, ["host", "resourcePool"]);
  if (!crProps.resourcePool)
    throw new InventoryError(`compute resource '${cr.name}' has no resource pool`);
  const hosts: Child[] = [];
  for (const h of crProps.host ?? [])
    hosts.push({
      ref: h,
      name: (await readProperties<{ name: string }>(client, h, ["name"])).name,
    });

  // Host: named by the next segment inside a cluster, else the compute resource's own.
  let host: Child | undefined;
  if (cr.ref.type === "ClusterComputeResource" && byPath) {
    const name = segments[i];
    if (name === undefined)
      throw new InventoryError(`path '${path}' names cluster '${cr.name}' but no host in it`);
    host = hosts.find((h) => h.name === name);
    if (!host)
      throw new InventoryError(`path '${path}': cluster '${cr.name}' has no host named '${name}'`);
    i++;
  } else {
    host = hosts[0];
    if (!host) throw new InventoryError(`compute resource '${cr.name}' has no host`);
  }
  if (byPath && i < segments.length)
    throw new InventoryError(
      `path '${path}' has extra segments after '${segments.slice(0, i).join("/")}'`,
    );

  return {
    datacenter: { ref: dc.ref as ManagedObjectReference<"Datacenter">, name: dc.name, ...dcProps },
    datacenterPath: byPath ? dcPath.join("/") : [...dcPath, dc.name].join("/"),
    computeResource: { ref: cr.ref, name: cr.name, resourcePool: crProps.resourcePool },
    computeResourcePath: crPath.join("/") || cr.name,
    host: { ref: host.ref as ManagedObjectReference<"HostSystem">, name: host.name },
  };
}
