/**
 * Against vcsim in the vCenter model (1 datacenter DC0, cluster DC0_C0 with 3 hosts,
 * standalone host DC0_H0, 2 VMs per host/pool, datastore LocalDS_0).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  TaskFailedError,
  TlsVerificationError,
  VimConnection,
  VimFaultError,
  findVmByName,
  listDatastores,
  listHosts,
  listNetworks,
  listVirtualMachines,
  powerOff,
  powerOn,
  powerState,
  readProperties,
  reset,
  suspend,
  type VmRef,
} from "../index.js";
import { SKIP_VCSIM, startVcsim, type Vcsim } from "./support/vcsim.js";

describe.skipIf(SKIP_VCSIM)("vcsim (vCenter model)", () => {
  let sim: Vcsim;
  let conn: VimConnection;
  const uri = () => `vpx://${sim.host}:${sim.port}/DC0/DC0_C0/DC0_C0_H0`;

  beforeAll(async () => {
    sim = await startVcsim(["-vm", "3"]);
    conn = await VimConnection.connect(uri(), {
      username: sim.user,
      password: sim.password,
      tls: { thumbprint: sim.sha256 },
    });
  });
  afterAll(async () => {
    await conn?.close();
    await sim?.stop();
  });

  describe("connecting", () => {
    it("by vpx:// URI: product line, negotiated version, session, inventory path", () => {
      expect(conn.productLine).toBe("vpx");
      expect(conn.about.apiVersion).toBe("6.5");
      expect(conn.apiVersion).toBe("5.5"); // the lower of the server's and the schema's
      expect(conn.session?.userName).toBe(sim.user);
      expect(conn.transport.sessionCookie).toMatch(/.+/);
      expect(conn.inventory).toMatchObject({
        datacenter: { name: "DC0" },
        datacenterPath: "DC0",
        computeResource: { name: "DC0_C0", ref: { type: "ClusterComputeResource" } },
        host: { name: "DC0_C0_H0", ref: { type: "HostSystem" } },
      });
    });

    it("by https URL, with TLS verification off explicitly", async () => {
      const c = await VimConnection.connect(sim.endpoint, {
        username: sim.user,
        password: sim.password,
        tls: { verify: false },
      });
      expect(c.productLine).toBe("vpx");
      expect(c.inventory).toBeUndefined();
      await c.close();
    });

    it("refuses an unverified certificate, showing the thumbprint to pin", async () => {
      const error = await VimConnection.connect(sim.endpoint, {
        username: sim.user,
        password: sim.password,
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TlsVerificationError);
      expect((error as TlsVerificationError).sha256).toBe(sim.sha256);
      expect((error as Error).message).toContain(
        `pin its certificate with thumbprint "${sim.sha256}"`,
      );
    });

    it("accepts a SHA-1 pin, a CA file, and no_verify=1 in the URI", async () => {
      for (const [target, tls] of [
        [sim.endpoint, { thumbprint: sim.sha1 }],
        [sim.endpoint, { ca: sim.certFile }],
        [`${uri()}?no_verify=1`, undefined],
      ] as const) {
        const c = await VimConnection.connect(target, {
          username: sim.user,
          password: sim.password,
          tls,
          skipInventory: true,
        });
        expect(c.session).toBeDefined();
        await c.close();
      }
    });

    it("refuses a pin that does not match", async () => {
      const wrong = sim.sha256.replace(/^../, sim.sha256.startsWith("00") ? "11" : "00");
      await expect(
        VimConnection.connect(sim.endpoint, {
          username: sim.user,
          password: sim.password,
          tls: { thumbprint: wrong },
        }),
      ).rejects.toThrow(TlsVerificationError);
    });

    it("a wrong password is InvalidLogin", async () => {
      const error = await VimConnection.connect(sim.endpoint, {
        username: sim.user,
        password: "wrong",
        tls: { thumbprint: sim.sha256 },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(VimFaultError);
      expect((error as VimFaultError).faultType).toBe("InvalidLogin");
      expect((error as Error).message).not.toContain("wrong");
    });

    it("a vpx path that names nothing is a clear error", async () => {
      await expect(
        VimConnection.connect(`vpx://${sim.host}:${sim.port}/DC0/NoSuchCluster?no_verify=1`, {
          username: sim.user,
          password: sim.password,
        }),
      ).rejects.toThrow(
        "path 'DC0/NoSuchCluster': no folder or compute resource named 'NoSuchCluster' in datacenter 'DC0'",
      );
      await expect(
        VimConnection.connect(`vpx://${sim.host}:${sim.port}/DC0/DC0_C0?no_verify=1`, {
          username: sim.user,
          password: sim.password,
        }),
      ).rejects.toThrow("path 'DC0/DC0_C0' names cluster 'DC0_C0' but no host in it");
      await expect(
        VimConnection.connect(`esx://${sim.host}:${sim.port}/?no_verify=1`, {
          username: sim.user,
          password: sim.password,
        }),
      ).rejects.toThrow("esx:// expects an ESX server");
    });
  });

  describe("listing with a page size smaller than the inventory", () => {
    it("VMs, with typed property paths", async () => {
      const vms = await listVirtualMachines<{
        name: string;
        "runtime.powerState": string;
        "config.hardware.memoryMB": number;
        "config.uuid": string;
      }>(conn, ["name", "runtime.powerState", "config.hardware.memoryMB", "config.uuid"], {
        pageSize: 2,
      });
      // 3 VMs on the standalone host and 3 in the cluster's root pool.
      expect(vms.length).toBe(6);
      for (const vm of vms) {
        expect(vm.ref.type).toBe("VirtualMachine");
        expect(["poweredOn", "poweredOff", "suspended"]).toContain(vm.props["runtime.powerState"]);
        expect(typeof vm.props["config.hardware.memoryMB"]).toBe("number");
        expect(vm.props["config.uuid"]).toMatch(/^[0-9a-f-]{36}$/);
      }
      expect(vms.map((v) => v.props.name).sort()).toContain("DC0_C0_RP0_VM0");
    });

    it("hosts, datastores and networks", async () => {
      const hosts = await listHosts<{ name: string; "summary.hardware.numCpuCores": number }>(
        conn,
        ["name", "summary.hardware.numCpuCores"],
        { pageSize: 1 } as never,
      );
      expect(hosts.map((h) => h.props.name).sort()).toEqual([
        "DC0_C0_H0",
        "DC0_C0_H1",
        "DC0_C0_H2",
        "DC0_H0",
      ]);
      expect(typeof hosts[0]!.props["summary.hardware.numCpuCores"]).toBe("number");
      const ds = await listDatastores<{ "summary.name": string; "summary.capacity": bigint }>(
        conn,
        ["summary.name", "summary.capacity"],
      );
      expect(ds.map((d) => d.props["summary.name"])).toEqual(["LocalDS_0"]);
      expect(typeof ds[0]!.props["summary.capacity"]).toBe("bigint");
      const nets = await listNetworks<{ name: string }>(conn, ["name"]);
      expect(nets.map((n) => n.props.name)).toContain("VM Network");
    });
  });

  describe("VM operations", () => {
    let vm: VmRef;
    beforeAll(async () => {
      vm = (await findVmByName(conn, "DC0_C0_RP0_VM1"))!;
      expect(vm).toBeDefined();
    });

    it("power off, on, suspend, reset — each a task waited on with WaitForUpdatesEx", async () => {
      if ((await powerState(conn, vm)) !== "poweredOn") await powerOn(conn, vm);
      const progress: number[] = [];
      await powerOff(conn, vm, { onProgress: (p) => progress.push(p) });
      expect(await powerState(conn, vm)).toBe("poweredOff");
      await powerOn(conn, vm);
      expect(await powerState(conn, vm)).toBe("poweredOn");
      await reset(conn, vm);
      expect(await powerState(conn, vm)).toBe("poweredOn");
      await suspend(conn, vm);
      expect(await powerState(conn, vm)).toBe("suspended");
      await powerOn(conn, vm);
      expect(await powerState(conn, vm)).toBe("poweredOn");
    });

    it("a failing task raises its typed fault", async () => {
      // Powering on a VM that is already on fails with InvalidPowerState.
      const error = await powerOn(conn, vm).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect((error as TaskFailedError).faultType).toBe("InvalidPowerState");
      expect((error as TaskFailedError).fault).toMatchObject({
        $type: "InvalidPowerState",
        existingState: "poweredOn",
      });
    });

    it("reads typed properties of one VM", async () => {
      const p = await readProperties<{ summary: { config: { name: string; numCpu: number } } }>(
        conn,
        vm,
        ["summary"],
      );
      expect(p.summary.config.name).toBe("DC0_C0_RP0_VM1");
    });
  });
});
