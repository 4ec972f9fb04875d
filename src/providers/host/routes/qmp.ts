/**
 * @module providers/host/routes/qmp
 * Route `qmp`: a QEMU monitor socket found on its command line, read with query-stats. QEMU
 * serves one client per monitor, so by default the connection is held only while a poll is in
 * flight (connect, greeting, query-stats, disconnect); `keep` holds it between polls. A monitor
 * another client holds is reported busy without waiting: first by looking for a connected
 * socket on that path in /proc/net/unix, then by a short greeting timeout (QEMU accepts the
 * connection but greets no one while busy). Values are copied into files that stay the same
 * objects from poll to poll while the VM's layout does not change.
 */

import { readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { AsyncClosable } from "../../../closable.js";
import { withLabels } from "../../../model/identity.js";
import type { StatsFile, StatsSchema } from "../../../model/stats-file.js";
import { QmpClient } from "../../../qmp/client/client.js";
import { peerCredentials, socketFd } from "../../../sys/socket.js";
import { QmpStatsSource } from "../../qmp/source.js";
import { NOT_HELD } from "../enumerate.js";
import { RouteUnavailable, routeLabels, type VmLabels, type VmRoute } from "./route.js";

/** Options of {@link QmpRoute}. */
export interface QmpRouteOptions {
  /** The socket's bound path, as /proc/net/unix shows it (for messages and the busy check). */
  readonly path: string;
  /** Where to connect (through the VM process's /proc/PID/root or cwd); default `path`. */
  readonly connect?: string | undefined;
  readonly pid: number;
  readonly labels: VmLabels;
  /** Targets to keep (`vm`, `vcpu`); others are dropped. */
  readonly targets: ReadonlySet<string>;
  /** Greeting timeout (ms). */
  readonly greetingMs: number;
  /** Hold the connection between polls. */
  readonly keep: boolean;
}

class CopiedFile implements StatsFile {
  readonly identity: StatsFile["identity"];
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  constructor(f: StatsFile, labels: Record<string, string>) {
    // QEMU's qom-paths repeat from VM to VM: the path names the file by its id instead (as a
    // union of QEMUs does), the qom-path stays in the qom_path label.
    this.identity = { ...withLabels(f.identity, labels), path: `/${f.identity.id}` };
    this.schema = f.schema;
    this.data = f.data.slice();
  }
}

/** True when a client is connected to the Unix socket at `path` (by /proc/net/unix). */
export function monitorBusy(path: string): boolean {
  let table: string;
  try {
    table = readFileSync("/proc/net/unix", "utf8");
  } catch {
    return false;
  }
  for (const line of table.split("\n")) {
    const f = line.trim().split(/\s+/);
    // Num RefCount Protocol Flags Type St Inode Path; St 03 = connected
    if (f.length >= 8 && f[7] === path && f[5] === "03") return true;
  }
  return false;
}

/**
 * How long a connected socket on the monitor may take to go away before the monitor counts as
 * busy: QEMU closes its end of a client that just left (ours from the last poll, say) at its
 * next main-loop turn.
 */
const BUSY_SETTLE_MS = 50;

/** True when the monitor stays connected to someone for `ms` (checked every 10 ms, no connect). */
async function busyFor(path: string, ms: number): Promise<boolean> {
  for (let waited = 0; ; waited += 10) {
    if (!monitorBusy(path)) return false;
    if (waited >= ms) return true;
    await sleep(10);
  }
}

/** The state letter of /proc/PID/stat (R, S, D, T, Z, …), or undefined. */
function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
  } catch {
    return undefined;
  }
}

/**
 * Refuses a peer that is not the VM process (by SO_PEERCRED, the pid that listened): the path
 * may have been swapped for another socket (a symlink to a root-only one, say) since the scan.
 */
function checkPeer(socket: Socket, pid: number, path: string): void {
  const fd = socketFd(socket);
  let peer: number | undefined;
  try {
    peer = fd === undefined ? undefined : peerCredentials(fd).pid;
  } catch {
    peer = undefined;
  }
  if (peer !== pid)
    throw new RouteUnavailable(
      `${NOT_HELD} (${path}: the peer is ${peer === undefined ? "unknown" : `pid ${peer}`}, not pid ${pid}; not used)`,
    );
}

