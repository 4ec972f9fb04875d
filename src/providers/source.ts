/**
 * @module providers/source
 * What every origin of statistics yields: a {@link StatsSource}, a set of stats files whose
 * schemas are read once and whose data blocks are refreshed in place by {@link StatsSource.poll}.
 */
import type { StatsFile, StatsIdentity } from "../model/stats-file.js";

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

const KVM_VM = /^kvm-\d+$/;
const KVM_VCPU = /^kvm-\d+\/vcpu-(\d+)$/;

/**
 * Provider and target from a stats file's id string: `kvm-<pid>` is kvm/vm,
 * `kvm-<pid>/vcpu-<n>` is kvm/vcpu. Otherwise the provider is the text before the first `-`, `/`
 * or `:`, and the target is the last `/` segment without a `-<n>` suffix (`vm` when there is
 * no `/`): `statsfs-app/http` → statsfs/http, with path `/http`.
 */
export function identityFromId(id: string): StatsIdentity {
  if (KVM_VM.test(id)) return { id, provider: "kvm", target: "vm" };
  if (KVM_VCPU.test(id)) return { id, provider: "kvm", target: "vcpu" };
  const provider = /^[^-/:]+/.exec(id)?.[0] ?? id;
  const slash = id.indexOf("/");
  if (slash < 0) return { id, provider, target: "vm" };
  const last = id.slice(id.lastIndexOf("/") + 1).replace(/-\d+$/, "");
  return { id, provider, target: last || "vm", path: id.slice(slash) };
}

/** The vCPU index of a kvm vCPU id, or undefined. */
export function vcpuIndex(id: string): number | undefined {
  const m = KVM_VCPU.exec(id);
  return m ? Number(m[1]) : undefined;
}
