/**
 * A connection to an ESX host or a vCenter: the client every generated method stub and
 * every helper takes. It connects by URL or libvirt URI, checks the product and API
 * version against libvirt's minimums, negotiates the SOAPAction version, logs in, and
 * keeps the session alive: a call that fails with NotAuthenticated logs in again once and
 * is retried, when it is safe to retry (see RETRY_UNSAFE); concurrent calls share one
 * re-login.
 */
import { lookup } from "node:dns/promises";
import {
  CurrentTime,
  FindByIp,
  Login,
  Logout,
  RetrieveServiceContent,
  type AboutInfo,
  type ServiceContent,
  type UserSession,
} from "../generated/index.js";
import type { PropertyTypes } from "../runtime/codec/decode.js";
import type { ManagedObjectReference, TypeRegistry } from "../runtime/codec/types.js";
import { EsxViError } from "../runtime/errors.js";
import { HttpTransport, type HttpTransportOptions } from "../runtime/http/transport.js";
import type { ProxyConfig } from "../runtime/http/proxy.js";
import { SoapClient, type CallOptions, type VimInvoker } from "../runtime/soap/client.js";
import { type ReturnSpec, VimFaultError } from "../runtime/soap/envelope.js";
import type { XmlWriter } from "../runtime/xml/writer.js";
import { resolveInventory, type Inventory } from "./inventory.js";
import { readProperties } from "./properties.js";
import { parseConnectionUri, type ConnectionTarget } from "./uri.js";

/** The API version the schema describes: the highest SOAPAction version we speak. */
export const SCHEMA_API_VERSION = "5.5";

export type ProductLine = "esx" | "gsx" | "vpx";

export class UnsupportedServerError extends EsxViError {}

export interface ConnectOptions {
  username?: string;
  password: string;
  tls?: HttpTransportOptions["tls"];
  proxy?: string | ProxyConfig | false;
  /** Default timeout per call, ms. */
  timeout?: number;
  /** Answer VM questions with their default answer (libvirt's auto_answer; the URI may set it). */
  autoAnswer?: boolean;
  /** Send CurrentTime after this many ms without calls, to keep the session from expiring. */
  keepAliveMs?: number;
  /** Skip resolving datacenter / compute resource / host (libvirt's inventory lookup). */
  skipInventory?: boolean;
  signal?: AbortSignal;
  /** Receives warnings (unknown URI parameters…). */
  onWarning?: (message: string) => void;
  locale?: string;
  /**
   * Credentials for the vCenter named by `vcenter=` in an esx:// or gsx:// URI (libvirt
   * asks for them separately; its default user is `administrator`).
   */
  vcenter?: { username?: string; password: string; tls?: HttpTransportOptions["tls"] };
  /**
   * The codecs this connection knows by name (for anyType slots and subtypes) and the
   * property types it decodes property values with. Default: the whole API, loaded on
   * connect. A program that wants a small bundle passes only what it uses, for example
   * `{ registry: new Map(), propertyTypes: propertyTypesOf([VirtualMachineManagedType]) }`:
   * values of types it left out then decode as untyped records (`$type` kept).
   */
  types?: ConnectionTypes;
}

export interface ConnectionTypes {
  registry: TypeRegistry;
  propertyTypes: PropertyTypes;
}

let defaultTypes: ConnectionTypes | undefined;

/**
 * The types a connection uses when none are given. The full entry point (`esx-vi`)
 * sets the whole API; `esx-vi/lean` sets nothing, so a program's bundle holds only the
 * codecs it names.
 */
export function setDefaultTypes(types: ConnectionTypes): void {
  defaultTypes = types;
}

/** The vCenter managing an esx:// host, and the host as that vCenter knows it. */
export interface ManagingVCenter {
  connection: VimConnection;
  host: ManagedObjectReference<"HostSystem">;
}

/** Methods never retried after a re-login: they name objects or tokens of the old session. */
export const RETRY_UNSAFE = new Set([
  "Login",
  "Logout",
  "TerminateSession",
  "ContinueRetrievePropertiesEx",
  "CancelRetrievePropertiesEx",
  "WaitForUpdates",
  "WaitForUpdatesEx",
  "CancelWaitForUpdates",
  "CreateFilter",
  "DestroyPropertyFilter",
  "DestroyPropertyCollector",
  "DestroyView",
]);

const lookupAll = (host: string) => lookup(host.replace(/^\[|\]$/g, ""), { all: true });

