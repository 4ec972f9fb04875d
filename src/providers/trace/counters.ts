/**
 * @module providers/trace/counters
 * Tracepoint counts for one VM as a stats file of cumulative counters, as kvm_stat -t shows
 * them: `kvm_userspace_exit` and its children by reason (`kvm_userspace_exit(IO)`, …, with
 * `(restart)` for EINTR and `(error)` for other failed KVM_RUNs, whose reason field is stale), and
 * `kvm_exit` with its children by exit reason where the host's vendor module (kvm_intel,
 * kvm_amd) tells which list applies. Counting events only (no sampling): per thread one
 * perf group, read with one read(2); a VM's file sums its threads. Counts start when the
 * counters are opened. The soft RLIMIT_NOFILE is raised first, as kvm_stat does, since every
 * counter is an fd.
 *
 * On PVM hosts kvm_exit never fires while kvm_userspace_exit does (see FACTS.md).
 */

import { closeSync, existsSync, readdirSync } from "node:fs";
import { Closable } from "../../closable.js";
import { SourceError } from "../../errors.js";
import { layOut, type StatDescriptor } from "../../model/descriptor.js";
import { StatType } from "../../model/flags.js";
import { makeIdentity, type StatsIdentity } from "../../model/identity.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { enableGroup, openTracepointCounter, PerfError, readGroup } from "../../sys/perf.js";
import { raiseNofile } from "../../sys/rlimit.js";
import { symbolicLists, tracefsDir, tracepointFormat, tracepointId } from "./tracefs.js";

/** One counter of a group: tracepoint id, filter, stat name. */
interface CounterSpec {
  readonly id: number;
  readonly filter?: string;
  readonly name: string;
}

/** Which reason list kvm_exit uses on this host (kvm_intel: VMX, kvm_amd: SVM), or none. */
function exitIsa(): "vmx" | "svm" | undefined {
  if (existsSync("/sys/module/kvm_intel")) return "vmx";
  if (existsSync("/sys/module/kvm_amd")) return "svm";
  return undefined;
}

const NAME_MAX = 47;

/** KVM_EXIT_* reasons that other architectures' KVM alone returns (not counted on x86-64). */
const OTHER_ARCH_EXITS = /^KVM_EXIT_(S390_|PAPR_|OSI$|DCR$|EPR$|ARM_|RISCV_|LOONGARCH_)/;

/** The counters kvm_stat -t would show for KVM's exit tracepoints on this host. */
export function counterSpecs(tracefs: string): CounterSpec[] {
  const specs: CounterSpec[] = [];
  const ue = tracepointId(tracefs, "kvm_userspace_exit");
  if (ue !== undefined) {
    specs.push({ id: ue, name: "kvm_userspace_exit" });
    const lists = symbolicLists(tracepointFormat(tracefs, "kvm_userspace_exit") ?? "");
    for (const { value, name } of lists[0] ?? []) {
      if (process.arch === "x64" && OTHER_ARCH_EXITS.test(name)) continue;
      const n = `kvm_userspace_exit(${name.replace(/^KVM_EXIT_/, "")})`;
      if (n.length <= NAME_MAX) specs.push({ id: ue, filter: `reason == ${value} && errno >= 0`, name: n });
    }
    // KVM_RUN that ended with an error: the reason field then holds a stale exit reason, so
    // these are counted apart, as the tracepoint's own format prints them.
    specs.push({ id: ue, filter: "errno == -4", name: "kvm_userspace_exit(restart)" });
    specs.push({ id: ue, filter: "errno < 0 && errno != -4", name: "kvm_userspace_exit(error)" });
  }
  const ex = tracepointId(tracefs, "kvm_exit");
  if (ex !== undefined) {
    specs.push({ id: ex, name: "kvm_exit" });
    const isa = exitIsa();
    const lists = symbolicLists(tracepointFormat(tracefs, "kvm_exit") ?? "");
    const list = isa === "vmx" ? lists[0] : isa === "svm" ? lists[1] : undefined;
    const seen = new Set<string>();
    for (const { value, name } of list ?? []) {
      const n = `kvm_exit(${name})`;
      if (n.length <= NAME_MAX && !seen.has(n)) {
        seen.add(n);
        specs.push({ id: ex, filter: `exit_reason == ${value}`, name: n });
      }
    }
  }
  return specs;
}

/** One vCPU thread's counts (filled by its VM's {@link TraceCounters.poll}). */
export class VcpuTraceFile implements StatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  constructor(identity: StatsIdentity, schema: StatsSchema) {
    this.identity = identity;
    this.schema = schema;
    this.data = new BigUint64Array(schema.dataSize / 8);
  }
}

/** A perf group on one thread. */
interface Group {
  readonly tid: number;
  readonly fds: number[];
  readonly buf: Uint8Array;
  readonly values: BigUint64Array;
}

