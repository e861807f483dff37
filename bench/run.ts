/**
 * npm run bench [-- --vms 5000 --turns 20 --rounds 30]
 *
 * 1. Decode throughput: a RetrievePropertiesEx response of N VMs with summary and
 *    config.hardware, captured from vcsim, decoded into typed objects by esx-vi (in 64 KiB
 *    chunks, as it arrives) beside fast-xml-parser's parse of the same bytes, and the heap
 *    each result holds.
 * 2. End-to-end listing against vcsim (1 cluster × 4 hosts, N VMs in its pool) of name,
 *    runtime.powerState, config.hardware.memoryMB, config.hardware.numCPU, config.uuid and
 *    summary through a container view: esx-vi, esx-vi/lean, govmomi and pyVmomi clients doing
 *    the same (bench/govmomi, bench/pyvmomi), and the raw transfer of the same response.
 *    Warm: each in one long-lived process, one listing each per turn, the five taking turns
 *    in balanced orders after a quiet pause each; ratios per turn.
 * 3. Cold: the same in fresh processes, one listing each, in rounds in the same orders; the
 *    peak RSS of each process (GNU time). Ratios per round.
 * Ratios are taken within a turn or round, so that the clients compared met the same moment
 * of this shared machine and of vcsim; then their median.
 */
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { type Plugin, build } from "esbuild";
import { XMLParser } from "fast-xml-parser";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ResponseDecoder, VimConnection, vimPropertyTypes, vimTypes } from "../index.js";
import { rawVmListingBytes } from "./raw-request.js";
import { startVcsim } from "../test/support/vcsim.js";

const argv = await yargs(hideBin(process.argv))
  .option("vms", { type: "number", default: 5000 })
  // (Multiples of 10 go through the orders below evenly.) A fresh process's listing varies
  // more than a warm one (per-round ratios of 1.1-1.8 in one run), hence more rounds than turns.
  .option("rounds", {
    type: "number",
    default: 30,
    describe: "fresh processes per client (cold listing, peak RSS)",
  })
  .option("turns", { type: "number", default: 20, describe: "warm listings per client" })
  .check((a) =>
    [a.vms, a.rounds, a.turns].every((n) => Number.isInteger(n) && n >= 1)
      ? true
      : "--vms, --rounds and --turns must be whole numbers of at least 1",
  )
  .strict()
  .parseAsync();

