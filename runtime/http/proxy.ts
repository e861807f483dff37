/**
 * Proxies: HTTP CONNECT, SOCKS5, SOCKS4 and SOCKS4A tunnels (small enough to write here,
 * which keeps the runtime free of dependencies), configured from libvirt's `proxy=`
 * syntax or the standard environment variables.
 */
import { connect, isIP, type Socket } from "node:net";
import { ConnectionError } from "../errors.js";

export type ProxyKind = "http" | "socks5" | "socks4" | "socks4a";

export interface ProxyConfig {
  kind: ProxyKind;
  host: string;
  port: number;
  username?: string;
  password?: string;
}

export class ProxyConfigError extends ConnectionError {
  constructor(message: string) {
    super(message, "EPROXYCONFIG");
  }
}

const SCHEMES: Record<string, ProxyKind> = {
  http: "http",
  socks: "socks5",
  socks5: "socks5",
  socks5h: "socks5",
  socks4: "socks4",
  socks4a: "socks4a",
};

/**
 * libvirt's `proxy=[type://]host[:port]`: type http (default), socks/socks5, socks4,
 * socks4a; port 1080 by default. Also takes `user:pass@` before the host.
 */
export function parseProxy(spec: string): ProxyConfig {
  let rest = spec.trim();
  let kind: ProxyKind = "http";
  const scheme = /^([A-Za-z0-9]+):\/\//.exec(rest);
  if (scheme) {
    const k = SCHEMES[scheme[1]!.toLowerCase()];
    if (!k)
      throw new ProxyConfigError(
        `unsupported proxy type '${scheme[1]}' in '${spec}' (use http, socks, socks5, socks4 or socks4a)`,
      );
    kind = k;
    rest = rest.slice(scheme[0].length);
  }
  rest = rest.replace(/\/+$/, "");
  let username: string | undefined;
  let password: string | undefined;
  const at = rest.lastIndexOf("@");
  if (at >= 0) {
    const auth = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = auth.indexOf(":");
    username = decodeURIComponent(colon < 0 ? auth : auth.slice(0, colon));
    password = colon < 0 ? undefined : decodeURIComponent(auth.slice(colon + 1));
  }
  let host = rest;
  let port = 1080;
  const m = /^(\[[^\]]+\]|[^:]*)(?::(.*))?$/.exec(rest);
  if (m) {
    host = m[1]!.replace(/^\[|\]$/g, "");
    if (m[2] !== undefined) {
      if (!/^[0-9]+$/.test(m[2]) || Number(m[2]) < 1 || Number(m[2]) > 65535) {
        throw new ProxyConfigError(`invalid proxy port '${m[2]}' in '${spec}' (1..65535)`);
      }
      port = Number(m[2]);
    }
  }
  if (host === "") throw new ProxyConfigError(`proxy '${spec}' has no host`);
  return { kind, host, port, username, password };
}

/** The proxy the standard environment variables choose for `target`, if any. */
export function proxyFromEnvironment(
  target: URL,
  env: NodeJS.ProcessEnv = process.env,
): ProxyConfig | undefined {
  const noProxy = env.NO_PROXY ?? env.no_proxy ?? "";
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  for (const entry of noProxy
    .split(",")
    .map((e) => e.trim().toLowerCase())
    .filter(Boolean)) {
    if (entry === "*") return undefined;
    const [name, port] = entry.split(":");
    const bare = name!.replace(/^\*?\./, "");
    if (
      (host === bare || host.endsWith("." + bare)) &&
      (!port || port === (target.port || (target.protocol === "https:" ? "443" : "80")))
    ) {
      return undefined;
    }
  }
  const value =
    target.protocol === "https:"
      ? (env.HTTPS_PROXY ?? env.https_proxy ?? env.ALL_PROXY ?? env.all_proxy)
      : (env.HTTP_PROXY ?? env.http_proxy ?? env.ALL_PROXY ?? env.all_proxy);
  return value ? parseProxy(value) : undefined;
}