/** A VM's tracepoint counts. */
export class TraceCounters extends Closable implements StatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  readonly #specs: CounterSpec[];
  readonly #groups = new Map<number, Group>();
  /** Per-vCPU files by thread id (empty unless every counted thread is a known vCPU's). */
  readonly vcpus = new Map<number, VcpuTraceFile>();
  /** Counts of threads that went away (their groups closed). */
  readonly #retired: BigUint64Array;

  private constructor(identity: StatsIdentity, specs: CounterSpec[]) {
    super();
    this.identity = identity;
    this.#specs = specs;
    const { descriptors, dataSize } = layOut(specs.map((s) => ({ name: s.name, type: StatType.Cumulative })));
    this.schema = { descriptors: descriptors as StatDescriptor[], dataSize, nameSize: 48 };
    this.data = new BigUint64Array(dataSize / 8);
    this.#retired = new BigUint64Array(dataSize / 8);
  }

  /**
   * Opens counters on `tids` of process `pid`. Throws {@link PerfError} (perf_event_open
   * refused, EMFILE) or a SourceError when tracefs has no KVM events.
   */
  static open(
    pid: number,
    tids: readonly number[],
    labels: Readonly<Record<string, string>>,
    vcpuOf?: ReadonlyMap<number, number>,
  ): TraceCounters {
    const tracefs = tracefsDir();
    if (tracefs === undefined)
      throw new SourceError("STATSFS_SOURCE", "tracefs with KVM events is not mounted (mount -t tracefs none /sys/kernel/tracing)");
    const specs = counterSpecs(tracefs);
    if (specs.length === 0) throw new SourceError("STATSFS_SOURCE", `${tracefs}: no kvm_exit or kvm_userspace_exit tracepoint`);
    const t = new TraceCounters(makeIdentity(`trace-${pid}`, "trace", "vm", labels), specs);
    // One file per vCPU too, where each counted thread is a known vCPU's.
    if (vcpuOf && tids.length > 0 && tids.every((tid) => vcpuOf.has(tid))) {
      for (const tid of [...tids].sort((a, b) => (vcpuOf.get(a) as number) - (vcpuOf.get(b) as number))) {
        const n = vcpuOf.get(tid) as number;
        t.vcpus.set(
          tid,
          new VcpuTraceFile(makeIdentity(`trace-${pid}/vcpu-${n}`, "trace", "vcpu", { ...labels, vcpu: String(n) }), t.schema),
        );
      }
    }
    try {
      t.addThreads(tids);
    } catch (e) {
      t.close();
      throw e;
    }
    if (t.#groups.size === 0) {
      t.close();
      throw new SourceError("STATSFS_SOURCE", `pid ${pid}: no thread to count`);
    }
    return t;
  }

  /** How many threads are counted. */
  get threadCount(): number {
    return this.#groups.size;
  }

  /** Adds counters for threads not counted yet; a thread that exited meanwhile is skipped. */
  addThreads(tids: readonly number[]): void {
    const fresh = tids.filter((t) => !this.#groups.has(t));
    if (fresh.length === 0) return;
    raiseNofile(openFdCount() + fresh.length * this.#specs.length + 64);
    for (const tid of fresh) {
      const fds: number[] = [];
      try {
        for (const s of this.#specs) {
          const o = { id: s.id, tid, group: fds[0] ?? -1, what: s.name, disabled: fds.length === 0 };
          fds.push(openTracepointCounter(s.filter === undefined ? o : { ...o, filter: s.filter }));
        }
        enableGroup(fds[0] as number);
      } catch (e) {
        for (const fd of fds) closeSync(fd);
        if (e instanceof PerfError && e.errno === 3) continue; // ESRCH: the thread exited
        throw e;
      }
      const n = this.#specs.length;
      this.#groups.set(tid, { tid, fds, buf: new Uint8Array(8 * (n + 1)), values: new BigUint64Array(n) });
    }
    this.poll();
  }

  /** Forgets threads not in `alive` (their last counts are kept in the sums). */
  retireThreads(alive: ReadonlySet<number>): void {
    for (const [tid, g] of this.#groups) {
      if (alive.has(tid)) continue;
      this.#readGroup(g);
      for (let i = 0; i < g.values.length; i++) this.#retired[i] = (this.#retired[i] as bigint) + (g.values[i] as bigint);
      for (const fd of g.fds) closeSync(fd);
      this.#groups.delete(tid);
    }
    this.poll();
  }

  #readGroup(g: Group): void {
    readGroup(g.fds[0] as number, g.buf, g.values);
  }

  /** Reads every group and sums them into {@link data}. */
  poll(): void {
    if (this.closed) return;
    const d = this.data;
    d.set(this.#retired);
    for (const g of this.#groups.values()) {
      this.#readGroup(g);
      const v = g.values;
      for (let i = 0; i < v.length; i++) d[i] = (d[i] as bigint) + (v[i] as bigint);
      this.vcpus.get(g.tid)?.data.set(v);
    }
  }

  protected closing(): void {
    for (const g of this.#groups.values()) for (const fd of g.fds) closeSync(fd);
    this.#groups.clear();
  }
}

function openFdCount(): number {
  try {
    return readdirSync("/proc/self/fd").length;
  } catch {
    return 256;
  }
}
