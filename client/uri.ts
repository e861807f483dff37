/**
 * Connection targets: `https://host[:port]/sdk`, or libvirt's
 * `{esx|gsx|vpx}://[user@]host[:port]/[path][?transport=&vcenter=&no_verify=&auto_answer=&proxy=]`
 * with libvirt's rules: parameter names are case-insensitive, the last occurrence wins,
 * unknown parameters are reported as warnings, default ports depend on the scheme.
 */
import { EsxViError } from "../runtime/errors.js";
import { parseProxy, type ProxyConfig } from "../runtime/http/proxy.js";

export class UriError extends EsxViError {}

export type Scheme = "esx" | "gsx" | "vpx" | "https" | "http";

export interface ConnectionTarget {
  scheme: Scheme;
  /** The SOAP endpoint: `https://host:port/sdk`. */
  endpoint: URL;
  host: string;
  port: number;
  transport: "https" | "http";
  /** User name given in the URI, if any. */
  username?: string;
  /** vpx: `[folders/]datacenter/[folders/]computeResource[/host]`, without leading or trailing slashes. */
  path: string;
  /** esx/gsx: the vCenter managing this host (`*`: whatever vCenter the host reports). */
  vcenter?: string;
  noVerify: boolean;
  autoAnswer: boolean;
  proxy?: ProxyConfig;
  /** Things that were ignored, to show the user. */
  warnings: string[];
}

const DEFAULT_PORTS: Record<"esx" | "gsx" | "vpx", { https: number; http: number }> = {
  esx: { https: 443, http: 80 },
  vpx: { https: 443, http: 80 },
  gsx: { https: 8333, http: 8222 },
};

function flag(name: string, value: string): boolean {
  if (value === "0") return false;
  if (value === "1") return true;
  throw new UriError(`${name} must be 0 or 1, got '${value}'`);
}

export function parseConnectionUri(uri: string): ConnectionTarget {
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(uri);
  if (!schemeMatch)
    throw new UriError(`'${uri}' is not a URI (expected esx://, gsx://, vpx:// or https://)`);
  const rawScheme = schemeMatch[1]!.toLowerCase();
  if (rawScheme.includes("+")) {
    throw new UriError(
      `transport suffixes such as '${rawScheme}' are not supported: use ${rawScheme.split("+")[0]}:// with ?transport=https|http`,
    );
  }
  if (!["esx", "gsx", "vpx", "https", "http"].includes(rawScheme)) {
    throw new UriError(`unsupported scheme '${rawScheme}' (expected esx, gsx, vpx or https)`);
  }
  const scheme = rawScheme as Scheme;
  let url: URL;
  try {
    // Parse as http so WHATWG URL rules apply to host, port and path.
    url = new URL("http://" + uri.slice(schemeMatch[0].length));
  } catch {
    throw new UriError(`'${uri}' is not a valid URI`);
  }
  if (!url.hostname) throw new UriError(`'${uri}' has no server`);
  if (url.password) throw new UriError("a password does not belong in the URI");
  const warnings: string[] = [];

  if (scheme === "https" || scheme === "http") {
    const endpoint = new URL(
      `${scheme}://${url.host}${url.pathname === "/" ? "/sdk" : url.pathname}`,
    );
    return {
      scheme,
      endpoint,
      host: url.hostname.replace(/^\[|\]$/g, ""),
      port: Number(endpoint.port || (scheme === "https" ? 443 : 80)),
      transport: scheme,
      username: url.username ? decodeURIComponent(url.username) : undefined,
      path: "",
      noVerify: false,
      autoAnswer: false,
      warnings,
    };
  }

  let transport: "https" | "http" = "https";
  let vcenter: string | undefined;
  let noVerify = false;
  let autoAnswer = false;
  let proxy: ProxyConfig | undefined;
  for (const [rawName, value] of url.searchParams) {
    const name = rawName.toLowerCase();
    switch (name) {
      case "transport":
        if (value !== "https" && value !== "http")
          throw new UriError(`transport must be 'https' or 'http', got '${value}'`);
        transport = value;
        break;
      case "vcenter":
        if (value === "") throw new UriError("vcenter needs a value");
        vcenter = value;
        break;
      case "no_verify":
        noVerify = flag("no_verify", value);
        break;
      case "auto_answer":
        autoAnswer = flag("auto_answer", value);
        break;
      case "proxy":
        proxy = parseProxy(value);
        break;
      default:
        warnings.push(`ignoring unknown URI parameter '${rawName}'`);
    }
  }
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme][transport];
  const host = url.hostname.replace(/^\[|\]$/g, "");
  const hostPart = url.hostname.includes(":") || url.hostname.startsWith("[") ? url.hostname : host;
  const path = decodeURIComponent(url.pathname).replace(/^\/+|\/+$/g, "");
  if (scheme === "vpx" && path === "") {
    throw new UriError(
      "vpx:// needs a path: vpx://vcenter/[folders/]datacenter/[folders/]cluster[/host]",
    );
  }
  if (scheme !== "vpx" && path !== "")
    warnings.push(`ignoring the path '/${path}': only vpx:// uses one`);
  if (scheme === "vpx" && vcenter !== undefined)
    warnings.push("ignoring vcenter=: it is for esx:// and gsx://");
  return {
    scheme,
    endpoint: new URL(`${transport}://${hostPart}:${port}/sdk`),
    host,
    port,
    transport,
    username: url.username ? decodeURIComponent(url.username) : undefined,
    path: scheme === "vpx" ? path : "",
    vcenter: scheme === "vpx" ? undefined : vcenter,
    noVerify,
    autoAnswer,
    proxy,
    warnings,
  };
}
