/**
 * @module providers/host/routes/trace
 * Route `trace`: tracepoint counts of a VM's threads (providers/trace), its vCPU threads where
 * all are known, else every thread of the process (only vCPU threads fire KVM's exit
 * tracepoints, so the sums are the same); threads that appear later are added at each rescan.
 */
import { AsyncClosable } from "../../../closable.js";
import type { StatsFile } from "../../../model/stats-file.js";
import { TraceCounters } from "../../trace/counters.js";
import type { HostVm } from "../enumerate.js";
import { RouteUnavailable, routeLabels, type VmLabels, type VmRoute } from "./route.js";

/** The threads to count for `vm`. */
export function traceThreads(vm: HostVm): number[] {
  const known = [...vm.vcpuThreads.values()];
  return known.length > 0 && known.length === vm.vcpuFds.size ? known.sort((a, b) => a - b) : [...vm.threads];
}

export class TraceRoute extends AsyncClosable implements VmRoute {
  readonly route = "trace" as const;
  readonly counters: TraceCounters;
  readonly files: readonly StatsFile[];
  private constructor(c: TraceCounters) {
    super();
    this.counters = c;
    this.files = [c, ...c.vcpus.values()];
  }
  static open(vm: HostVm, labels: VmLabels): TraceRoute {
    try {
      const vcpuOf = new Map([...vm.vcpuThreads].map(([i, tid]) => [tid, i]));
      return new TraceRoute(TraceCounters.open(vm.pid, traceThreads(vm), routeLabels(labels, "trace"), vcpuOf));
    } catch (e) {
      throw new RouteUnavailable(e instanceof Error ? e.message : String(e));
    }
  }
  /** Follows the thread set of a rescan. */
  update(vm: HostVm): void {
    const tids = traceThreads(vm);
    this.counters.addThreads(tids);
    this.counters.retireThreads(new Set(vm.threads));
  }
  pollSync(): void {
    this.counters.poll();
  }
  async poll(): Promise<void> {
    this.pollSync();
  }
  protected async closing(): Promise<void> {
    this.counters.close();
  }
}
