import {
  createServer as createNetServer,
  connect as netConnect,
  type Server,
  type Socket,
} from "node:net";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ConnectionError,
  UriError,
  VimConnection,
  parseConnectionUri,
  parseProxy,
  proxyFromEnvironment,
} from "../index.js";
import { SKIP_VCSIM, startVcsim, type Vcsim } from "./support/vcsim.js";

describe("libvirt URIs (reference §3.1, §5.0)", () => {
  it("esx:// defaults: https on 443, verification on, no auto-answer", () => {
    const t = parseConnectionUri("esx://root@esx1.example.com");
    expect(t).toMatchObject({
      scheme: "esx",
      host: "esx1.example.com",
      port: 443,
      transport: "https",
      username: "root",
      noVerify: false,
      autoAnswer: false,
      path: "",
    });
    expect(t.endpoint.href).toBe("https://esx1.example.com/sdk");
  });

  it("parameters: case-insensitive names, last one wins, unknown ones warned about", () => {
    const t = parseConnectionUri(
      "esx://h/?Transport=https&NO_VERIFY=0&no_verify=1&auto_answer=1&vcenter=vc1&colour=blue&proxy=socks://10.0.0.1:3128",
    );
    expect(t).toMatchObject({
      noVerify: true,
      autoAnswer: true,
      vcenter: "vc1",
      proxy: { kind: "socks5", host: "10.0.0.1", port: 3128 },
    });
    expect(t.warnings).toEqual(["ignoring unknown URI parameter 'colour'"]);
  });

  it("default ports by scheme and transport", () => {
    expect(parseConnectionUri("esx://h?transport=http")).toMatchObject({
      port: 80,
      transport: "http",
    });
    expect(parseConnectionUri("esx://h?transport=http").endpoint.href).toBe("http://h/sdk");
    expect(parseConnectionUri("gsx://h").port).toBe(8333);
    expect(parseConnectionUri("gsx://h?transport=http").port).toBe(8222);
    expect(parseConnectionUri("vpx://vc:8443/dc1/cl1/h1").endpoint.href).toBe(
      "https://vc:8443/sdk",
    );
  });

  it("vpx paths", () => {
    expect(parseConnectionUri("vpx://vc/Folder1/dc1/cluster1/host%201").path).toBe(
      "Folder1/dc1/cluster1/host 1",
    );
    expect(() => parseConnectionUri("vpx://vc/")).toThrow("vpx:// needs a path");
    expect(parseConnectionUri("esx://h/some/path").warnings).toEqual([
      "ignoring the path '/some/path': only vpx:// uses one",
    ]);
  });

  it.each([
    ["esx://h?transport=ftp", "transport must be 'https' or 'http', got 'ftp'"],
    ["esx://h?no_verify=yes", "no_verify must be 0 or 1, got 'yes'"],
    ["esx+ssh://h", "transport suffixes such as 'esx+ssh' are not supported"],
    ["xen://h", "unsupported scheme 'xen'"],
    ["esx://h?proxy=ftp://x", "unsupported proxy type 'ftp'"],
    ["esx://h?proxy=:80", "has no host"],
    ["esx://h?proxy=p:99999", "invalid proxy port '99999'"],
    ["esx://root:pw@h", "a password does not belong in the URI"],
  ])("%s is refused", (uri, message) => {
    expect(() => parseConnectionUri(uri)).toThrow(message);
    expect(() => parseConnectionUri(uri)).toThrow(
      uri.includes("proxy") ? ConnectionError : UriError,
    );
  });

  it("proxy syntax: libvirt's examples", () => {
    expect(parseProxy("socks://10.0.0.1:3128")).toMatchObject({
      kind: "socks5",
      host: "10.0.0.1",
      port: 3128,
    });
    expect(parseProxy("myproxy")).toMatchObject({ kind: "http", host: "myproxy", port: 1080 });
    expect(parseProxy("socks4a://p")).toMatchObject({ kind: "socks4a", port: 1080 });
    expect(parseProxy("http://u%40x:p%3A@proxy:8080")).toMatchObject({
      kind: "http",
      host: "proxy",
      port: 8080,
      username: "u@x",
      password: "p:",
    });
  });

  it("proxy from the environment, honouring NO_PROXY", () => {
    const env = {
      HTTPS_PROXY: "http://proxy:3128",
      NO_PROXY: "localhost,.internal.example,10.1.2.3",
    };
    expect(proxyFromEnvironment(new URL("https://vc.example.com/sdk"), env)).toMatchObject({
      host: "proxy",
      port: 3128,
    });
    expect(proxyFromEnvironment(new URL("https://esx.internal.example/sdk"), env)).toBeUndefined();
    expect(proxyFromEnvironment(new URL("https://10.1.2.3/sdk"), env)).toBeUndefined();
    expect(proxyFromEnvironment(new URL("http://vc.example.com/sdk"), env)).toBeUndefined();
    expect(
      proxyFromEnvironment(new URL("http://vc.example.com/sdk"), { http_proxy: "socks5://s:1" }),
    ).toMatchObject({ kind: "socks5" });
  });
});

/** A tiny HTTP CONNECT proxy on loopback that records what it tunnels. */
function connectProxy(): Promise<{ port: number; tunnels: string[]; server: Server }> {
  const tunnels: string[] = [];
  const server = createNetServer((client: Socket) => {
    client.once("data", (head: Buffer) => {
      const line = head.toString("latin1").split("\r\n")[0]!;
      const m = /^CONNECT (\S+):(\d+) HTTP/.exec(line);
      if (!m) return client.end("HTTP/1.1 400 Bad Request\r\n\r\n");
      tunnels.push(`${m[1]}:${m[2]}`);
      const upstream = netConnect(Number(m[2]), m[1]!, () => {
        client.write("HTTP/1.1 200 Connection established\r\n\r\n");
        client.pipe(upstream).pipe(client);
      });
      upstream.on("error", () => client.destroy());
      client.on("error", () => upstream.destroy());
    });
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ port: (server.address() as AddressInfo).port, tunnels, server }),
    ),
  );
}

