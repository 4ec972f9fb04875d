/**
 * @module providers/debugfs/kernel-schema
 * The kind (type, unit, base, exponent) of each KVM statistic by name, as this kernel's own
 * binary stats say: a throwaway VM and vCPU are created once, their stats fds' descriptors
 * read, and everything closed again. debugfs text files carry no such metadata. Where /dev/kvm
 * cannot be used, the kernel's schema as recorded in kvm-stats.ts (Linux 6.18, x86-64).
 */
import { closeSync } from "node:fs";
import type { StatDescriptor } from "../../model/descriptor.js";
import { FdStatsFile } from "../file/fd-file.js";
import { tableDescriptors } from "./kvm-stats.js";

let cached: Promise<Map<string, StatDescriptor> | undefined> | undefined;

/** Descriptors by name from this kernel (VM stats, then vCPU stats), else from the recorded table. */
export function kernelDescriptors(): Promise<ReadonlyMap<string, StatDescriptor>> {
  cached ??= probe();
  return cached.then((m) => m ?? tableDescriptors());
}

async function probe(): Promise<Map<string, StatDescriptor> | undefined> {
  try {
    const { Kvm } = await import("../kvm/kvm.js");
    const kvm = new Kvm();
    const vm = kvm.createVm();
    const vcpu = vm.createVcpu(0);
    const out = new Map<string, StatDescriptor>();
    for (const fd of [vm.statsFd(), vcpu.statsFd()]) {
      const f = new FdStatsFile(fd, "kernel schema probe", true);
      for (const d of f.schema.descriptors) if (!out.has(d.name)) out.set(d.name, d);
      f.close();
    }
    vcpu.close();
    vm.close();
    kvm.close();
    return out;
  } catch {
    return undefined;
  }
}

/** Closes an fd, ignoring errors. */
export function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
