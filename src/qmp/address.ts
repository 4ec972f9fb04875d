/**
 * @module qmp/address
 * QMP endpoints as QEMU's -qmp option names them: `unix:PATH` (or a bare PATH) and
 * `tcp:HOST:PORT` (`tcp::PORT` and `tcp:PORT` mean 127.0.0.1; IPv6 as `tcp:[::1]:PORT`).
 * TCP is only ever used when asked for explicitly.
 */
import { UsageError } from "../errors.js";

/** Where a QMP peer listens. */
export type QmpAddress =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/** The host a `tcp:` address without one uses. */
export const DEFAULT_TCP_HOST = "127.0.0.1";

/** Parses an endpoint; a text without `unix:` or `tcp:` is a Unix socket path. */
export function parseQmpAddress(text: string): QmpAddress {
  if (text.startsWith("tcp:")) return parseTcp(text, text.slice(4));
  const path = text.startsWith("unix:") ? text.slice(5) : text;
  if (path === "") throw new UsageError(`${text}: empty socket path`);
  return { kind: "unix", path };
}

function parseTcp(text: string, rest: string): QmpAddress {
  let host: string;
  let port: string;
  const v6 = /^\[([^\]]*)\]:(.*)$/.exec(rest);
  if (v6) {
    host = v6[1] as string;
    port = v6[2] as string;
  } else {
    const colon = rest.lastIndexOf(":");
    host = colon < 0 ? "" : rest.slice(0, colon);
    port = colon < 0 ? rest : rest.slice(colon + 1);
  }
  const n = /^\d{1,5}$/.test(port) ? Number(port) : Number.NaN;
  if (!(n >= 0 && n <= 65535)) throw new UsageError(`${text}: port must be a number from 0 to 65535`);
  return { kind: "tcp", host: host || DEFAULT_TCP_HOST, port: n };
}

/** The address as text (`unix:/run/x.sock`, `tcp:127.0.0.1:4444`). */
export function formatQmpAddress(a: QmpAddress): string {
  if (a.kind === "unix") return `unix:${a.path}`;
  return a.host.includes(":") ? `tcp:[${a.host}]:${a.port}` : `tcp:${a.host}:${a.port}`;
}