/** A TCP connection to `host:port` through the proxy, ready for TLS or plain HTTP. */
export function openTunnel(
  proxy: ProxyConfig,
  host: string,
  port: number,
  timeoutMs: number,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(proxy.port, proxy.host);
    let settled = false;
    const fail = (message: string, code?: string, cause?: unknown) => {
      if (settled) return;
      settled = true;
      socket.destroy();
      reject(
        new ConnectionError(`proxy ${proxy.kind}://${proxy.host}:${proxy.port}: ${message}`, code, {
          cause,
        }),
      );
    };
    const timer = setTimeout(
      () => fail(`no tunnel to ${host}:${port} after ${timeoutMs} ms`, "ETIMEDOUT"),
      timeoutMs,
    );
    socket.once("error", (e: NodeJS.ErrnoException) => fail(e.message, e.code, e));
    socket.once("close", () => fail("closed the connection", "ECONNRESET"));
    let buffered = Buffer.alloc(0);
    const steps = tunnelSteps(proxy, host, port);
    let step = steps.next();
    const take = (n: number) => {
      const out = buffered.subarray(0, n);
      buffered = buffered.subarray(n);
      return out;
    };
    /** Feed buffered replies to the steps while they are complete. */
    const pump = () => {
      try {
        while (!step.done) {
          const want = step.value.expect;
          let reply: Buffer | undefined;
          if (want === "headers") {
            const end = buffered.indexOf("\r\n\r\n");
            if (end < 0) {
              if (buffered.length > 65536) throw new Error("CONNECT reply too long");
              return;
            }
            reply = take(end + 4);
          } else {
            if (buffered.length < want) return;
            reply = take(want);
          }
          step = steps.next(reply);
          if (!step.done && step.value.send.length > 0) socket.write(step.value.send);
        }
      } catch (e) {
        fail((e as Error).message, "EPROXY", e);
        return;
      }
      settled = true;
      clearTimeout(timer);
      socket.removeAllListeners("data");
      socket.removeAllListeners("close");
      socket.removeAllListeners("error");
      socket.pause();
      if (buffered.length > 0) socket.unshift(buffered);
      resolve(socket);
    };
    socket.on("data", (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      pump();
    });
    socket.once("connect", () => {
      if (!step.done) socket.write(step.value.send);
    });
  });
}

interface Step {
  send: Buffer;
  /** Bytes to read as the reply, or "headers" for an HTTP reply. */
  expect: number | "headers";
}

/** The exchange with the proxy as a sequence of send/expect steps; throws on a refusal. */
function* tunnelSteps(
  proxy: ProxyConfig,
  host: string,
  port: number,
): Generator<Step, void, Buffer | undefined> {
  if (proxy.kind === "http") {
    const target = isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
    const auth =
      proxy.username !== undefined
        ? `Proxy-Authorization: Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ""}`).toString("base64")}\r\n`
        : "";
    const reply = yield {
      send: Buffer.from(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`),
      expect: "headers",
    };
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(reply!.toString("latin1"));
    if (!status || status[1] !== "200") {
      throw new Error(`CONNECT ${target} refused: ${reply!.toString("latin1").split("\r\n")[0]}`);
    }
    return;
  }
  if (proxy.kind === "socks5") {
    const withAuth = proxy.username !== undefined;
    let r = yield { send: Buffer.from(withAuth ? [5, 2, 0, 2] : [5, 1, 0]), expect: 2 };
    if (r![0] !== 5 || (r![1] !== 0 && r![1] !== 2))
      throw new Error("SOCKS5 proxy accepts none of our authentication methods");
    if (r![1] === 2) {
      const u = Buffer.from(proxy.username ?? "");
      const p = Buffer.from(proxy.password ?? "");
      r = yield {
        send: Buffer.concat([Buffer.from([1, u.length]), u, Buffer.from([p.length]), p]),
        expect: 2,
      };
      if (r![1] !== 0) throw new Error("SOCKS5 proxy refused the user name or password");
    }
    const ipv = isIP(host);
    const addr =
      ipv === 4
        ? Buffer.from([1, ...host.split(".").map(Number)])
        : Buffer.concat([Buffer.from([3, Buffer.byteLength(host)]), Buffer.from(host)]);
    r = yield {
      send: Buffer.concat([Buffer.from([5, 1, 0]), addr, Buffer.from([port >> 8, port & 255])]),
      expect: 4,
    };
    if (r![1] !== 0)
      throw new Error(`SOCKS5 proxy could not connect to ${host}:${port} (reply ${r![1]})`);
    const rest = r![3] === 1 ? 6 : r![3] === 4 ? 18 : undefined;
    if (rest === undefined) {
      const len = yield { send: Buffer.alloc(0), expect: 1 };
      yield { send: Buffer.alloc(0), expect: len![0]! + 2 };
    } else yield { send: Buffer.alloc(0), expect: rest };
    return;
  }
  // SOCKS4 needs an IPv4 address; SOCKS4A lets the proxy resolve the name.
  const user = Buffer.from(proxy.username ?? "");
  const ip = proxy.kind === "socks4" ? host : "0.0.0.1";
  if (isIP(ip) !== 4) throw new Error(`SOCKS4 needs an IPv4 address, not '${host}' (use socks4a)`);
  const parts = [
    Buffer.from([4, 1, port >> 8, port & 255, ...ip.split(".").map(Number)]),
    user,
    Buffer.from([0]),
  ];
  if (proxy.kind === "socks4a") parts.push(Buffer.from(host), Buffer.from([0]));
  const r = yield { send: Buffer.concat(parts), expect: 8 };
  if (r![1] !== 90)
    throw new Error(`SOCKS4 proxy could not connect to ${host}:${port} (reply ${r![1]})`);
}
