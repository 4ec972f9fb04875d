/**
 * @module providers/source
 * What every origin of statistics yields: a {@link StatsSource}, a set of stats files whose
 * schemas are read once and whose data blocks are refreshed in place by {@link StatsSource.poll}.
 * What a source can do beyond that is declared in {@link SourceCapabilities}, never guessed.
 */
import { UsageError } from "../errors.js";
import { printable } from "../model/printable.js";
import type { StatsFile } from "../model/stats-file.js";

/** What a source declares it can do. */
export interface SourceCapabilities {
  /** `pollSync()` exists: polling needs no I/O wait (kernel fds, files, shared memory). */
  readonly pollSync: boolean;
  /** Its files carry `raw`: their bytes in the kernel's layout, by pread (real stats fds, files). */
  readonly raw: boolean;
  /** `write()` exists: writing 0 resets values declared writable (producer values, aggregates). */
  readonly reset: boolean;
}

/** The state of one member of a union (or one VM of a host source). */
export interface MemberStatus {
  /** The member as named (a source URI, or a VM's description). */
  readonly uri: string;
  /** ok: answered the last poll; stale: still polling past the deadline (values are older);
   * failed: the last poll failed (its files are gone until it answers again); gone: closed for good. */
  readonly state: "ok" | "stale" | "failed" | "gone";
  /** One printable line saying why, for stale, failed and gone. */
  readonly reason?: string;
}

/** Options of one poll. */
export interface PollOptions {
  /** Wait at most this long for slow members; members still polling are marked stale. */
  readonly timeoutMs?: number | undefined;
}

/** An open origin of statistics (a binary file, a KVM VM, a QEMU over QMP, …). */
export interface StatsSource extends AsyncDisposable {
  /** The source as the user named it, e.g. `kvm:demo?vcpus=2`. */
  readonly uri: string;
  /**
   * The stats files it yields now, holding current values as soon as the source is opened (every
   * opener reads once); a poll may replace the list (a schema change, a new file, a member gone).
   * Consumers key per-file state by `identityKey(file.identity)`, never by object identity.
   */
  readonly files: readonly StatsFile[];
  readonly capabilities: SourceCapabilities;
  /** Members' states, for sources made of several (unions, the host's VMs); kept by providers/poll. */
  readonly members?: readonly MemberStatus[];
  /**
   * False when the source answers but nothing it names is running (a service's exports with no
   * live producer: not started, or every process gone); absent or true otherwise.
   */
  readonly live?: boolean;
  /** For sources made of several: the `uri` of the member (in {@link members}) a file comes from. */
  memberOf?(file: StatsFile): string | undefined;
  /** Refreshes every file's `data` in place (or replaces `files`). */
  poll(options?: PollOptions): Promise<void>;
  /** Present exactly when `capabilities.pollSync`. */
  pollSync?(): void;
  /** Present exactly when `capabilities.reset`: writes `value` (only 0) to statistic `name` of `file`. */
  write?(file: StatsFile, name: string, value: bigint | number): void;
  /** Present with `write`: whether statistic `name` of `file` may be reset. */
  writable?(file: StatsFile, name: string): boolean;
  /** Releases fds, sockets, VMs; idempotent. */
  close(): Promise<void>;
}

/** A source whose poll needs no I/O wait: pollable in a loop. */
export interface SyncStatsSource extends StatsSource {
  pollSync(): void;
}

/** True when `s` declares synchronous polling. */
export function isSyncSource(s: StatsSource): s is SyncStatsSource {
  return s.capabilities.pollSync && typeof s.pollSync === "function";
}

/** Capabilities of a plain source: nothing beyond polling. */
export const NO_CAPABILITIES: SourceCapabilities = { pollSync: false, raw: false, reset: false };

/**
 * Resets statistic `name` of `file` (writes 0), or says in one line why it cannot: the source
 * does not support resets, or the statistic was not declared writable.
 */
export function resetStat(source: StatsSource, file: StatsFile, name: string): void {
  if (!source.capabilities.reset || !source.write) {
    throw new UsageError(
      `${printable(source.uri)}: ${printable(file.identity.id)} ${printable(name)}: this source does not support resetting (only statsfs producer values declared writable can be reset)`,
    );
  }
  source.write(file, name, 0n);
}
