/**
 * @module providers/source
 * What every origin of statistics yields: a {@link StatsSource}, a set of stats files whose
 * schemas are read once and whose data blocks are refreshed in place by {@link StatsSource.poll}.
 */
import type { StatsFile } from "../model/stats-file.js";

/** An open origin of statistics (a binary file, a KVM VM, a QEMU over QMP, …). */
export interface StatsSource extends AsyncDisposable {
  /** The source as the user named it, e.g. `kvm:demo?vcpus=2`. */
  readonly uri: string;
  /**
   * The stats files it yields now, holding current values as soon as the source is opened (every
   * opener reads once); a poll may replace the list (a schema change, a new file).
   */
  readonly files: readonly StatsFile[];
  /** Refreshes every file's `data` in place. */
  poll(): Promise<void>;
  /** Releases fds, sockets, VMs; idempotent. */
  close(): Promise<void>;
}

/** A source whose poll needs no I/O wait (kernel fds, files, shared memory): pollable in a loop. */
export interface SyncStatsSource extends StatsSource {
  pollSync(): void;
}

/** True when `s` can be polled synchronously. */
export function isSyncSource(s: StatsSource): s is SyncStatsSource {
  return typeof (s as Partial<SyncStatsSource>).pollSync === "function";
}
