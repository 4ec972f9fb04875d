/**
 * @module providers/qmp
 * `qmp:PATH`, `qmp:unix:PATH`, `qmp:tcp:HOST:PORT`: the statistics of a QEMU VM (≥ 7.1, with
 * KVM) or of a statsfs QMP server, read with query-stats. Options: `?timeout=MS` for connecting
 * and the greeting (default 5000, at most 2^31 − 1, the longest timer Node has); `?reversed=0|1` to say whether the peer's lists come reversed
 * (default: reversed, as QEMU 7.x sends them, unless the greeting names our own server);
 * `?max-reply=BYTES` for the longest reply accepted (default 4 MiB).
 */
import { UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import { durationHint, readDuration, readFlag, readInt } from "../../model/read-option.js";
import { parseQmpAddress } from "../../qmp/address.js";
import { DEFAULT_MAX_REPLY, MAX_MAX_REPLY, MAX_TIMEOUT_MS, MIN_MAX_REPLY, QmpClient } from "../../qmp/client/client.js";
import { checkQueryKeys } from "../query.js";
import { listenerPid } from "./identity.js";
import { QmpStatsSource } from "./source.js";

export { QmpStatsFile, QmpStatsSource } from "./source.js";

/** Opens a `qmp:` source. */
export async function openQmpSource(uri: string, rest: string, query: URLSearchParams): Promise<QmpStatsSource> {
  const where = printable(uri);
  checkQueryKeys(uri, query, ["timeout", "reversed", "max-reply"], "qmp:");
  const address = parseQmpAddress(rest, where);
  const raw = query.get("timeout");
  const range = { min: 1, max: MAX_TIMEOUT_MS };
  const timeoutMs = raw === null ? 5000 : readDuration(raw, "ms", range);
  if (timeoutMs === undefined) throw new UsageError(`${where}: timeout must be ${durationHint("ms", range)}`);
  const rawRev = query.get("reversed");
  const rev = rawRev === null ? undefined : readFlag(rawRev);
  if (rawRev !== null && rev === undefined) throw new UsageError(`${where}: reversed must be 0 or 1 (or false, true)`);
  const rawMax = query.get("max-reply");
  const maxReplyBytes = rawMax === null ? DEFAULT_MAX_REPLY : readInt(rawMax, MIN_MAX_REPLY, MAX_MAX_REPLY);
  if (maxReplyBytes === undefined)
    throw new UsageError(`${where}: max-reply must be a number of bytes from ${MIN_MAX_REPLY} to ${MAX_MAX_REPLY}`);
  const client = await QmpClient.connect(address, { timeoutMs, maxReplyBytes });
  const pid = !client.isStatsfs && address.kind === "unix" ? (listenerPid(address.path) ?? 0) : 0;
  return QmpStatsSource.open(uri, client, rev === undefined ? { pid } : { pid, reversed: rev });
}
