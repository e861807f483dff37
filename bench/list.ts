/**
 * npm run bench:list -- --url URL [--insecure] [--repeat N] [--raw] [--page-size N] [--timeline]
 *
 * Lists every VM's name, runtime.powerState, config.hardware.memoryMB, numCPU,
 * config.uuid and summary through a container view (with paging), decoded into typed
 * objects with every type of the API, and prints one line per repetition:
 * `vms=N list_ms=X`. Credentials come from the URL (`https://user:pass@host/sdk`) or
 * ESX_VI_USER / ESX_VI_PASSWORD. `--raw` times the same request's bytes without decoding.
 * `--timeline` adds, per line, the time to the first byte of the RetrievePropertiesEx
 * response, from its first chunk to its last, and the time spent decoding the chunks.
 */
import "../index.js"; // the full SDK: every type is the connection's default
import { main } from "./list-core.js";

await main(undefined);
