/**
 * @module views/http/address
 * `--http [HOST:]PORT`: where the exporter listens. 127.0.0.1 unless a host is given (`[::1]`
 * for IPv6, `0.0.0.0` for every interface); PORT defaults to {@link DEFAULT_HTTP_PORT} when
 * only `HOST:` (or `:`) is given; port 0 picks a free port.
 */
import { UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import { readInt } from "../../model/read-int.js";

/** The exporter's default port (chosen for statsfs; node_exporter has 9100). */
export const DEFAULT_HTTP_PORT = 9798;

/** A host and port to listen on. */
export interface HttpAddress {
  readonly host: string;
  readonly port: number;
}

/** Parses `[HOST:]PORT`, `HOST:`, `[V6]:PORT`. */
export function parseHttpAddress(text: string): HttpAddress {
  const bad = (why: string) => new UsageError(`serve: --http ${text === "" ? '""' : printable(text)}: ${why} (expected [HOST:]PORT)`);
  let host = "127.0.0.1";
  let portText = text;
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d*))?$/.exec(text);
  if (v6) {
    host = v6[1] as string;
    portText = v6[2] ?? "";
  } else if (text.includes(":")) {
    const i = text.lastIndexOf(":");
    const h = text.slice(0, i);
    if (h.includes(":")) throw bad("an IPv6 host must be in brackets");
    if (h !== "") host = h;
    portText = text.slice(i + 1);
  }
  if (!/^[A-Za-z0-9.:-]+$/.test(host)) throw bad("bad host");
  if (portText === "") return { host, port: DEFAULT_HTTP_PORT };
  const port = readInt(portText, 0, 65535);
  if (port === undefined) throw bad("port must be 0..65535");
  return { host, port };
}

/** `host:port` for messages and URLs. */
export function formatHttpAddress(a: HttpAddress): string {
  return a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
