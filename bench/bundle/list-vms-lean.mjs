// A program that connects and lists VMs, telling the connection which types it reads.
import {
  VimConnection,
  VirtualMachineManagedType,
  listVirtualMachines,
  typesFor,
} from "esx-vi/lean";

const conn = await VimConnection.connect(process.argv[2], {
  password: process.env.VC_PASSWORD,
  types: typesFor([VirtualMachineManagedType]),
});
for (const vm of await listVirtualMachines(conn, ["name", "runtime.powerState"]))
  console.log(vm.props.name);
await conn.close();
