/**
 * The same listing with esx-vi/lean: the connection knows the VirtualMachine types only
 * (what this program reads), so the process loads a fraction of the codecs.
 */
import { VirtualMachineManagedType, typesFor } from "../lean.js";
import { main } from "./list-core.js";

await main(typesFor([VirtualMachineManagedType]));