/** A tiny SOCKS5 (no auth) and SOCKS4/4a proxy. */
function socksProxy(): Promise<{ port: number; tunnels: string[]; server: Server }> {
  const tunnels: string[] = [];
  const server = createNetServer((client: Socket) => {
    let buf = Buffer.alloc(0);
    let stage = 0;
    const onData = (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf[0] === 4 && buf.length >= 9) {
        // SOCKS4/4a: VN CD PORT IP USERID 0 [HOST 0]
        const port = buf.readUInt16BE(2);
        const ip = [...buf.subarray(4, 8)].join(".");
        const userEnd = buf.indexOf(0, 8);
        let host = ip;
        if (ip.startsWith("0.0.0.") && ip !== "0.0.0.0") {
          const hostEnd = buf.indexOf(0, userEnd + 1);
          if (hostEnd < 0) return;
          host = buf.subarray(userEnd + 1, hostEnd).toString();
        }
        client.off("data", onData);
        tunnels.push(`socks4 ${host}:${port}`);
        const up = netConnect(port, host, () => {
          client.write(Buffer.from([0, 90, 0, 0, 0, 0, 0, 0]));
          client.pipe(up).pipe(client);
        });
        up.on("error", () => client.destroy());
        return;
      }
      if (stage === 0 && buf.length >= 3) {
        client.write(Buffer.from([5, 0]));
        buf = buf.subarray(2 + buf[1]!);
        stage = 1;
      }
      if (stage === 1 && buf.length >= 7) {
        const atyp = buf[3];
        let host: string;
        let off: number;
        if (atyp === 1) {
          host = [...buf.subarray(4, 8)].join(".");
          off = 8;
        } else {
          const n = buf[4]!;
          if (buf.length < 5 + n + 2) return;
          host = buf.subarray(5, 5 + n).toString();
          off = 5 + n;
        }
        const port = buf.readUInt16BE(off);
        client.off("data", onData);
        tunnels.push(`socks5 ${host}:${port}`);
        const up = netConnect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          client.pipe(up).pipe(client);
        });
        up.on("error", () => client.destroy());
      }
    };
    client.on("data", onData);
    client.on("error", () => undefined);
  });
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () =>
      resolve({ port: (server.address() as AddressInfo).port, tunnels, server }),
    ),
  );
}

describe.skipIf(SKIP_VCSIM)("through proxies, to vcsim over TLS", () => {
  let sim: Vcsim;
  beforeAll(async () => {
    sim = await startVcsim(["-esx"]);
  });
  afterAll(async () => {
    await sim?.stop();
  });

  it("HTTP CONNECT from the URI's proxy= parameter", async () => {
    const proxy = await connectProxy();
    const conn = await VimConnection.connect(
      `esx://${sim.host}:${sim.port}/?proxy=http://127.0.0.1:${proxy.port}`,
      {
        username: sim.user,
        password: sim.password,
        tls: { thumbprint: sim.sha256 },
      },
    );
    expect(conn.productLine).toBe("esx");
    expect(proxy.tunnels[0]).toBe(`${sim.host}:${sim.port}`);
    await conn.close();
    proxy.server.close();
  });

  it("HTTP CONNECT from HTTPS_PROXY; TLS is still verified end to end through the tunnel", async () => {
    const proxy = await connectProxy();
    const saved = { HTTPS_PROXY: process.env.HTTPS_PROXY, NO_PROXY: process.env.NO_PROXY };
    process.env.HTTPS_PROXY = `http://127.0.0.1:${proxy.port}`;
    delete process.env.NO_PROXY;
    try {
      await expect(
        VimConnection.connect(sim.endpoint, { username: sim.user, password: sim.password }),
      ).rejects.toThrow(/not trusted/);
      const conn = await VimConnection.connect(sim.endpoint, {
        username: sim.user,
        password: sim.password,
        tls: { thumbprint: sim.sha1 },
      });
      expect(proxy.tunnels.length).toBeGreaterThanOrEqual(2);
      await conn.close();
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      proxy.server.close();
    }
  });

  it.each(["socks5", "socks4", "socks4a"])("%s", async (kind) => {
    const proxy = await socksProxy();
    const conn = await VimConnection.connect(
      `esx://${sim.host}:${sim.port}/?no_verify=1&proxy=${kind}://127.0.0.1:${proxy.port}`,
      {
        username: sim.user,
        password: sim.password,
      },
    );
    expect(conn.session).toBeDefined();
    expect(proxy.tunnels[0]).toBe(
      `${kind === "socks5" ? "socks5" : "socks4"} ${sim.host}:${sim.port}`,
    );
    await conn.close();
    proxy.server.close();
  });

  it("a proxy that refuses is a ConnectionError naming the proxy", async () => {
    const refusing = createNetServer((c) => c.end("HTTP/1.1 403 Forbidden\r\n\r\n"));
    await new Promise<void>((r) => refusing.listen(0, "127.0.0.1", () => r()));
    const port = (refusing.address() as AddressInfo).port;
    const error = await VimConnection.connect(sim.endpoint, {
      username: sim.user,
      password: sim.password,
      proxy: `http://127.0.0.1:${port}`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain(
      `proxy http://127.0.0.1:${port}: CONNECT ${sim.host}:${sim.port} refused: HTTP/1.1 403 Forbidden`,
    );
    refusing.close();
  });
});