/** A VM's statistics over its monitor. */
export class QmpRoute extends AsyncClosable implements VmRoute {
  readonly route = "qmp" as const;
  readonly o: QmpRouteOptions;
  #files: CopiedFile[] = [];
  #held: QmpStatsSource | undefined;
  /** QEMU's version from the last greeting. */
  version: { major: number; minor: number; micro: number } | undefined;

  private constructor(o: QmpRouteOptions) {
    super();
    this.o = o;
  }

  /** Connects once (reading schemas and values); throws {@link RouteUnavailable} in one line. */
  static async open(o: QmpRouteOptions): Promise<QmpRoute> {
    const r = new QmpRoute(o);
    await r.poll(o.greetingMs * 4);
    return r;
  }

  get files(): readonly StatsFile[] {
    return this.#files;
  }

  async poll(timeoutMs: number): Promise<void> {
    if (this.closed) throw new RouteUnavailable("qmp route is closed");
    let src = this.#held;
    try {
      if (src) {
        await src.poll();
      } else {
        // A stopped QEMU (SIGSTOP) accepts a connection but never greets: say so rather than "busy".
        if (processState(this.o.pid) === "T")
          throw new RouteUnavailable(`monitor ${this.o.path}: pid ${this.o.pid} is stopped (SIGSTOP), it cannot answer`);
        if (await busyFor(this.o.path, BUSY_SETTLE_MS)) throw new RouteUnavailable(`monitor ${this.o.path} busy: another client holds it`);
        let client: QmpClient;
        try {
          client = await QmpClient.connect(
            { kind: "unix", path: this.o.connect ?? this.o.path },
            {
              timeoutMs: this.o.greetingMs,
              commandTimeoutMs: Math.max(1, Math.min(timeoutMs, 2 ** 31 - 1)),
              checkPeer: (socket) => checkPeer(socket, this.o.pid, this.o.path),
            },
          );
        } catch (e) {
          const why = e instanceof Error ? e.message : String(e);
          if (/no greeting within/.test(why)) {
            if (processState(this.o.pid) === "T")
              throw new RouteUnavailable(
                `monitor ${this.o.path}: no greeting within ${this.o.greetingMs} ms: pid ${this.o.pid} is stopped (SIGSTOP)`,
              );
            throw new RouteUnavailable(
              `monitor ${this.o.path} busy: no greeting within ${this.o.greetingMs} ms (another client holds it?)`,
            );
          }
          if (processState(this.o.pid) === "T") throw new RouteUnavailable(`${why}: pid ${this.o.pid} is stopped (SIGSTOP)`);
          throw new RouteUnavailable(why);
        }
        this.version = client.greeting.version;
        src = await QmpStatsSource.open(`qmp:${this.o.path}`, client, { pid: this.o.pid });
      }
      this.#copy(src.files);
    } catch (e) {
      if (src) await src.close();
      this.#held = undefined;
      if (e instanceof RouteUnavailable) throw e;
      const why = e instanceof Error ? e.message : String(e);
      if (processState(this.o.pid) === "T") throw new RouteUnavailable(`${why}: pid ${this.o.pid} is stopped (SIGSTOP)`);
      throw new RouteUnavailable(why);
    }
    if (this.o.keep) this.#held = src;
    else await src.close();
  }

  #copy(from: readonly StatsFile[]): void {
    const wanted = from.filter((f) => f.identity.provider === "kvm" && this.o.targets.has(f.identity.target));
    const same =
      wanted.length === this.#files.length &&
      wanted.every((f, i) => {
        const g = this.#files[i] as CopiedFile;
        return (
          g.identity.id === f.identity.id &&
          g.schema.dataSize === f.schema.dataSize &&
          g.schema.descriptors.length === f.schema.descriptors.length
        );
      });
    if (same) {
      wanted.forEach((f, i) => {
        (this.#files[i] as CopiedFile).data.set(f.data);
      });
      return;
    }
    const labels = routeLabels(this.o.labels, "qmp");
    this.#files = wanted.map((f) => new CopiedFile(f, labels));
  }

  protected async closing(): Promise<void> {
    await this.#held?.close();
    this.#held = undefined;
  }
}
