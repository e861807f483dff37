/**
 * Virtual machines: lookups (by name, UUID, id), listing, power operations, snapshots,
 * reconfiguration, create/register/unregister/destroy — the operations libvirt's ESX
 * driver offers, on top of the generated stubs.
 */
import {
  CreateSnapshot_Task,
  CreateVM_Task,
  Destroy_Task,
  FindByUuid,
  PowerOffVM_Task,
  PowerOnVM_Task,
  ReconfigVM_Task,
  RegisterVM_Task,
  RemoveSnapshot_Task,
  ResetVM_Task,
  RevertToSnapshot_Task,
  SuspendVM_Task,
  UnregisterVM,
  type TaskInfo,
  type VirtualMachineConfigSpec,
  type VirtualMachinePowerState,
  type VirtualMachineSnapshotTree,
} from "../generated/index.js";
import type { ManagedObjectReference } from "../runtime/codec/types.js";
import { EsxViError } from "../runtime/errors.js";
import { parseVirtualMachineId, unescapePercent } from "../runtime/escape.js";
import type { VimConnection } from "./connection.js";
import { type ViewOptions, listObjects, readProperties } from "./properties.js";
import { runVmTask, waitForTask, type TaskWaitOptions } from "./tasks.js";

export type VmRef = ManagedObjectReference<"VirtualMachine">;

export class NotFoundError extends EsxViError {}

/** Every VM below the root folder (or `root`) with the given property paths. */
export function listVirtualMachines<P = Record<string, unknown>>(
  conn: VimConnection,
  paths: string[],
  options: ViewOptions = {},
) {
  return listObjects<"VirtualMachine", P>(conn, "VirtualMachine", paths, options);
}

/** A VM by its name as shown to users (ESX stores `%`, `/`, `\` as %xx; compared decoded). */
export async function findVmByName(conn: VimConnection, name: string): Promise<VmRef | undefined> {
  for (const vm of await listVirtualMachines<{ name: string }>(conn, ["name"])) {
    if (unescapePercent(vm.props.name) === name) return vm.ref;
  }
  return undefined;
}

/** A VM by BIOS UUID (FindByUuid), in the connection's datacenter when it has one. */
export async function findVmByUuid(conn: VimConnection, uuid: string): Promise<VmRef | undefined> {
  const found = await FindByUuid(conn, {
    datacenter: conn.inventory?.datacenter.ref,
    uuid,
    vmSearch: true,
  });
  return found as VmRef | undefined;
}

/** A VM by libvirt-style id: `42` or `vm-42` (the reference value). */
export async function findVmById(
  conn: VimConnection,
  id: string | number,
): Promise<VmRef | undefined> {
  const n = parseVirtualMachineId(String(id));
  for (const vm of await listVirtualMachines<Record<string, never>>(conn, [])) {
    const value = vm.ref.value;
    if (value === String(n) || value === `vm-${n}`) return vm.ref;
  }
  return undefined;
}

export async function powerState(
  conn: VimConnection,
  vm: VmRef,
): Promise<VirtualMachinePowerState> {
  return (
    await readProperties<{ "runtime.powerState": VirtualMachinePowerState }>(conn, vm, [
      "runtime.powerState",
    ])
  )["runtime.powerState"];
}

type TaskOptions = Omit<TaskWaitOptions, "vm">;

export const powerOn = (conn: VimConnection, vm: VmRef, options?: TaskOptions) =>
  runVmTask(conn, vm, () => PowerOnVM_Task(conn, vm), options);
export const powerOff = (conn: VimConnection, vm: VmRef, options?: TaskOptions) =>
  runVmTask(conn, vm, () => PowerOffVM_Task(conn, vm), options);
export const suspend = (conn: VimConnection, vm: VmRef, options?: TaskOptions) =>
  runVmTask(conn, vm, () => SuspendVM_Task(conn, vm), options);
export const reset = (conn: VimConnection, vm: VmRef, options?: TaskOptions) =>
  runVmTask(conn, vm, () => ResetVM_Task(conn, vm), options);

/** Change memory (MiB) and/or CPUs. */
export function reconfigure(
  conn: VimConnection,
  vm: VmRef,
  spec: VirtualMachineConfigSpec,
  options?: TaskOptions,
): Promise<TaskInfo> {
  return runVmTask(conn, vm, () => ReconfigVM_Task(conn, vm, { spec }), options);
}

export interface SnapshotNode {
  ref: ManagedObjectReference<"VirtualMachineSnapshot">;
  name: string;
  description: string;
  createTime: Date;
  state: VirtualMachinePowerState;
  children: SnapshotNode[];
}