const root = process.cwd();
const out = join(root, ".bench");
mkdirSync(out, { recursive: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Clients, run by plain node (no loader in the measured process). esx-vi as an npm user
// runs it: the package's compiled modules (dist/, built here), the bench code bundled
// around them. esx-vi/lean as a bundler user ships it: one tree-shaken bundle.
// govmomi is built over Debian's golang-github-vmware-govmomi-dev, pyVmomi is Debian's.
const tsc = spawnSync(
  process.execPath,
  [join(root, "node_modules/typescript/bin/tsc"), "-p", "tsconfig.build.json"],
  { encoding: "utf8" },
);
if (tsc.status !== 0) throw new Error(`cannot build dist/: ${tsc.stdout}${tsc.stderr}`);
const sdkFromDist: Plugin = {
  name: "sdk-from-dist",
  setup(b) {
    // Imports leaving bench/ reach the SDK's sources: use its compiled modules instead.
    b.onResolve({ filter: /^\.\.\// }, (args) => {
      if (relative(join(root, "bench"), args.resolveDir).startsWith("..")) return undefined;
      const source = resolve(args.resolveDir, args.path);
      return { path: join(root, "dist", relative(root, source)), external: true };
    });
  },
};
for (const [name, fromDist] of [
  ["list", true],
  ["list-lean", false],
] as const) {
  await build({
    entryPoints: [`bench/${name}.ts`],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: join(out, `${name}.mjs`),
    logLevel: "warning",
    plugins: fromDist ? [sdkFromDist] : [],
    banner: {
      js: "import { createRequire as __esxViCreateRequire } from 'node:module'; const require = __esxViCreateRequire(import.meta.url);",
    },
  });
}
const go = spawnSync("go", ["build", "-o", join(out, "govmomi-list"), "./bench/govmomi"], {
  encoding: "utf8",
  env: {
    ...process.env,
    GOPATH: "/usr/share/gocode",
    GO111MODULE: "off",
    GOCACHE: join(root, ".vcsim", "gocache"),
  },
});
if (go.status !== 0) throw new Error(`cannot build the govmomi client: ${go.stderr}`);
if (!existsSync("/usr/bin/python3"))
  throw new Error("/usr/bin/python3 (Debian's, with python3-pyvmomi) is needed");

/** A client process that lists once for each line written to it (`--paced`). */
function pacedClient(name: string, cmd: string, args: string[]) {
  const child = spawn(cmd, [...args, "--paced"], { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  return {
    name,
    async list(): Promise<number> {
      child.stdin.write("\n");
      const next = await lines.next();
      const line = next.done ? "" : (next.value as string);
      const ms = /list_ms=([\d.]+)/.exec(line)?.[1];
      if (ms === undefined) throw new Error(`${name} failed: ${stderr}`);
      const vms = /vms=(\d+)/.exec(line)?.[1];
      if (vms !== undefined && Number(vms) !== argv.vms)
        throw new Error(`${name} listed ${vms} VMs, expected ${argv.vms}`);
      return Number(ms);
    },
    async close(): Promise<void> {
      child.stdin.end();
      if (child.exitCode === null) await once(child, "exit");
    },
  };
}

console.log(`vcsim: 1 cluster x 4 hosts, ${argv.vms} VMs`);
const sim = await startVcsim([
  "-cluster",
  "1",
  "-host",
  "4",
  "-standalone-host",
  "0",
  "-vm",
  String(argv.vms),
]);
const url = `https://${encodeURIComponent(sim.user)}:${encodeURIComponent(sim.password)}@${sim.host}:${sim.port}/sdk`;
try {
  // 1. Decode throughput on a captured response.
  const conn = await VimConnection.connect(sim.endpoint, {
    username: sim.user,
    password: sim.password,
    tls: { thumbprint: sim.sha256 },
  });
  const bytes = await rawVmListingBytes(conn, ["name", "summary", "config.hardware"]);
  await conn.close();
  writeFileSync(join(out, "response.xml"), bytes);
  const mb = bytes.length / 1e6;
  const decodeOurs = () => {
    const d = new ResponseDecoder(
      "RetrievePropertiesEx",
      { codec: vimTypes.get("RetrieveResult")!, occurrence: "o" },
      { registry: vimTypes, propertyTypes: vimPropertyTypes },
    );
    for (let i = 0; i < bytes.length; i += 65536) d.write(bytes.subarray(i, i + 65536));
    const outcome = d.end() as { value?: { objects: unknown[] } };
    if (outcome.value?.objects.length !== argv.vms)
      throw new Error("decoded the wrong number of objects");
    return outcome.value;
  };
  const parseFxp = () => new XMLParser({ ignoreAttributes: false }).parse(bytes);
  const timed = (fn: () => unknown, n: number) => {
    const ts: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = performance.now();
      fn();
      ts.push(performance.now() - t);
    }
    return median(ts);
  };
  timed(decodeOurs, 2); // warm up
  const oursMs = timed(decodeOurs, 7);
  const fxpMs = timed(parseFxp, 5);
  // The heap a decoded result holds: live heap with it kept, minus without, after full GCs.
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const heldMb = (make: () => unknown) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept = make();
    gc();
    const held = process.memoryUsage().heapUsed - before;
    return kept === undefined ? NaN : held / 1048576;
  };
  const oursHeldMb = heldMb(decodeOurs);
  const fxpHeldMb = heldMb(parseFxp);
  console.log(
    `\n1. decode of one RetrievePropertiesEx response (${argv.vms} VMs: name, summary, config.hardware; ${mb.toFixed(1)} MB)`,
  );
  console.log(
    `   esx-vi, to typed objects:   ${oursMs.toFixed(0).padStart(5)} ms  ${(mb / (oursMs / 1000)).toFixed(1).padStart(6)} MB/s`,
  );
  console.log(
    `   fast-xml-parser, to a tree: ${fxpMs.toFixed(0).padStart(5)} ms  ${(mb / (fxpMs / 1000)).toFixed(1).padStart(6)} MB/s`,
  );
  console.log(
    `   heap held by the result: esx-vi ${oursHeldMb.toFixed(1)} MB, fast-xml-parser ${fxpHeldMb.toFixed(1)} MB`,
  );

  // 2 and 3. End-to-end listing: every client as its own process.
  const clients: [string, string, string[]][] = [
    ["esx-vi", process.execPath, [join(out, "list.mjs"), "--url", url, "--insecure"]],
    ["esx-vi (lean)", process.execPath, [join(out, "list-lean.mjs"), "--url", url, "--insecure"]],
    ["govmomi", join(out, "govmomi-list"), ["-url", url, "-insecure"]],
    [
      "pyVmomi",
      "/usr/bin/python3",
      [join(root, "bench/pyvmomi/list.py"), "--url", url, "--insecure"],
    ],
    [
      "raw transfer",
      process.execPath,
      [join(out, "list.mjs"), "--url", url, "--insecure", "--raw"],
    ],
  ];
  const GOV = 2;
  const RAW = 4;
  // Orders of the five in which each client takes each place twice and comes right after
  // each other client twice (a Williams design: the rotations of 0 1 4 2 3, and each one
  // reversed). Why: a listing's aftermath (vcsim collecting the garbage of an 11 MB
  // response, a client's background work) falls on whatever comes next, and this machine's
  // pace drifts, so every client must meet the same mix of neighbours and moments.
  const orders = [0, 1, 2, 3, 4].flatMap((r) => {
    const row = [0, 1, 4, 2, 3].map((k) => (k + r) % 5);
    return [row, [...row].reverse()];
  });
  const QUIET_MS = 300;
  const quiet = () => new Promise((resolve) => setTimeout(resolve, QUIET_MS));
  /** Per client, the median over turns of its time over client `j`'s in the same turn. */
  const perTurn = (times: number[][], j: number) =>
    times.map((mine) => median(mine.map((t, turn) => t / times[j]![turn]!)));

  // 2. Warm: each client in one long-lived process (--paced), one listing each per turn.
  const paced = clients.map(([name, cmd, args]) => pacedClient(name, cmd, args));
  const warmMs = clients.map(() => [] as number[]);
  try {
    for (const c of paced) for (let k = 0; k < 2; k++) await c.list(); // not measured
    for (let turn = 0; turn < argv.turns; turn++) {
      for (const j of orders[turn % orders.length]!) {
        await quiet();
        warmMs[j]!.push(await paced[j]!.list());
      }
    }
  } finally {
    for (const c of paced) await c.close();
  }

  // 3. Cold: a fresh process per client per round, one listing (V8 still compiling the
  // hot code, for Node), its peak RSS by GNU time.
  const runOnce = (name: string, cmd: string, args: string[]) => {
    const run = spawnSync("/usr/bin/time", ["-f", "maxrss_kb=%M", cmd, ...args], {
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
    const vms = Number(/vms=(\d+)/.exec(run.stdout)?.[1] ?? NaN);
    if (!name.startsWith("raw") && vms !== argv.vms)
      throw new Error(`${name} listed ${vms} VMs, expected ${argv.vms}`);
    return {
      ms: Number(/list_ms=([\d.]+)/.exec(run.stdout)?.[1] ?? NaN),
      rssMb: Number(/maxrss_kb=(\d+)/.exec(run.stderr)?.[1] ?? NaN) / 1024,
    };
  };
  const coldMs = clients.map(() => [] as number[]);
  const peaks = clients.map(() => [] as number[]);
  for (let round = 0; round < argv.rounds; round++) {
    for (const j of orders[round % orders.length]!) {
      const [name, cmd, args] = clients[j]!;
      await quiet();
      const { ms, rssMb } = runOnce(name, cmd, args);
      coldMs[j]!.push(ms);
      peaks[j]!.push(rssMb);
    }
  }

  const x = (a: number, b: number) => (a / b).toFixed(2);
  const warmGov = perTurn(warmMs, GOV);
  const warmRaw = perTurn(warmMs, RAW);
  const coldGov = perTurn(coldMs, GOV);
  const coldRaw = perTurn(coldMs, RAW);
  const rss = peaks.map(median);
  const runs = (ms: number[]) => ms.map((v) => v.toFixed(0)).join(" ");
  console.log(
    `\n2. listing ${argv.vms} VMs (6 properties incl. summary) through a container view, warm: each client in one long-lived process, one listing each per turn (${orders.length} orders in which each client takes each place and follows each other client equally often, ${QUIET_MS} ms quiet before each), ${argv.turns} turns after 2 unmeasured listings each; ratios are medians over the turns of the client's time over govmomi's / the raw transfer's in the same turn`,
  );
  console.log(
    `   ${"client".padEnd(13)} ${"median ms".padStart(9)} ${"x gov".padStart(5)} ${"x raw".padStart(5)}   runs (ms)`,
  );
  for (const [j, [name]] of clients.entries()) {
    console.log(
      `   ${name.padEnd(13)} ${median(warmMs[j]!).toFixed(0).padStart(9)} ${warmGov[j]!.toFixed(2).padStart(5)} ${warmRaw[j]!.toFixed(2).padStart(5)}   ${runs(warmMs[j]!)}`,
    );
  }
  console.log(
    `\n3. the same listing in a fresh process, cold, and that process's peak RSS: ${argv.rounds} rounds, each client once per round (the same orders); ratios are medians over the rounds`,
  );
  console.log(
    `   ${"client".padEnd(13)} ${"first ms".padStart(8)} ${"x gov".padStart(5)} ${"x raw".padStart(5)} ${"peak RSS MB".padStart(11)} ${"x gov".padStart(5)}   runs (ms); RSS (MB)`,
  );
  for (const [j, [name]] of clients.entries()) {
    console.log(
      `   ${name.padEnd(13)} ${median(coldMs[j]!).toFixed(0).padStart(8)} ${coldGov[j]!.toFixed(2).padStart(5)} ${coldRaw[j]!.toFixed(2).padStart(5)} ${rss[j]!.toFixed(0).padStart(11)} ${x(rss[j]!, rss[GOV]!).padStart(5)}   ${runs(coldMs[j]!)}; ${runs(peaks[j]!)}`,
    );
  }

  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  for (const j of [0, 1]) {
    console.log(
      `\ntargets, ${clients[j]![0]}: listing <= 0.8 x govmomi: warm ${warmGov[j]!.toFixed(2)} ${verdict(warmGov[j]! <= 0.8)}, cold ${coldGov[j]!.toFixed(2)} ${verdict(coldGov[j]! <= 0.8)}; ` +
        `<= 1.5 x raw: warm ${warmRaw[j]!.toFixed(2)} ${verdict(warmRaw[j]! <= 1.5)}, cold ${coldRaw[j]!.toFixed(2)} ${verdict(coldRaw[j]! <= 1.5)}; ` +
        `peak RSS <= 1.5 x govmomi: ${x(rss[j]!, rss[GOV]!)} ${verdict(rss[j]! <= 1.5 * rss[GOV]!)}`,
    );
  }
  console.log(
    `decode >= 60 MB/s: ${(mb / (oursMs / 1000)).toFixed(1)} ${verdict(mb / (oursMs / 1000) >= 60)}`,
  );
} finally {
  await sim.stop();
}
