/**
 * Hosts and networking: listing hosts and networks, standard vSwitches and port groups
 * (libvirt's network driver: a network is a vSwitch).
 */
import {
  AddPortGroup,
  AddVirtualSwitch,
  RemovePortGroup,
  RemoveVirtualSwitch,
  type HostNetworkInfo,
  type HostPortGroup,
  type HostVirtualSwitch,
  type HostVirtualSwitchSpec,
  type PhysicalNic,
} from "../generated/index.js";
import type { ManagedObjectReference } from "../runtime/codec/types.js";
import { EsxViError } from "../runtime/errors.js";
import type { VimConnection } from "./connection.js";
import { type ViewOptions, listObjects, readProperties } from "./properties.js";

export type HostRef = ManagedObjectReference<"HostSystem">;

export function listHosts<P = Record<string, unknown>>(
  conn: VimConnection,
  paths: string[],
  options: ViewOptions = {},
) {
  return listObjects<"HostSystem", P>(conn, "HostSystem", paths, options);
}

export function listNetworks<P = Record<string, unknown>>(
  conn: VimConnection,
  paths: string[],
  options: ViewOptions = {},
) {
  return listObjects<"Network", P>(conn, "Network", paths, options);
}

function host(conn: VimConnection, ref?: HostRef): HostRef {
  const h = ref ?? conn.inventory?.host.ref;
  if (!h) throw new EsxViError("no host: pass one, or connect with an esx:// or vpx:// URI");
  return h;
}

async function networkSystem(conn: VimConnection, hostRef?: HostRef) {
  const p = await readProperties<{
    "configManager.networkSystem"?: ManagedObjectReference<"HostNetworkSystem">;
  }>(conn, host(conn, hostRef), ["configManager.networkSystem"]);
  const ns = p["configManager.networkSystem"];
  if (!ns) throw new EsxViError("this host has no network system");
  return ns;
}

/** The host's virtual switches, port groups and physical NICs (HostNetworkSystem.networkInfo). */
export async function networkConfig(
  conn: VimConnection,
  hostRef?: HostRef,
): Promise<{ vswitch: HostVirtualSwitch[]; portgroup: HostPortGroup[]; pnic: PhysicalNic[] }> {
  const p = await readProperties<{ networkInfo?: HostNetworkInfo }>(
    conn,
    await networkSystem(conn, hostRef),
    ["networkInfo"],
  );
  const info = p.networkInfo;
  return { vswitch: info?.vswitch ?? [], portgroup: info?.portgroup ?? [], pnic: info?.pnic ?? [] };
}

/** Add a standard vSwitch (libvirt uses 128 ports). */
export async function addVirtualSwitch(
  conn: VimConnection,
  name: string,
  spec: HostVirtualSwitchSpec = { numPorts: 128 },
  hostRef?: HostRef,
): Promise<void> {
  await AddVirtualSwitch(conn, await networkSystem(conn, hostRef), { vswitchName: name, spec });
}

export async function removeVirtualSwitch(
  conn: VimConnection,
  name: string,
  hostRef?: HostRef,
): Promise<void> {
  await RemoveVirtualSwitch(conn, await networkSystem(conn, hostRef), { vswitchName: name });
}

export async function addPortGroup(
  conn: VimConnection,
  name: string,
  vswitchName: string,
  vlanId = 0,
  hostRef?: HostRef,
): Promise<void> {
  await AddPortGroup(conn, await networkSystem(conn, hostRef), {
    portgrp: { name, vlanId, vswitchName, policy: {} },
  });
}

export async function removePortGroup(
  conn: VimConnection,
  name: string,
  hostRef?: HostRef,
): Promise<void> {
  await RemovePortGroup(conn, await networkSystem(conn, hostRef), { pgName: name });
}
