/**
 * TLS verification that we decide ourselves, synchronously during the handshake (in the
 * socket's `secureConnect`, before any request byte is released): a normally verified
 * certificate passes; otherwise a pinned thumbprint (SHA-256, or SHA-1) may vouch for it;
 * otherwise the connection is refused with a TlsVerificationError that shows the
 * server's thumbprint. `verify: false` turns all of it off.
 */
import { readFileSync } from "node:fs";
import type { TLSSocket } from "node:tls";
import { TlsVerificationError } from "../errors.js";

export interface TlsOptions {
  /** Verify the server's certificate (default true). */
  verify?: boolean;
  /** PEM certificate(s) to trust, or a path to a PEM file. */
  ca?: string | Buffer;
  /** Certificate thumbprint to accept when normal verification fails: SHA-256 or SHA-1 hex, colons optional. */
  thumbprint?: string;
}

export function normaliseThumbprint(t: string): string {
  const hex = t
    .replace(/^sha(1|256):/i, "")
    .replace(/[:\s-]/g, "")
    .toUpperCase();
  if (!/^[0-9A-F]{40}$|^[0-9A-F]{64}$/.test(hex)) {
    throw new TypeError(
      `thumbprint '${t}' is neither a SHA-1 (40 hex digits) nor a SHA-256 (64 hex digits) fingerprint`,
    );
  }
  return hex;
}

/** The `ca` option for tls.connect: PEM text as given, or read from a file path. */
export function loadCa(ca: string | Buffer | undefined): string | Buffer | undefined {
  if (ca === undefined || Buffer.isBuffer(ca) || ca.includes("-----BEGIN")) return ca;
  return readFileSync(ca);
}

/** Call right after creating the socket, before anything can be written to it. */
export function enforceVerification(socket: TLSSocket, host: string, options: TlsOptions): void {
  if (options.verify === false) return;
  const pin = options.thumbprint ? normaliseThumbprint(options.thumbprint) : undefined;
  socket.once("secureConnect", () => {
    if (socket.authorized) return;
    const cert = socket.getPeerCertificate();
    const sha256 = cert?.fingerprint256 ?? "";
    const sha1 = cert?.fingerprint ?? "";
    if (pin && (pin === sha256.replace(/:/g, "") || pin === sha1.replace(/:/g, ""))) return;
    const reason = pin
      ? `thumbprint does not match the pinned ${pin.length === 64 ? "SHA-256" : "SHA-1"} value`
      : String(socket.authorizationError ?? "unverified");
    socket.destroy(new TlsVerificationError(host, reason, sha256, sha1));
  });
}
