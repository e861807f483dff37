// The same program with the defaults: the whole API's codecs are loaded on connect.
import { VimConnection, listVirtualMachines } from "esx-vi";

const conn = await VimConnection.connect(process.argv[2], { password: process.env.VC_PASSWORD });
for (const vm of await listVirtualMachines(conn, ["name", "runtime.powerState"]))
  console.log(vm.props.name);
await conn.close();
