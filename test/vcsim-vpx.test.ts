/**
 * Against vcsim in the vCenter model (1 datacenter DC0, cluster DC0_C0 with 3 hosts,
 * standalone host DC0_H0, 2 VMs per host/pool, datastore LocalDS_0).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Readable } from "node:stream";
import {
  TaskFailedError,
  deserialize,
  serialize,
  collect,
  findVmById,
  findVmByUuid,
  inventoryTraversal,
  libvirtTraversal,
  parseVirtualMachineId,
  TerminateSession,
  browseDatastore,
  copyVirtualDisk,
  createSnapshot,
  createVirtualDisk,
  createVm,
  deleteFile,
  deleteVirtualDisk,
  destroyVm,
  download,
  findSnapshot,
  isType,
  makeDirectory,
  reconfigure,
  registerVm,
  removeSnapshot,
  revertToSnapshot,
  snapshotTree,
  unregisterVm,
  upload,
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
  ResponseDecoder,
  vimPropertyTypes,
  vimTypes,
} from "../index.js";
import { rawVmListingBytes } from "../bench/raw-request.js";
import {
  VimConnection as LeanConnection,
  listVirtualMachines as leanList,
  powerOff as leanPowerOff,
  typesFor as leanTypesFor,
  TaskManagedType as LeanTaskType,
  VirtualMachineManagedType as LeanVmType,
} from "../lean.js";
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

    it.each([
      ["name", "runtime.powerState", "config.hardware.memoryMB", "config.uuid", "summary"],
      // vcsim's video cards carry graphicsMemorySizeInKB, which the 5.5 schema lacks ($extra).
      ["name", "config.hardware"],
    ])(
      "a listing's items read with templates decode as they do without, in any chunking (%s, …)",
      async (...paths) => {
        const bytes = await rawVmListingBytes(conn, paths);
        const decode = (chunk: number, itemTemplates: boolean) => {
          const decoder = new ResponseDecoder(
            "RetrievePropertiesEx",
            { codec: vimTypes.get("RetrieveResult")!, occurrence: "o" },
            { registry: vimTypes, propertyTypes: vimPropertyTypes, itemTemplates },
          );
          for (let i = 0; i < bytes.length; i += chunk) decoder.write(bytes.subarray(i, i + chunk));
          return { outcome: decoder.end(), replayed: decoder.itemsReplayed };
        };
        const without = decode(bytes.length, false);
        expect(without.replayed).toBe(0);
        const objects = (without.outcome as { value: { objects: unknown[] } }).value.objects;
        expect(objects).toHaveLength(6);
        for (const chunk of [bytes.length, 4096, 1000, 97]) {
          const withTemplates = decode(chunk, true);
          expect(withTemplates.outcome, `chunks of ${chunk}`).toEqual(without.outcome);
          if (chunk === bytes.length) expect(withTemplates.replayed).toBeGreaterThan(0);
        }
        if (paths.includes("config.hardware")) {
          const devices = JSON.stringify(without.outcome, (_k, v) =>
            typeof v === "bigint" ? String(v) : v,
          );
          expect(devices).toContain('"$extra":{"graphicsMemorySizeInKB":"');
        }
      },
    );

    it("hosts, datastores and networks", async () => {
      const hosts = await listHosts<{ name: string; "summary.hardware.numCpuCores": number }>(
        conn,
        ["name", "summary.hardware.numCpuCores"],
        { pageSize: 1 },
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

  describe("lookups and traversal specs", () => {
    it("finds VMs by name, by BIOS UUID (FindByUuid) and by id (42 or vm-42)", async () => {
      const all = await listVirtualMachines<{ name: string; "config.uuid": string }>(conn, [
        "name",
        "config.uuid",
      ]);
      const target = all.find((v) => v.props.name === "DC0_H0_VM1")!;
      expect(await findVmByName(conn, "DC0_H0_VM1")).toEqual(target.ref);
      expect(await findVmByUuid(conn, target.props["config.uuid"])).toEqual(target.ref);
      expect(await findVmByUuid(conn, "00000000-0000-0000-0000-000000000000")).toBeUndefined();
      const id = parseVirtualMachineId(target.ref.value);
      expect(await findVmById(conn, id)).toEqual(target.ref);
      expect(await findVmById(conn, `vm-${id}`)).toEqual(target.ref);
      expect(await findVmByName(conn, "no such vm")).toBeUndefined();
    });

    it("walks the whole inventory recursively from the root folder", async () => {
      const vms = await collect<{ name: string }>(
        conn,
        conn.rootFolder,
        "VirtualMachine",
        ["name"],
        inventoryTraversal(),
      );
      expect(vms.length).toBe(6);
      const hosts = await collect(
        conn,
        conn.rootFolder,
        "HostSystem",
        ["name"],
        inventoryTraversal(),
      );
      expect(hosts.length).toBe(4);
    });

    it("follows libvirt's one-hop table (host → VMs, host → datastores, cluster → hosts)", async () => {
      const host = conn.inventory!.host.ref;
      const cluster = conn.inventory!.computeResource.ref;
      const vms = await collect(
        conn,
        host,
        "VirtualMachine",
        ["name"],
        libvirtTraversal("HostSystem", "VirtualMachine")!,
      );
      const ds = await collect(
        conn,
        host,
        "Datastore",
        ["summary.name"],
        libvirtTraversal("HostSystem", "Datastore")!,
      );
      const hosts = await collect(
        conn,
        cluster,
        "HostSystem",
        ["name"],
        libvirtTraversal("ClusterComputeResource", "HostSystem")!,
      );
      expect(ds.map((d) => d.props["summary.name"])).toEqual(["LocalDS_0"]);
      expect(hosts.length).toBe(3);
      expect(vms.every((v) => v.ref.type === "VirtualMachine")).toBe(true);
      expect(libvirtTraversal("Datastore", "Network")).toBeUndefined();
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

  describe("snapshots, reconfiguration, lifecycle", () => {
    let vm: VmRef;
    beforeAll(async () => {
      vm = (await findVmByName(conn, "DC0_H0_VM0"))!;
    });

    it("create, read the tree, revert, remove", async () => {
      const s1 = await createSnapshot(conn, vm, { name: "base", description: "first" });
      expect(s1.type).toBe("VirtualMachineSnapshot");
      const s2 = await createSnapshot(conn, vm, { name: "child", description: "second" });
      let tree = await snapshotTree(conn, vm);
      expect(tree.roots.map((r) => r.name)).toEqual(["base"]);
      expect(tree.roots[0]!.children.map((c) => c.name)).toEqual(["child"]);
      expect(tree.current).toEqual(s2);
      expect(findSnapshot(tree.roots, "child")?.ref).toEqual(s2);
      await revertToSnapshot(conn, vm, s1);
      tree = await snapshotTree(conn, vm);
      expect(tree.current).toEqual(s1);
      await removeSnapshot(conn, vm, s1, true);
      tree = await snapshotTree(conn, vm);
      expect(tree.roots).toEqual([]);
    });

    it("reconfigures memory and CPUs", async () => {
      await reconfigure(conn, vm, { memoryMB: 2048n, numCPUs: 2 });
      const p = await readProperties<{
        "config.hardware.memoryMB": number;
        "config.hardware.numCPU": number;
      }>(conn, vm, ["config.hardware.memoryMB", "config.hardware.numCPU"]);
      expect(p).toEqual({ "config.hardware.memoryMB": 2048, "config.hardware.numCPU": 2 });
    });

    it("creates a VM, unregisters it, registers it back, destroys it", async () => {
      const created = await createVm(conn, {
        name: "esx-vi test Ü",
        guestId: "otherGuest",
        numCPUs: 1,
        memoryMB: 128n,
        files: { vmPathName: "[LocalDS_0]" },
      });
      expect(created.type).toBe("VirtualMachine");
      expect(await findVmByName(conn, "esx-vi test Ü")).toEqual(created);
      const vmx = (
        await readProperties<{ "config.files.vmPathName": string }>(conn, created, [
          "config.files.vmPathName",
        ])
      )["config.files.vmPathName"];
      await unregisterVm(conn, created);
      expect(await findVmByName(conn, "esx-vi test Ü")).toBeUndefined();
      // (vcsim registers only under the directory's own name, so no new name here)
      const registered = await registerVm(conn, vmx);
      expect(await findVmByName(conn, "esx-vi test Ü")).toEqual(registered);
      await destroyVm(conn, registered);
      expect(await findVmByName(conn, "esx-vi test Ü")).toBeUndefined();
    });
  });

  describe("datastore files and disks", () => {
    it("uploads a file and downloads it back byte-identical, with a Range read", async () => {
      await makeDirectory(conn, "[LocalDS_0] esx-vi/files");
      const bytes = Buffer.alloc(3 * 1024 * 1024 + 7);
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
      // Streamed in 64 KiB chunks: the upload never holds more than the stream gives it.
      const chunks = Array.from({ length: Math.ceil(bytes.length / 65536) }, (_, i) =>
        bytes.subarray(i * 65536, (i + 1) * 65536),
      );
      await upload(conn, "[LocalDS_0] esx-vi/files/data.bin", Readable.from(chunks), {
        size: bytes.length,
      });
      const whole = await download(conn, "[LocalDS_0] esx-vi/files/data.bin");
      expect(whole.size).toBe(bytes.length);
      const back: Buffer[] = [];
      for await (const c of whole.stream) back.push(c as Buffer);
      expect(Buffer.concat(back).equals(bytes)).toBe(true);
      const part = await download(conn, "[LocalDS_0] esx-vi/files/data.bin", {
        offset: 1000,
        length: 5000,
      });
      const partBytes: Buffer[] = [];
      for await (const c of part.stream) partBytes.push(c as Buffer);
      expect(Buffer.concat(partBytes).equals(bytes.subarray(1000, 6000))).toBe(true);
    });

    it("browses the datastore: FileInfo subtypes", async () => {
      await createVirtualDisk(conn, "[LocalDS_0] esx-vi/disk1.vmdk", 1024n);
      const results = await browseDatastore(conn, "[LocalDS_0] esx-vi", {
        details: { fileType: true, fileSize: true, modification: true, fileOwner: false },
        query: [{ $type: "FolderFileQuery" }, { $type: "VmDiskFileQuery" }],
        matchPattern: ["*"],
      } as never);
      const files = results.flatMap((r) => r.file ?? []);
      const folders = files.filter((f) => isType("FolderFileInfo", f));
      const disks = files.filter((f) => isType("VmDiskFileInfo", f));
      expect(folders.map((f) => f.path)).toContain("files");
      expect(disks.map((f) => f.path)).toContain("disk1.vmdk");
      const recursive = await browseDatastore(conn, "[LocalDS_0] esx-vi", undefined, {
        recursive: true,
      });
      expect(recursive.map((r) => r.folderPath)).toContain("[LocalDS_0] esx-vi/files");
    });

    it("copies and deletes virtual disks, deletes files", async () => {
      await copyVirtualDisk(conn, "[LocalDS_0] esx-vi/disk1.vmdk", "[LocalDS_0] esx-vi/disk2.vmdk");
      let names = (await browseDatastore(conn, "[LocalDS_0] esx-vi"))
        .flatMap((r) => r.file ?? [])
        .map((f) => f.path);
      expect(names).toEqual(expect.arrayContaining(["disk1.vmdk", "disk2.vmdk"]));
      await deleteVirtualDisk(conn, "[LocalDS_0] esx-vi/disk2.vmdk");
      await deleteFile(conn, "[LocalDS_0] esx-vi/files/data.bin");
      names = (await browseDatastore(conn, "[LocalDS_0] esx-vi", undefined, { recursive: true }))
        .flatMap((r) => r.file ?? [])
        .map((f) => f.path);
      expect(names).not.toContain("disk2.vmdk");
      expect(names).not.toContain("data.bin");
      const gone = await download(conn, "[LocalDS_0] esx-vi/files/data.bin").catch(
        (e: unknown) => e,
      );
      expect((gone as Error).message).toBe("[LocalDS_0] esx-vi/files/data.bin does not exist");
    });

    it("a failing datastore task is a typed fault", async () => {
      const error = await deleteFile(conn, "[LocalDS_0] no/such/file").catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TaskFailedError);
      expect((error as TaskFailedError).faultType).toBe("FileNotFound");
    });
  });

  describe("sessions", () => {
    it("a session terminated server-side is re-established transparently", async () => {
      const other = await VimConnection.connect(sim.endpoint, {
        username: sim.user,
        password: sim.password,
        tls: { thumbprint: sim.sha256 },
      });
      const before = conn.session!.key;
      await TerminateSession(other, { sessionId: [before] });
      await other.close();
      // The next calls fail with NotAuthenticated, log in again once, and are retried.
      const [a, b] = await Promise.all([
        listVirtualMachines(conn, ["name"]),
        listHosts(conn, ["name"]),
      ]);
      expect(a.length).toBe(6);
      expect(b.length).toBe(4);
      expect(conn.session!.key).not.toBe(before);
      expect(conn.reloginCount).toBe(1);
    });
  });

  describe("forward compatibility and lean connections", () => {
    it("decodes vcsim's API 6.5 data with the 5.5 schema, keeping unknown members, and writes it back unchanged", async () => {
      const host = conn.inventory!.host.ref;
      const { config } = await readProperties<{
        config: Record<string, unknown> & { $extra?: Record<string, unknown> };
      }>(conn, host, ["config"]);
      expect(config.$type).toBe("HostConfigInfo");
      // Members added after 5.5 (lockdownMode since 6.0, …) arrive in $extra instead of being lost.
      expect(config.$extra).toHaveProperty("lockdownMode");
      const xml = serialize("HostConfigInfo", config);
      for (const key of Object.keys(config.$extra!)) expect(xml).toContain(`<${key}`);
      expect(deserialize("HostConfigInfo", xml)).toEqual(config);
      const ds = await listDatastores<{
        info: { $type: string; $extra?: Record<string, unknown> };
      }>(conn, ["info"]);
      expect(ds[0]!.props.info.$type).toBe("LocalDatastoreInfo");
      expect(ds[0]!.props.info.$extra).toHaveProperty("maxMemoryFileSize");
    });

    it("a lean connection (esx-vi/lean, VirtualMachine and Task types only) lists VMs and runs a task", async () => {
      const lean = await LeanConnection.connect(sim.endpoint, {
        username: sim.user,
        password: sim.password,
        tls: { thumbprint: sim.sha256 },
        types: leanTypesFor([LeanVmType, LeanTaskType]),
      });
      const vms = await leanList<{
        name: string;
        "runtime.powerState": string;
        summary: { $type: string };
      }>(lean, ["name", "runtime.powerState", "summary"]);
      expect(vms.length).toBe(6);
      expect(vms[0]!.props.summary.$type).toBe("VirtualMachineSummary");
      const vm = vms.find((v) => v.props.name === "DC0_H0_VM1")!.ref;
      await leanPowerOff(lean, vm);
      expect(
        (
          await leanList<{ name: string; "runtime.powerState": string }>(lean, [
            "name",
            "runtime.powerState",
          ])
        ).find((v) => v.props.name === "DC0_H0_VM1")!.props["runtime.powerState"],
      ).toBe("poweredOff");
      await lean.close();
    });
  });
});
