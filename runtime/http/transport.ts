/**
 * HTTP(S) for SOAP calls and datastore file transfer, on Node's own http/https with a
 * keep-alive pool. TLS is verified by default (see tls.ts), proxies come from options or
 * the environment, the session cookie is kept, and every request takes a timeout and an
 * AbortSignal. Responses are handed over as byte streams, never buffered whole.
 */
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import type { Duplex, Readable } from "node:stream";
import tls, { type TLSSocket } from "node:tls";
import {
  ConnectionError,
  EsxViError,
  RedirectError,
  RequestAbortedError,
  RequestTimeoutError,
} from "../errors.js";
import type { Transport, TransportResponse } from "../soap/client.js";
import { openTunnel, parseProxy, type ProxyConfig, proxyFromEnvironment } from "./proxy.js";
import { enforceVerification, loadCa, type TlsOptions } from "./tls.js";

export interface HttpTransportOptions {
  tls?: TlsOptions;
  /** A proxy (libvirt syntax or a ProxyConfig); `false` for none; default: from the environment. */
  proxy?: string | ProxyConfig | false;
  /** Default timeout of a whole request, response body included, in ms (default 300,000). */
  timeout?: number;
  /** Timeout of connecting (and tunnelling through a proxy), in ms (default 30,000). */
  connectTimeout?: number;
  userAgent?: string;
  /** Concurrent connections kept per server (default 8). */
  maxSockets?: number;
}

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "DELETE" | "HEAD";
  /** Path and query, relative to the server (`/sdk`, `/folder/…?dcPath=…`). */
  path: string;
  headers?: Record<string, string | number>;
  body?: string | Buffer | Uint8Array | Readable;
  signal?: AbortSignal;
  timeout?: number;
  /** For messages: what this request is ("Login", "download of [ds] a.vmdk"). */
  what: string;
}

export interface HttpResponse {
  status: number;
  headers: IncomingMessage["headers"];
  /** The body as it arrives; errors while reading it are typed like request errors. */
  body: AsyncIterable<Buffer>;
}

/** The name of the vSphere session cookie. */
export const SESSION_COOKIE = "vmware_soap_session";

export class HttpTransport implements Transport {
  /** Scheme, host and port: `https://esx.example.com:443`. */
  readonly origin: string;
  readonly sdkPath: string;
  readonly proxy: ProxyConfig | undefined;
  private readonly agent: http.Agent;
  private readonly cookies = new Map<string, string>();
  private readonly defaultTimeout: number;
  private readonly userAgent: string;