function toNode(t: VirtualMachineSnapshotTree): SnapshotNode {
  return {
    ref: t.snapshot as ManagedObjectReference<"VirtualMachineSnapshot">,
    name: t.name,
    description: t.description,
    createTime: t.createTime,
    state: t.state,
    children: (t.childSnapshotList ?? []).map(toNode),
  };
}

/** The VM's snapshot tree (roots) and its current snapshot. */
export async function snapshotTree(
  conn: VimConnection,
  vm: VmRef,
): Promise<{ roots: SnapshotNode[]; current?: ManagedObjectReference }> {
  const p = await readProperties<{
    snapshot?: {
      rootSnapshotList?: VirtualMachineSnapshotTree[];
      currentSnapshot?: ManagedObjectReference;
    };
  }>(conn, vm, ["snapshot"]);
  return {
    roots: (p.snapshot?.rootSnapshotList ?? []).map(toNode),
    current: p.snapshot?.currentSnapshot,
  };
}

/** Depth-first search of the tree by name. */
export function findSnapshot(roots: SnapshotNode[], name: string): SnapshotNode | undefined {
  for (const r of roots) {
    if (r.name === name) return r;
    const hit = findSnapshot(r.children, name);
    if (hit) return hit;
  }
  return undefined;
}

export async function createSnapshot(
  conn: VimConnection,
  vm: VmRef,
  args: { name: string; description?: string; memory?: boolean; quiesce?: boolean },
  options?: TaskOptions,
): Promise<ManagedObjectReference<"VirtualMachineSnapshot">> {
  const info = await runVmTask(
    conn,
    vm,
    () =>
      CreateSnapshot_Task(conn, vm, {
        name: args.name,
        description: args.description,
        memory: args.memory ?? false,
        quiesce: args.quiesce ?? false,
      }),
    options,
  );
  return info.result as ManagedObjectReference<"VirtualMachineSnapshot">;
}

export async function revertToSnapshot(
  conn: VimConnection,
  vm: VmRef,
  snapshot: ManagedObjectReference<"VirtualMachineSnapshot">,
  options?: TaskOptions,
): Promise<void> {
  await runVmTask(conn, vm, () => RevertToSnapshot_Task(conn, snapshot), options);
}

export async function removeSnapshot(
  conn: VimConnection,
  vm: VmRef,
  snapshot: ManagedObjectReference<"VirtualMachineSnapshot">,
  removeChildren = false,
  options?: TaskOptions,
): Promise<void> {
  await runVmTask(conn, vm, () => RemoveSnapshot_Task(conn, snapshot, { removeChildren }), options);
}

function placement(conn: VimConnection) {
  const inv = conn.inventory;
  if (!inv)
    throw new EsxViError(
      "this operation needs the connection's inventory (connect with an esx:// or vpx:// URI)",
    );
  return inv;
}

/** Create a VM in the connection's datacenter and pool; returns its reference. */
export async function createVm(
  conn: VimConnection,
  config: VirtualMachineConfigSpec,
  options?: Omit<TaskWaitOptions, "vm">,
): Promise<VmRef> {
  const inv = placement(conn);
  const task = await CreateVM_Task(conn, inv.datacenter.vmFolder, {
    config,
    pool: inv.computeResource.resourcePool,
    host: inv.host.ref,
  });
  return (await waitForTask(conn, task, options)).result as VmRef;
}

/** Register an existing .vmx (`[ds] dir/name.vmx`). */
export async function registerVm(
  conn: VimConnection,
  vmxPath: string,
  name?: string,
  options?: Omit<TaskWaitOptions, "vm">,
): Promise<VmRef> {
  const inv = placement(conn);
  const task = await RegisterVM_Task(conn, inv.datacenter.vmFolder, {
    path: vmxPath,
    name,
    asTemplate: false,
    pool: inv.computeResource.resourcePool,
    host: inv.host.ref,
  });
  return (await waitForTask(conn, task, options)).result as VmRef;
}

/** Remove from the inventory, keeping its files (the VM must be off or suspended). */
export async function unregisterVm(conn: VimConnection, vm: VmRef): Promise<void> {
  const state = await powerState(conn, vm);
  if (state === "poweredOn")
    throw new EsxViError(`VM ${vm.value} is powered on; power it off or suspend it first`);
  await UnregisterVM(conn, vm);
}

/** Delete the VM and its files. */
export async function destroyVm(
  conn: VimConnection,
  vm: VmRef,
  options?: TaskOptions,
): Promise<void> {
  await runVmTask(conn, vm, () => Destroy_Task(conn, vm), options);
}
