/**
 * Builds our vcsim (test/vcsim/main.go over Debian's golang-github-vmware-govmomi-dev)
 * once, and starts instances on 127.0.0.1 with TLS. Fails loudly when it cannot be
 * built; only ESX_VI_SKIP_VCSIM=1 skips the tests that need it.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const SKIP_VCSIM = process.env.ESX_VI_SKIP_VCSIM === "1";

const root = process.cwd();
const binDir = join(root, ".vcsim");
const binary = join(binDir, "vcsim");
const source = join(root, "test/vcsim/main.go");

/** Build (or reuse) the vcsim binary; throws with the compiler's output on failure. */
export function buildVcsim(): string {
  const hash = createHash("sha256").update(readFileSync(source)).digest("hex");
  const stamp = join(binDir, "vcsim.sha256");
  if (existsSync(binary) && existsSync(stamp) && readFileSync(stamp, "utf8") === hash)
    return binary;
  mkdirSync(binDir, { recursive: true });
  const go = spawnSync("go", ["build", "-o", binary, "./test/vcsim"], {
    cwd: root,
    encoding: "utf8",
    env: {
      ...process.env,
      GOPATH: "/usr/share/gocode",
      GO111MODULE: "off",
      GOCACHE: join(binDir, "gocache"),
    },
  });
  if (go.error || go.status !== 0) {
    throw new Error(
      `cannot build vcsim (needs Debian's golang-go and golang-github-vmware-govmomi-dev; .ci/run installs them; ` +
        `set ESX_VI_SKIP_VCSIM=1 to skip these tests): ${go.error?.message ?? ""}\n${go.stderr}`,
    );
  }
  writeFileSync(stamp, hash);
  return binary;
}

export interface Vcsim {
  /** `https://127.0.0.1:PORT/sdk` */
  endpoint: string;
  host: string;
  port: number;
  user: string;
  password: string;
  sha256: string;
  sha1: string;
  certFile: string;
  stop(): Promise<void>;
}

export async function startVcsim(args: string[] = []): Promise<Vcsim> {
  const child: ChildProcess = spawn(buildVcsim(), args, { stdio: ["pipe", "pipe", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    const timer = setTimeout(
      () => reject(new Error(`vcsim did not start in 30 s: ${stderr}`)),
      30_000,
    );
    rl.once("line", (l) => {
      clearTimeout(timer);
      resolve(l);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`vcsim exited with ${code}: ${stderr}`));
    });
  });
  const info = JSON.parse(line) as { url: string; sha256: string; sha1: string; certFile: string };
  const url = new URL(info.url);
  return {
    endpoint: `${url.protocol}//${url.host}/sdk`,
    host: url.hostname,
    port: Number(url.port),
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    sha256: info.sha256,
    sha1: info.sha1,
    certFile: info.certFile,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        const kill = setTimeout(() => child.kill("SIGKILL"), 8000);
        child.once("exit", () => {
          clearTimeout(kill);
          resolve();
        });
        child.stdin!.end(); // vcsim stops when its stdin closes
      }),
  };
}
