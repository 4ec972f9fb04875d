/**
 * @module providers/host
 * `host:[?pid=N[,M]][&guest=GLOB][&route=fd,qmp,debugfs,trace][&debugfs=DIR][&greeting=MS]
 * [&timeout=MS][&keep=1][&scan=auto|proc]`: every KVM VM on this host as one source (see source.ts), with
 * labels pid, guest, uuid, vcpu, route and vmm on every file. `route` limits the routes tried
 * (default all, best first); `debugfs` names debugfs's kvm directory (default
 * /sys/kernel/debug/kvm); `greeting` is the QMP greeting timeout (default 500 ms); `timeout`
 * bounds each VM's poll (default 2000 ms); `keep=1` holds QMP monitors between polls; `scan`
 * says how VMs are found (auto: debugfs's `<pid>-<fd>` directories where mounted, else every
 * process's fds in /proc; proc: always /proc); `self=0` leaves out this process's own VMs.
 */

import { UsageError } from "../../errors.js";
import { globToRegExp } from "../../model/glob.js";
import { printable } from "../../model/printable.js";
import { durationHint, readDuration, readFlag, readInt } from "../../model/read-option.js";
import { checkQueryKeys } from "../query.js";
import { hostHasVms } from "./enumerate.js";
import { ROUTES, type RouteName } from "./routes/route.js";
import { HostSource, type HostSourceOptions } from "./source.js";

export { enumerateVms, type HostVm } from "./enumerate.js";
export { HostSource, type HostSourceOptions, type VmSummary } from "./source.js";
export { globToRegExp, hostHasVms };

const KEYS = new Set(["pid", "guest", "route", "debugfs", "greeting", "timeout", "keep", "self", "scan"]);

const MS = { min: 1, max: 2 ** 31 - 1 };

/** A duration option (`?timeout=2000`, `?timeout=2s`), in milliseconds. */
function ms(where: string, q: URLSearchParams, key: string, dflt: number): number {
  const raw = q.get(key);
  if (raw === null) return dflt;
  const n = readDuration(raw, "ms", MS);
  if (n === undefined) throw new UsageError(`${where}: ${key} must be ${durationHint("ms", MS)}`);
  return n;
}

/** A flag option (`?keep=1`, `?keep=true`). */
function flagOf(where: string, q: URLSearchParams, key: string, dflt: boolean): boolean {
  const raw = q.get(key);
  if (raw === null) return dflt;
  const v = readFlag(raw);
  if (v === undefined) throw new UsageError(`${where}: ${key} must be 0 or 1 (or false, true)`);
  return v;
}

/** The options a `host:` query says. */
export function hostOptions(uri: string, rest: string, q: URLSearchParams): HostSourceOptions {
  const where = printable(uri);
  if (rest !== "") throw new UsageError(`${where}: host: takes no path, only options (host:?pid=N&guest=GLOB&route=fd,qmp)`);
  checkQueryKeys(where, q, [...KEYS], "host:");
  let pids: Set<number> | undefined;
  const rawPids = q.get("pid");
  if (rawPids !== null) {
    pids = new Set();
    for (const p of rawPids.split(",")) {
      const pid = readInt(p, 1, 9_999_999_999);
      if (pid === undefined) throw new UsageError(`${where}: pid must be a list of process ids, got "${printable(p)}"`);
      pids.add(pid);
    }
  }
  let routes: Set<RouteName> = new Set(ROUTES);
  const rawRoutes = q.get("route");
  if (rawRoutes !== null) {
    routes = new Set();
    for (const r of rawRoutes.split(",")) {
      if (!(ROUTES as readonly string[]).includes(r))
        throw new UsageError(`${where}: unknown route "${printable(r)}" (known: ${ROUTES.join(", ")})`);
      routes.add(r as RouteName);
    }
  }
  const keep = flagOf(where, q, "keep", false);
  const self = flagOf(where, q, "self", true);
  const scan = q.get("scan");
  if (scan !== null && scan !== "auto" && scan !== "proc") throw new UsageError(`${where}: scan must be auto or proc`);
  const guest = q.get("guest");
  const debugfs = q.get("debugfs");
  return {
    pids,
    guest: guest === null ? undefined : globToRegExp(guest),
    routes,
    debugfs: debugfs ?? undefined,
    greetingMs: ms(where, q, "greeting", 500),
    timeoutMs: ms(where, q, "timeout", 2000),
    keep,
    excludeSelf: !self,
    scan: scan === "proc" ? "proc" : "auto",
  };
}

/** Opens `host:`. */
export async function openHostSource(uri: string, rest: string, q: URLSearchParams): Promise<HostSource> {
  return HostSource.open(uri, hostOptions(uri, rest, q));
}