function parseVersion(v: string): number {
  const m = /^(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  if (!m) return NaN;
  return Number(m[1]) * 1_000_000 + Number(m[2]) * 1000 + Number(m[3] ?? 0);
}

/** The lower of two "major.minor" versions. */
export function lowerVersion(a: string, b: string): string {
  return parseVersion(a) <= parseVersion(b) ? a : b;
}

const MINIMUM: Record<ProductLine, string> = { gsx: "2.0", esx: "3.5", vpx: "2.5" };

/** libvirt's product checks: apiType, apiVersion ≥ 2.5, product line and its minimum version. */
export function classifyProduct(about: AboutInfo): ProductLine {
  if (about.apiType !== "HostAgent" && about.apiType !== "VirtualCenter") {
    throw new UnsupportedServerError(
      `unsupported apiType '${about.apiType}' (expected HostAgent or VirtualCenter)`,
    );
  }
  if (!(parseVersion(about.apiVersion) >= parseVersion("2.5"))) {
    throw new UnsupportedServerError(
      `API version ${about.apiVersion} is older than the minimum 2.5`,
    );
  }
  const line: ProductLine | undefined = (
    { gsx: "gsx", esx: "esx", embeddedEsx: "esx", vpx: "vpx" } as const
  )[about.productLineId as "gsx"];
  if (!line) throw new UnsupportedServerError(`unsupported product line '${about.productLineId}'`);
  if (!(parseVersion(about.version) >= parseVersion(MINIMUM[line]))) {
    throw new UnsupportedServerError(
      `${about.fullName}: version ${about.version} is older than the minimum ${MINIMUM[line]} for ${line}`,
    );
  }
  return line;
}

export class VimConnection implements VimInvoker {
  readonly transport: HttpTransport;
  readonly soap: SoapClient;
  readonly target: ConnectionTarget;
  serviceContent!: ServiceContent;
  productLine!: ProductLine;
  session: UserSession | undefined;
  inventory: Inventory | undefined;
  autoAnswer: boolean;
  /** With `vcenter=` on an esx:// URI: the vCenter connection and this host in it. */
  vcenter: ManagingVCenter | undefined;
  /** How many times the session was re-established after expiring. */
  reloginCount = 0;
  readonly #username: string;
  readonly #password: string;
  readonly #locale: string | undefined;
  #relogin: Promise<void> | undefined;
  /** Bumped by each login: a call that failed under an older session just retries. */
  #generation = 0;
  #keepAlive: NodeJS.Timeout | undefined;
  #lastCall = Date.now();
  #closed = false;

  private constructor(target: ConnectionTarget, options: ConnectOptions, types: ConnectionTypes) {
    this.target = target;
    this.autoAnswer = options.autoAnswer ?? target.autoAnswer;
    this.#username =
      options.username ?? target.username ?? (target.scheme === "vpx" ? "administrator" : "root");
    this.#password = options.password;
    this.#locale = options.locale;
    this.transport = new HttpTransport(target.endpoint, {
      tls: target.noVerify ? { ...options.tls, verify: false } : options.tls,
      proxy: options.proxy ?? target.proxy,
      timeout: options.timeout,
    });
    this.soap = new SoapClient(this.transport, { ...types, apiVersion: SCHEMA_API_VERSION });
  }

  /** Connect by `https://host/sdk` or libvirt URI (`esx://`, `gsx://`, `vpx://…`). */
  static async connect(uri: string, options: ConnectOptions): Promise<VimConnection> {
    const target = parseConnectionUri(uri);
    for (const w of target.warnings) options.onWarning?.(w);
    const types = options.types ?? defaultTypes;
    if (!types) {
      throw new EsxViError(
        "no types for this connection: pass options.types (see propertyTypesOf) or import from 'esx-vi' rather than 'esx-vi/lean'",
      );
    }
    const conn = new VimConnection(target, options, types);
    try {
      await conn.open(options);
    } catch (e) {
      conn.transport.close();
      throw e;
    }
    return conn;
  }

  private async open(options: ConnectOptions): Promise<void> {
    const call = { signal: options.signal };
    this.serviceContent = await RetrieveServiceContent(
      this,
      { type: "ServiceInstance", value: "ServiceInstance" },
      call,
    );
    // Login and re-login go straight to the SOAP client (never through the retry path).
    this.soap.serviceContent = this.serviceContent;
    const about = this.serviceContent.about;
    this.productLine = classifyProduct(about);
    const wanted = this.target.scheme;
    if ((wanted === "esx" || wanted === "gsx" || wanted === "vpx") && wanted !== this.productLine) {
      throw new UnsupportedServerError(
        `${wanted}:// expects a${wanted === "esx" ? "n ESX" : wanted === "gsx" ? " GSX" : " vCenter"} server, but ${this.target.host} is ${about.fullName} (${this.productLine})`,
      );
    }
    // Speak the lower of the server's version and ours: the server answers in the version asked.
    this.soap.apiVersion = lowerVersion(about.apiVersion, SCHEMA_API_VERSION);
    await this.login(call);
    if (options.keepAliveMs) this.startKeepAlive(options.keepAliveMs);
    if (!options.skipInventory && wanted !== "https" && wanted !== "http") {
      this.inventory = await resolveInventory(this, this.target.path);
    }
    if (this.target.vcenter !== undefined)
      this.vcenter = await this.connectVCenter(this.target.vcenter, options);
  }

  /**
   * libvirt's `vcenter=` for esx:// and gsx://: `*` means the vCenter the host reports
   * (summary.managementServerIp); a name must resolve to that address when the host
   * reports one. The host is then found in the vCenter by its IP address (FindByIp).
   */
  private async connectVCenter(spec: string, options: ConnectOptions): Promise<ManagingVCenter> {
    if (!this.inventory)
      throw new UnsupportedServerError(
        "vcenter= needs the host's inventory (do not pass skipInventory)",
      );
    if (!options.vcenter)
      throw new UnsupportedServerError(
        `vcenter=${spec}: pass the vCenter's credentials as options.vcenter`,
      );
    const host = this.inventory.host.ref;
    const p = await readProperties<{ "summary.managementServerIp"?: string }>(this, host, [
      "summary.managementServerIp",
    ]);
    const managedBy = p["summary.managementServerIp"] || undefined;
    let vcHost: string;
    if (spec === "*") {
      if (!managedBy)
        throw new UnsupportedServerError(
          `vcenter=*: host ${this.target.host} does not report a managing vCenter`,
        );
      vcHost = managedBy;
    } else {
      vcHost = spec;
      if (managedBy) {
        const addresses = (await lookupAll(vcHost.replace(/:\d+$/, ""))).map((a) => a.address);
        if (!addresses.includes(managedBy)) {
          throw new UnsupportedServerError(
            `vcenter=${spec} resolves to ${addresses.join(", ")}, but ${this.target.host} is managed by ${managedBy}`,
          );
        }
      }
    }
    const hostIp = (await lookupAll(this.target.host))[0]!.address;
    const connection = await VimConnection.connect(`${this.target.transport}://${vcHost}/sdk`, {
      username: options.vcenter.username ?? "administrator",
      password: options.vcenter.password,
      tls: options.vcenter.tls ?? (this.target.noVerify ? { verify: false } : options.tls),
      proxy: options.proxy ?? this.target.proxy,
      timeout: options.timeout,
      skipInventory: true,
    });
    try {
      if (connection.productLine !== "vpx")
        throw new UnsupportedServerError(
          `vcenter=${spec} is ${connection.about.fullName}, not a vCenter`,
        );
      const found = await FindByIp(connection, { ip: hostIp, vmSearch: false });
      if (!found)
        throw new UnsupportedServerError(
          `vcenter=${spec} does not manage a host with address ${hostIp}`,
        );
      return { connection, host: found as ManagedObjectReference<"HostSystem"> };
    } catch (e) {
      await connection.close();
      throw e;
    }
  }

  get about(): AboutInfo {
    return this.serviceContent.about;
  }

  get apiVersion(): string {
    return this.soap.apiVersion;
  }

  private async login(options: CallOptions = {}): Promise<void> {
    this.#generation++;
    this.session = await Login(
      this.soap,
      { userName: this.#username, password: this.#password, locale: this.#locale },
      options,
    );
  }

  /** Log in again; concurrent callers share one attempt. */
  relogin(): Promise<void> {
    this.#relogin ??= (async () => {
      try {
        this.transport.sessionCookie = undefined;
        await this.login();
        this.reloginCount++;
      } finally {
        this.#relogin = undefined;
      }
    })();
    return this.#relogin;
  }

  async invoke(
    method: string,
    writeParams: (w: XmlWriter) => void,
    returns: ReturnSpec | undefined,
    options?: CallOptions,
  ): Promise<unknown> {
    if (this.#closed) throw new EsxViError(`${method}: the connection is closed`);
    this.#lastCall = Date.now();
    // Wait for a re-login in progress rather than failing with the old session.
    if (this.#relogin) await this.#relogin;
    const generation = this.#generation;
    try {
      return await this.soap.invoke(method, writeParams, returns, options);
    } catch (e) {
      if (
        !(e instanceof VimFaultError) ||
        e.faultType !== "NotAuthenticated" ||
        !this.session ||
        RETRY_UNSAFE.has(method)
      )
        throw e;
      // Log in again, unless another call already did since this one was sent.
      if (this.#relogin) await this.#relogin;
      else if (generation === this.#generation) await this.relogin();
      return await this.soap.invoke(method, writeParams, returns, options);
    }
  }

  private startKeepAlive(idleMs: number): void {
    this.#keepAlive = setInterval(
      () => {
        if (Date.now() - this.#lastCall < idleMs) return;
        this.#lastCall = Date.now();
        CurrentTime(this, { type: "ServiceInstance", value: "ServiceInstance" }).catch(
          () => undefined,
        );
      },
      Math.max(1000, Math.floor(idleMs / 2)),
    );
    this.#keepAlive.unref();
  }

  /** Log out and close connections. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.vcenter?.connection.close();
    if (this.#keepAlive) clearInterval(this.#keepAlive);
    try {
      if (this.session) await Logout(this.soap).catch(() => undefined);
    } finally {
      this.#closed = true;
      this.session = undefined;
      this.transport.close();
    }
  }

  /** The root folder of the inventory. */
  get rootFolder(): ManagedObjectReference<"Folder"> {
    return this.serviceContent.rootFolder as ManagedObjectReference<"Folder">;
  }

  toJSON(): object {
    return {
      endpoint: this.target.endpoint.href,
      user: this.#username,
      productLine: this.productLine,
      apiVersion: this.apiVersion,
    };
  }
}