  constructor(endpoint: string | URL, options: HttpTransportOptions = {}) {
    const url = new URL(endpoint);
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new EsxViError(
        `unsupported transport '${url.protocol.slice(0, -1)}' (use https or http)`,
      );
    }
    if (url.username || url.password) {
      throw new EsxViError("credentials do not belong in the endpoint URL: pass them to connect()");
    }
    this.origin = url.origin;
    this.sdkPath = url.pathname === "/" ? "/sdk" : url.pathname;
    this.defaultTimeout = options.timeout ?? 300_000;
    this.userAgent = options.userAgent ?? "esx-vi";
    this.proxy =
      options.proxy === false
        ? undefined
        : typeof options.proxy === "string"
          ? parseProxy(options.proxy)
          : (options.proxy ?? proxyFromEnvironment(url));
    const tlsOptions = options.tls ?? {};
    const connectTimeout = options.connectTimeout ?? 30_000;
    const proxy = this.proxy;
    const ca = loadCa(tlsOptions.ca);
    const agentOptions = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 8,
      timeout: connectTimeout,
    };

    if (url.protocol === "https:") {
      this.agent = new (class extends https.Agent {
        override createConnection(
          opts: any,
          callback: (err: Error | null, socket?: Duplex) => void,
        ): Duplex | undefined {
          const host = String(opts.host);
          const port = Number(opts.port);
          const secure = (socket?: Duplex): TLSSocket => {
            const s = tls.connect({ ...opts, socket, ca, rejectUnauthorized: false });
            enforceVerification(s, `${host}:${port}`, tlsOptions);
            return s;
          };
          if (!proxy) return secure();
          openTunnel(proxy, host, port, connectTimeout).then(
            (raw) => callback(null, secure(raw)),
            (err: Error) => callback(err),
          );
          return undefined;
        }
      })(agentOptions);
    } else {
      this.agent = new (class extends http.Agent {
        override createConnection(
          opts: any,
          callback: (err: Error | null, socket?: Duplex) => void,
        ): Duplex | undefined {
          if (!proxy) return super.createConnection(opts, callback) as Duplex;
          openTunnel(proxy, String(opts.host), Number(opts.port), connectTimeout).then(
            (raw) => callback(null, raw),
            (err: Error) => callback(err),
          );
          return undefined;
        }
      })(agentOptions);
    }
  }

  /** The current session cookie value (`vmware_soap_session`), if any. */
  get sessionCookie(): string | undefined {
    return this.cookies.get(SESSION_COOKIE);
  }

  set sessionCookie(value: string | undefined) {
    if (value === undefined) this.cookies.delete(SESSION_COOKIE);
    else this.cookies.set(SESSION_COOKIE, value);
  }

  async post(request: {
    body: string;
    soapAction: string;
    method: string;
    signal?: AbortSignal;
    timeout?: number;
  }): Promise<TransportResponse> {
    const response = await this.request({
      method: "POST",
      path: this.sdkPath,
      headers: { "Content-Type": 'text/xml; charset="utf-8"', SOAPAction: request.soapAction },
      body: request.body,
      signal: request.signal,
      timeout: request.timeout,
      what: request.method,
    });
    return { status: response.status, body: response.body };
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const timeoutMs = req.timeout ?? this.defaultTimeout;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new RequestTimeoutError(req.what, timeoutMs)),
      timeoutMs,
    );
    const onUserAbort = () =>
      controller.abort(new RequestAbortedError(req.what, { cause: req.signal?.reason }));
    if (req.signal?.aborted) onUserAbort();
    req.signal?.addEventListener("abort", onUserAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      req.signal?.removeEventListener("abort", onUserAbort);
    };
    const typed = (err: unknown): Error => {
      if (controller.signal.aborted && controller.signal.reason instanceof EsxViError)
        return controller.signal.reason;
      if (err instanceof EsxViError) return err;
      const e = err as NodeJS.ErrnoException;
      const text = e.code === "ECONNRESET" ? "the connection was reset" : e.message;
      return new ConnectionError(`${req.what}: ${text} (${this.origin})`, e.code, { cause: err });
    };

    const headers: Record<string, string | number> = {
      "User-Agent": this.userAgent,
      ...req.headers,
    };
    if (this.cookies.size > 0)
      headers.Cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    if (typeof req.body === "string") headers["Content-Length"] = Buffer.byteLength(req.body);
    else if (req.body instanceof Uint8Array) headers["Content-Length"] = req.body.byteLength;

    return new Promise<HttpResponse>((resolve, reject) => {
      if (controller.signal.aborted) {
        cleanup();
        reject(typed(controller.signal.reason));
        return;
      }
      const lib = this.origin.startsWith("https:") ? https : http;
      const outgoing = lib.request(this.origin + req.path, {
        method: req.method,
        headers,
        agent: this.agent,
        signal: controller.signal,
      });
      outgoing.once("error", (err) => {
        cleanup();
        reject(typed(err));
      });
      outgoing.once("response", (res) => {
        this.keepCookies(res);
        const status = res.statusCode ?? 0;
        if (status >= 300 && status < 400) {
          res.resume();
          cleanup();
          reject(new RedirectError(status, res.headers.location, req.what));
          return;
        }
        resolve({ status, headers: res.headers, body: this.stream(res, cleanup, typed) });
      });
      const body = req.body;
      if (body === undefined || typeof body === "string" || body instanceof Uint8Array)
        outgoing.end(body);
      else {
        body.once("error", (err) => outgoing.destroy(err));
        body.pipe(outgoing);
      }
    });
  }

  private async *stream(
    res: IncomingMessage,
    cleanup: () => void,
    typed: (err: unknown) => Error,
  ): AsyncIterable<Buffer> {
    try {
      for await (const chunk of res) yield chunk as Buffer;
      if (!res.complete)
        throw new ConnectionError(`the response ended early (${this.origin})`, "ECONNRESET");
    } catch (err) {
      throw typed(err);
    } finally {
      cleanup();
      if (!res.complete) res.destroy();
    }
  }

  private keepCookies(res: IncomingMessage): void {
    for (const line of res.headers["set-cookie"] ?? []) {
      const pair = line.split(";", 1)[0]!;
      const eq = pair.indexOf("=");
      if (eq > 0) this.cookies.set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim());
    }
  }

  /** Close idle connections. */
  close(): void {
    this.agent.destroy();
  }
}
