/**
 * @module providers/debugfs/kvm-stats
 * KVM's statistics as the kernel declares them (kvm_vm_stats_desc / kvm_vcpu_stats_desc), data
 * read from a real VM's and vCPU's binary stats fds on x86-64 Linux 6.18 (KVM_GET_STATS_FD): name,
 * type, unit, base, exponent, size, bucket size. debugfs text files carry no types, so without
 * /dev/kvm this table says which file is a gauge (instant), a peak, a counter or a histogram.
 * Regenerate with `node scripts/kvm-stats-table.mjs` where /dev/kvm exists.
 */
import { type DescriptorInit, layOut, type StatDescriptor } from "../../model/descriptor.js";

type Row = readonly [name: string, type: number, unit: number, base: number, exponent: number, size: number, bucketSize: number];

const VM: readonly Row[] = [
  ["remote_tlb_flush", 0, 0, 0, 0, 1, 0],
  ["remote_tlb_flush_requests", 0, 0, 0, 0, 1, 0],
  ["mmu_shadow_zapped", 0, 0, 0, 0, 1, 0],
  ["mmu_pte_write", 0, 0, 0, 0, 1, 0],
  ["mmu_pde_zapped", 0, 0, 0, 0, 1, 0],
  ["mmu_flooded", 0, 0, 0, 0, 1, 0],
  ["mmu_recycled", 0, 0, 0, 0, 1, 0],
  ["mmu_cache_miss", 0, 0, 0, 0, 1, 0],
  ["mmu_unsync", 1, 0, 0, 0, 1, 0],
  ["pages_4k", 1, 0, 0, 0, 1, 0],
  ["pages_2m", 1, 0, 0, 0, 1, 0],
  ["pages_1g", 1, 0, 0, 0, 1, 0],
  ["nx_lpage_splits", 1, 0, 0, 0, 1, 0],
  ["max_mmu_rmap_size", 2, 0, 0, 0, 1, 0],
  ["max_mmu_page_hash_collisions", 2, 0, 0, 0, 1, 0],
  ["mmu_kicks_spared", 0, 0, 0, 0, 1, 0],
];

const VCPU: readonly Row[] = [
  ["halt_successful_poll", 0, 0, 0, 0, 1, 0],
  ["halt_attempted_poll", 0, 0, 0, 0, 1, 0],
  ["halt_poll_invalid", 0, 0, 0, 0, 1, 0],
  ["halt_wakeup", 0, 0, 0, 0, 1, 0],
  ["halt_poll_success_ns", 0, 2, 0, -9, 1, 0],
  ["halt_poll_fail_ns", 0, 2, 0, -9, 1, 0],
  ["halt_wait_ns", 0, 2, 0, -9, 1, 0],
  ["halt_poll_success_hist", 4, 2, 0, -9, 32, 0],
  ["halt_poll_fail_hist", 4, 2, 0, -9, 32, 0],
  ["halt_wait_hist", 4, 2, 0, -9, 32, 0],
  ["blocking", 1, 4, 0, 0, 1, 0],
  ["pf_taken", 0, 0, 0, 0, 1, 0],
  ["pf_fixed", 0, 0, 0, 0, 1, 0],
  ["pf_emulate", 0, 0, 0, 0, 1, 0],
  ["pf_spurious", 0, 0, 0, 0, 1, 0],
  ["pf_fast", 0, 0, 0, 0, 1, 0],
  ["pf_mmio_spte_created", 0, 0, 0, 0, 1, 0],
  ["pf_guest", 0, 0, 0, 0, 1, 0],
  ["tlb_flush", 0, 0, 0, 0, 1, 0],
  ["invlpg", 0, 0, 0, 0, 1, 0],
  ["exits", 0, 0, 0, 0, 1, 0],
  ["io_exits", 0, 0, 0, 0, 1, 0],
  ["mmio_exits", 0, 0, 0, 0, 1, 0],
  ["signal_exits", 0, 0, 0, 0, 1, 0],
  ["irq_window_exits", 0, 0, 0, 0, 1, 0],
  ["nmi_window_exits", 0, 0, 0, 0, 1, 0],
  ["l1d_flush", 0, 0, 0, 0, 1, 0],
  ["halt_exits", 0, 0, 0, 0, 1, 0],
  ["request_irq_exits", 0, 0, 0, 0, 1, 0],
  ["irq_exits", 0, 0, 0, 0, 1, 0],
  ["host_state_reload", 0, 0, 0, 0, 1, 0],
  ["fpu_reload", 0, 0, 0, 0, 1, 0],
  ["insn_emulation", 0, 0, 0, 0, 1, 0],
  ["insn_emulation_fail", 0, 0, 0, 0, 1, 0],
  ["hypercalls", 0, 0, 0, 0, 1, 0],
  ["irq_injections", 0, 0, 0, 0, 1, 0],
  ["nmi_injections", 0, 0, 0, 0, 1, 0],
  ["req_event", 0, 0, 0, 0, 1, 0],
  ["nested_run", 0, 0, 0, 0, 1, 0],
  ["directed_yield_attempted", 0, 0, 0, 0, 1, 0],
  ["directed_yield_successful", 0, 0, 0, 0, 1, 0],
  ["preemption_reported", 0, 0, 0, 0, 1, 0],
  ["preemption_other", 0, 0, 0, 0, 1, 0],
  ["guest_mode", 1, 4, 0, 0, 1, 0],
  ["notify_window_exits", 0, 0, 0, 0, 1, 0],
  ["pf_parked", 0, 0, 0, 0, 1, 0],
  ["pf_park_timeouts", 0, 0, 0, 0, 1, 0],
];

/** Descriptors by name (VM statistics first, then vCPU ones), as the kernel schema says. */
export function tableDescriptors(): ReadonlyMap<string, StatDescriptor> {
  const inits = (rows: readonly Row[]): DescriptorInit[] =>
    rows.map(([name, type, unit, base, exponent, size, bucketSize]) => ({ name, type, unit, base, exponent, size, bucketSize }));
  const out = new Map<string, StatDescriptor>();
  for (const rows of [VM, VCPU]) for (const d of layOut(inits(rows)).descriptors) if (!out.has(d.name)) out.set(d.name, d);
  return out;
}
