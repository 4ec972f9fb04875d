/**
 * @module providers/kvm/source
 * `kvm:demo[?vcpus=N]`: a small real KVM VM started by this process; its VM stats fd and one
 * stats fd per vCPU are the source's stats files.
 */
import { UsageError } from "../../errors.js";
import { readInt } from "../../model/read-int.js";
import { FdStatsFile } from "../file/fd-file.js";
import { LocalSource } from "../local-source.js";
import { checkQueryKeys } from "../query.js";
import { startDemoVm } from "./demo.js";

/** Largest vCPU count `kvm:demo` accepts when vCPUs are only created (`run=0`). */
export const MAX_DEMO_VCPUS = 1024;
/** Largest vCPU count that runs guest code: each running vCPU is a worker thread (~10 MB). */
export const MAX_RUNNING_VCPUS = 64;

/** Opens `kvm:demo`. `run=0` creates the vCPUs without running guest code. */
export async function openKvmSource(uri: string, rest: string, query: URLSearchParams): Promise<LocalSource> {
  if (rest !== "demo") throw new UsageError(`${uri}: unknown KVM source "${rest}" (expected kvm:demo)`);
  checkQueryKeys(uri, query, ["vcpus", "run"], "kvm:demo");
  const run = intParam(uri, query, "run", 1, 0, 1) === 1;
  const vcpus = intParam(uri, query, "vcpus", 2, 1, run ? MAX_RUNNING_VCPUS : MAX_DEMO_VCPUS);
  const vm = await startDemoVm({ vcpus, run });
  const files: FdStatsFile[] = [];
  try {
    files.push(new FdStatsFile(vm.vmStatsFd, "kvm:demo vm stats fd", false));
    for (const [i, fd] of vm.vcpuStatsFds.entries()) files.push(new FdStatsFile(fd, `kvm:demo vcpu ${i} stats fd`, false));
  } catch (e) {
    await vm.close();
    throw e;
  }
  return new LocalSource(uri, files, () => vm.close());
}

function intParam(uri: string, q: URLSearchParams, name: string, dflt: number, min: number, max: number): number {
  const raw = q.get(name);
  if (raw === null) return dflt;
  const n = readInt(raw, min, max);
  if (n === undefined) throw new UsageError(`${uri}: ${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return n;
}
