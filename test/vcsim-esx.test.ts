/** Against vcsim in the ESX model (ha-datacenter, one host, 2 VMs, datastore LocalDS_0). */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  VimConnection,
  addPortGroup,
  addVirtualSwitch,
  findVmByName,
  listVirtualMachines,
  networkConfig,
  powerOff,
  powerState,
  removePortGroup,
  removeVirtualSwitch,
} from "../index.js";
import { SKIP_VCSIM, startVcsim, type Vcsim } from "./support/vcsim.js";

describe.skipIf(SKIP_VCSIM)("vcsim (ESX model)", () => {
  let sim: Vcsim;
  let conn: VimConnection;

  beforeAll(async () => {
    sim = await startVcsim(["-esx"]);
    conn = await VimConnection.connect(
      `esx://${sim.user}@${sim.host}:${sim.port}/?no_verify=1&auto_answer=1`,
      { password: sim.password },
    );
  });
  afterAll(async () => {
    await conn?.close();
    await sim?.stop();
  });

  it("connects by esx:// URI: product line, URI options, libvirt's first datacenter/compute resource/host", () => {
    expect(conn.productLine).toBe("esx");
    expect(conn.autoAnswer).toBe(true);
    expect(conn.session?.userName).toBe(sim.user);
    expect(conn.inventory).toMatchObject({
      datacenter: { name: "ha-datacenter" },
      datacenterPath: "ha-datacenter",
      computeResource: { ref: { type: "ComputeResource" } },
      host: { ref: { type: "HostSystem" } },
    });
  });

  it("refuses vpx:// against an ESX host", async () => {
    await expect(
      VimConnection.connect(`vpx://${sim.host}:${sim.port}/ha-datacenter?no_verify=1`, {
        username: sim.user,
        password: sim.password,
      }),
    ).rejects.toThrow("vpx:// expects a vCenter server");
  });

  it("lists and powers off VMs", async () => {
    const vms = await listVirtualMachines<{ name: string }>(conn, ["name"], { pageSize: 1 });
    expect(vms.map((v) => v.props.name).sort()).toEqual(["ha-host_VM0", "ha-host_VM1"]);
    const vm = (await findVmByName(conn, "ha-host_VM0"))!;
    await powerOff(conn, vm);
    expect(await powerState(conn, vm)).toBe("poweredOff");
  });

  it("adds and removes a vSwitch and a port group", async () => {
    await addVirtualSwitch(conn, "esxvi-vs1");
    await addPortGroup(conn, "esxvi-pg1", "esxvi-vs1", 42);
    let net = await networkConfig(conn);
    expect(net.vswitch.map((v) => v.name)).toContain("esxvi-vs1");
    const pg = net.portgroup.find((p) => p.spec.name === "esxvi-pg1");
    expect(pg?.spec).toMatchObject({ vswitchName: "esxvi-vs1", vlanId: 42 });
    await removePortGroup(conn, "esxvi-pg1");
    await removeVirtualSwitch(conn, "esxvi-vs1");
    net = await networkConfig(conn);
    expect(net.vswitch.map((v) => v.name)).not.toContain("esxvi-vs1");
    expect(net.portgroup.map((p) => p.spec.name)).not.toContain("esxvi-pg1");
  });

  it("vcenter=: connects the managing vCenter too and finds this host in it", async () => {
    const vc = await startVcsim([]);
    try {
      const both = await VimConnection.connect(
        `esx://${sim.host}:${sim.port}/?no_verify=1&vcenter=${vc.host}:${vc.port}`,
        {
          username: sim.user,
          password: sim.password,
          vcenter: { username: vc.user, password: vc.password },
        },
      );
      expect(both.vcenter?.connection.productLine).toBe("vpx");
      expect(both.vcenter?.host.type).toBe("HostSystem");
      await both.close();
      await expect(
        VimConnection.connect(`esx://${sim.host}:${sim.port}/?no_verify=1&vcenter=*`, {
          username: sim.user,
          password: sim.password,
          vcenter: { password: "x" },
        }),
      ).rejects.toThrow(`vcenter=*: host ${sim.host} does not report a managing vCenter`);
      await expect(
        VimConnection.connect(
          `esx://${sim.host}:${sim.port}/?no_verify=1&vcenter=${sim.host}:${sim.port}`,
          {
            username: sim.user,
            password: sim.password,
            vcenter: { username: sim.user, password: sim.password },
          },
        ),
      ).rejects.toThrow("not a vCenter");
    } finally {
      await vc.stop();
    }
  });
});
