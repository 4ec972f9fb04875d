/**
 * @module qmp/address
 * QMP endpoints as QEMU's -qmp option names them: `unix:PATH` (or a bare PATH) and
 * `tcp:HOST:PORT` (`tcp::PORT` and `tcp:PORT` mean 127.0.0.1; IPv6 as `tcp:[::1]:PORT`).
 * TCP is only ever used when asked for explicitly. A Unix socket path must fit `sun_path`
 * (108 bytes with its NUL, so 107 bytes): Node would otherwise bind or connect to a shortened
 * path.
 */
import { UsageError } from "../errors.js";
import { readInt } from "../model/read-int.js";

/** Where a QMP peer listens. */
export type QmpAddress =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly host: string; readonly port: number };

/** The host a `tcp:` address without one uses. */
export const DEFAULT_TCP_HOST = "127.0.0.1";

/** Most bytes of a Unix socket path (Linux `sun_path` is 108 bytes, NUL included). */
export const MAX_UNIX_PATH = 107;

/** Why `path` cannot be a Unix socket address, or undefined when it can. */
export function unixPathProblem(path: string): string | undefined {
  if (path === "") return "empty socket path";
  const n = Buffer.byteLength(path);
  if (n > MAX_UNIX_PATH) return `socket path is ${n} bytes, more than the ${MAX_UNIX_PATH} a Unix socket address holds`;
  if (path.includes("\0")) return "socket path contains a NUL byte";
  return undefined;
}

/**
 * Parses an endpoint; a text without `unix:` or `tcp:` is a Unix socket path. Errors name the
 * endpoint as `label` (default: the text itself).
 */
export function parseQmpAddress(text: string, label?: string): QmpAddress {
  const where = label ?? (text === "" ? '""' : text);
  if (text.startsWith("tcp:")) return parseTcp(where, text.slice(4));
  const path = text.startsWith("unix:") ? text.slice(5) : text;
  const problem = unixPathProblem(path);
  if (problem !== undefined) throw new UsageError(`${where}: ${problem}`);
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
  const n = readInt(port, 0, 65535);
  if (n === undefined) throw new UsageError(`${text}: port must be a number from 0 to 65535`);
  return { kind: "tcp", host: host || DEFAULT_TCP_HOST, port: n };
}

/** The address as text (`unix:/run/x.sock`, `tcp:127.0.0.1:4444`). */
export function formatQmpAddress(a: QmpAddress): string {
  if (a.kind === "unix") return `unix:${a.path}`;
  return a.host.includes(":") ? `tcp:[${a.host}]:${a.port}` : `tcp:${a.host}:${a.port}`;
}
