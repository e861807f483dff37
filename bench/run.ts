/**
 * npm run bench [-- --vms 5000 --repeat 5 --rounds 3 --turns 24]
 *
 * 1. Decode throughput: a RetrievePropertiesEx response of N VMs with summary and
 *    config.hardware, captured from vcsim, decoded into typed objects by esx-vi (in 64 KiB
 *    chunks, as it arrives) beside fast-xml-parser's parse of the same bytes, and the heap
 *    each result holds.
 * 2. End-to-end listing against vcsim (1 cluster × 4 hosts, N VMs in its pool) of name,
 *    runtime.powerState, config.hardware.memoryMB, config.hardware.numCPU, config.uuid and
 *    summary through a container view: esx-vi, govmomi and pyVmomi clients doing the same
 *    (bench/govmomi, bench/pyvmomi), and the raw transfer of the same response. Each
 *    process lists 1 + repeat times; each client runs `rounds` such processes, the clients
 *    taking turns in an order that rotates every round. Reported: the median of the first
 *    listings (one per process) and the median of all the others.
 * 3. Peak RSS of one listing (each client again in fresh processes, one listing each, GNU
 *    time; the median of 5 processes).
 * 4. The listing of esx-vi and esx-vi/lean interleaved with the raw transfer: three
 *    long-lived processes, one listing each per turn, every order of the three alike, a
 *    quiet pause before each; the median of each one's listing over the raw transfer's in
 *    the same turn.
 * Every client runs as its own process; medians over the repetitions; ratios from this run.
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
import {
  CreateContainerView,
  ResponseDecoder,
  VimConnection,
  vimPropertyTypes,
  vimTypes,
} from "../index.js";
import { retrieveVmsRequest } from "./raw-request.js";
import { startVcsim } from "../test/support/vcsim.js";

const argv = await yargs(hideBin(process.argv))
  .option("vms", { type: "number", default: 5000 })
  .option("repeat", { type: "number", default: 5 })
  .option("rounds", { type: "number", default: 3 })
  .option("turns", { type: "number", default: 24 })
  .check((a) =>
    [a.vms, a.repeat, a.rounds, a.turns].every((n) => Number.isInteger(n) && n >= 1)
      ? true
      : "--vms, --repeat, --rounds and --turns must be whole numbers of at least 1",
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
      const ms = next.done ? undefined : /list_ms=([\d.]+)/.exec(next.value as string)?.[1];
      if (ms === undefined) throw new Error(`${name} failed: ${stderr}`);
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
  const view = await CreateContainerView(conn, {
    container: conn.rootFolder,
    type: ["VirtualMachine"],
    recursive: true,
  });
  const request = retrieveVmsRequest(conn.serviceContent.propertyCollector, view, [
    "name",
    "summary",
    "config.hardware",
  ]);
  const res = await conn.transport.request({
    method: "POST",
    path: "/sdk",
    headers: { "Content-Type": "text/xml", SOAPAction: "urn:vim25/5.5" },
    body: request,
    what: "capture",
  });
  const parts: Buffer[] = [];
  for await (const c of res.body) parts.push(c);
  const bytes = Buffer.concat(parts);
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

  // 2 and 3. End-to-end listing and peak RSS, one process per client.
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
  const runClient = (name: string, cmd: string, args: string[], repeat: number) => {
    const flag = cmd.endsWith("govmomi-list") ? "-repeat" : "--repeat";
    const run = spawnSync(
      "/usr/bin/time",
      ["-f", "maxrss_kb=%M", cmd, ...args, flag, String(repeat)],
      {
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
      },
    );
    if (run.status !== 0) throw new Error(`${name} failed: ${run.stderr}`);
    const counts = [...run.stdout.matchAll(/vms=(\d+)/g)].map((m) => Number(m[1]));
    if (counts.some((c) => c !== argv.vms))
      throw new Error(`${name} listed ${counts.join(",")} VMs, expected ${argv.vms}`);
    return {
      runs: [...run.stdout.matchAll(/list_ms=([\d.]+)/g)].map((m) => Number(m[1])),
      rssMb: Number(/maxrss_kb=(\d+)/.exec(run.stderr)?.[1] ?? NaN) / 1024,
    };
  };
  // Each process lists 1 + repeat times: the first listing (cold: for Node, V8 still
  // compiling the hot code) is reported on its own, the median is of the others. The
  // clients take turns, one process each per round, starting one client later every
  // round: vcsim's own pace drifts over a run (its time to the first byte moved by 50 ms
  // from one run to the next), and turns spread that drift over every client alike.
  const RSS_PROCESSES = 5;
  const rounds = new Map<string, number[][]>(clients.map(([name]) => [name, []]));
  for (let round = 0; round < argv.rounds; round++) {
    for (let k = 0; k < clients.length; k++) {
      const [name, cmd, args] = clients[(k + round) % clients.length]!;
      rounds.get(name)!.push(runClient(name, cmd, args, argv.repeat + 1).runs);
    }
  }
  const results: {
    name: string;
    first: number;
    ms: number;
    rssMb: number;
    peaks: number[];
    runs: number[][];
  }[] = [];
  for (const [name, cmd, args] of clients) {
    // The peak of one listing, each in a fresh process; the median of several, as it
    // moves by a few MB from one process to the next (for every client, govmomi too).
    const peaks: number[] = [];
    for (let k = 0; k < RSS_PROCESSES; k++) peaks.push(runClient(name, cmd, args, 1).rssMb);
    const runs = rounds.get(name)!;
    results.push({
      name,
      first: median(runs.map((r) => r[0]!)),
      ms: median(runs.flatMap((r) => r.slice(1))),
      rssMb: median(peaks),
      peaks,
      runs,
    });
  }
  const gov = results.find((r) => r.name === "govmomi")!;
  const raw = results.find((r) => r.name === "raw transfer")!;
  const ours = results.find((r) => r.name === "esx-vi")!;
  const lean = results.find((r) => r.name === "esx-vi (lean)")!;
  const x = (a: number, b: number) => (a / b).toFixed(2);
  console.log(
    `\n2-3. listing ${argv.vms} VMs (6 properties incl. summary) through a container view; ${argv.rounds} processes per client, taking turns; the median of their first listings, and of the ${argv.repeat} more each; peak RSS of one listing in a fresh process, median of ${RSS_PROCESSES}`,
  );
  console.log(
    `   ${"client".padEnd(13)} ${"first ms".padStart(8)} ${"x gov".padStart(5)} ${"x raw".padStart(5)} ${"median ms".padStart(9)} ${"x gov".padStart(5)} ${"x raw".padStart(5)} ${"peak RSS MB".padStart(11)} ${"x gov".padStart(5)}   runs (ms)`,
  );
  for (const r of results) {
    console.log(
      `   ${r.name.padEnd(13)} ${r.first.toFixed(0).padStart(8)} ${x(r.first, gov.first).padStart(5)} ${x(r.first, raw.first).padStart(5)} ${r.ms.toFixed(0).padStart(9)} ${x(r.ms, gov.ms).padStart(5)} ${x(r.ms, raw.ms).padStart(5)} ${r.rssMb.toFixed(0).padStart(11)} ${x(r.rssMb, gov.rssMb).padStart(5)}   ${r.runs.map((run) => run.map((v) => v.toFixed(0)).join(" ")).join(" | ")}; RSS ${r.peaks.map((v) => v.toFixed(0)).join(" ")}`,
    );
  }
  // 4. The same listings against the raw transfer, interleaved: esx-vi, esx-vi/lean and the
  // raw transfer in long-lived processes, one listing each in turn, so that each turn's three
  // listings meet the same state of this shared machine and of vcsim. The turns go through
  // all six orders of the three (a rotation alone would always put the raw transfer right
  // after a decoding client, whose aftermath — vcsim collecting the garbage of an 11 MB
  // response, V8's background work — would then fall on it), and each listing starts after a
  // quiet pause. A process's first two listings are not measured.
  const paced = [clients[0]!, clients[1]!, clients[4]!].map(([name, cmd, args]) =>
    pacedClient(name, cmd, args),
  );
  const turnMs = paced.map(() => [] as number[]);
  const QUIET_MS = 300;
  try {
    for (const c of paced) for (let k = 0; k < 2; k++) await c.list();
    const orders = [
      [0, 1, 2],
      [1, 2, 0],
      [2, 0, 1],
      [0, 2, 1],
      [2, 1, 0],
      [1, 0, 2],
    ];
    for (let turn = 0; turn < argv.turns; turn++) {
      for (const j of orders[turn % orders.length]!) {
        await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
        turnMs[j]!.push(await paced[j]!.list());
      }
    }
  } finally {
    for (const c of paced) await c.close();
  }
  const rawTurns = turnMs[2]!;
  const interleaved = paced.map((c, j) => ({
    name: c.name,
    ms: median(turnMs[j]!),
    // Each turn's listing over the raw transfer's in the same turn.
    perTurn: median(turnMs[j]!.map((t, turn) => t / rawTurns[turn]!)),
  }));
  console.log(
    `\n4. the same listing interleaved with the raw transfer: one listing per process in turn (every order of the three alike, ${QUIET_MS} ms quiet before each), ${argv.turns} turns after 2 unmeasured listings each`,
  );
  console.log(
    `   ${"client".padEnd(13)} ${"median ms".padStart(9)} ${"x raw".padStart(5)} ${"x raw per turn".padStart(14)}   runs (ms)`,
  );
  for (const [j, r] of interleaved.entries()) {
    console.log(
      `   ${r.name.padEnd(13)} ${r.ms.toFixed(0).padStart(9)} ${x(r.ms, interleaved[2]!.ms).padStart(5)} ${r.perTurn.toFixed(2).padStart(14)}   ${turnMs[j]!.map((v) => v.toFixed(0)).join(" ")}`,
    );
  }

  const verdict = (ok: boolean) => (ok ? "met" : "NOT met");
  for (const [j, r] of [ours, lean].entries()) {
    const turns = interleaved[j]!;
    console.log(
      `\ntargets, ${r.name}: listing <= 0.8 x govmomi: median ${x(r.ms, gov.ms)} ${verdict(r.ms <= 0.8 * gov.ms)}, first ${x(r.first, gov.first)} ${verdict(r.first <= 0.8 * gov.first)}; ` +
        `<= 1.5 x raw: median ${x(r.ms, raw.ms)} ${verdict(r.ms <= 1.5 * raw.ms)}, first ${x(r.first, raw.first)} ${verdict(r.first <= 1.5 * raw.first)}, ` +
        `interleaved ${turns.perTurn.toFixed(2)} per turn ${verdict(turns.perTurn <= 1.5)}; ` +
        `peak RSS <= 1.5 x govmomi: ${x(r.rssMb, gov.rssMb)} ${verdict(r.rssMb <= 1.5 * gov.rssMb)}`,
    );
  }
  console.log(
    `decode >= 60 MB/s: ${(mb / (oursMs / 1000)).toFixed(1)} ${verdict(mb / (oursMs / 1000) >= 60)}`,
  );
} finally {
  await sim.stop();
}
