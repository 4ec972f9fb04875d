/**
 * @module providers/sim
 * `sim:[?vcpus=N&pid=P&guest=NAME]`: a built-in simulated VM whose schema resembles KVM's and whose
 * values move with time, like a running VM's. Shown by the main job where /dev/kvm is missing; needs
 * nothing from the host. Its ids are KVM-shaped with pid 0 (`kvm-0`, `kvm-0/vcpu-N`), so snapshots
 * read back as kvm; `pid` and `guest` set the pid in the ids and a `guest` label (several simulated
 * VMs in one union then look like several VMs of one host).
 *
 * Every value is a pure function of the monotonic clock (seconds since boot, shared by every process
 * on the host) and a seed (pid, vCPU index): polling reads the clock, it never advances anything, so
 * rates do not depend on who polls or how often, and two readers of `sim:` — in one process or in
 * two — see the same values at the same instant. See {@link simValues} for the model.
 */
import { UsageError } from "../../errors.js";
import { type DescriptorInit, layOut, type StatDescriptor } from "../../model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../model/flags.js";
import { kvmVcpuId, kvmVmId, parseId, type StatsIdentity, withLabels } from "../../model/identity.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { LocalSource, type LocalStatsFile } from "../local-source.js";
import { checkQueryKeys } from "../query.js";
import { counterAt, gaugeAt, type SimClock } from "./model.js";

export type { SimClock } from "./model.js";

/** The monotonic clock in nanoseconds (CLOCK_MONOTONIC: time since boot, the same in every process). */
export const monotonicNs: SimClock = () => process.hrtime.bigint();

const ns = { unit: StatUnit.Seconds, base: StatBase.Pow10, exponent: -9 };
const VM_STATS: DescriptorInit[] = [
  { name: "remote_tlb_flush" },
  { name: "pages_4k", type: StatType.Instant },
  { name: "max_mmu_page_hash_collisions", type: StatType.Peak },
];
const VCPU_STATS: DescriptorInit[] = [
  { name: "exits" },
  { name: "io_exits" },
  { name: "halt_exits" },
  { name: "halt_successful_poll" },
  { name: "halt_wait_ns", ...ns },
  { name: "halt_wait_hist", type: StatType.Log2Histogram, size: 32, ...ns },
  { name: "blocking", type: StatType.Instant, unit: StatUnit.Boolean },
];

/**
 * Mean halts per second in each log2 bucket of halt_wait_hist, from bucket 10 ([512 ns, 1.024 µs))
 * on: most waits last 0.1–2 ms (a guest whose timer ticks at ~1 kHz), about 900 halts and 0.37 s
 * of waiting per second per vCPU.
 */
const WAIT_RATES = [2, 4, 8, 16, 24, 32, 48, 96, 200, 300, 150, 40, 8];
const FIRST_WAIT_BUCKET = 10;
/** Mean io_exits, other exits, successful polls and (at least) remote TLB flushes per second. */
const IO_RATE = 1500;
const OTHER_RATE = 400;
const POLL_RATE = 230;
const TLB_RATE = 2;

/** A simulated stats file; `poll` sets its values for the clock's current time. */
class SimFile implements LocalStatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  readonly #at: Map<string, StatDescriptor>;
  readonly #seed: number;
  readonly #clock: SimClock;
  readonly #vcpu: boolean;

  constructor(identity: StatsIdentity, inits: DescriptorInit[], seed: number, clock: SimClock) {
    const { descriptors, dataSize } = layOut(inits);
    this.identity = identity;
    this.schema = { descriptors, dataSize, nameSize: 48 };
    this.data = new BigUint64Array(dataSize / 8);
    this.#at = new Map(descriptors.map((d) => [d.name, d]));
    this.#seed = seed;
    this.#clock = clock;
    this.#vcpu = inits === VCPU_STATS;
  }

  #set(name: string, v: number, index = 0): void {
    const d = this.#at.get(name);
    if (d) this.data[(d.offset >>> 3) + index] = BigInt(v);
  }

  poll(): void {
    const t = Number(this.#clock()) / 1e9;
    const s = this.#seed;
    if (!this.#vcpu) {
      // VMs differ: each pid flushes at its own rate, and its pages_4k runs at its own phase.
      this.#set("remote_tlb_flush", counterAt(t, TLB_RATE + (s % 5), s * 8 + 1));
      // A gauge that climbs by 2 a second for ~4 minutes, then falls back the same way.
      this.#set("pages_4k", gaugeAt(t + s * 37, 16384, 256, 2));
      this.#set("max_mmu_page_hash_collisions", Math.floor(Math.log2(2 + Math.floor(t / 60))) + (s % 4));
      return;
    }
    let halts = 0;
    let waitNs = 0;
    for (let i = 0; i < WAIT_RATES.length; i++) {
      const b = FIRST_WAIT_BUCKET + i;
      const c = counterAt(t, WAIT_RATES[i] as number, s * 64 + i);
      this.#set("halt_wait_hist", c, b);
      halts += c;
      waitNs += c * 3 * 2 ** (b - 2); // each sample at its bucket's middle: [2^(b-1), 2^b)
    }
    const io = counterAt(t, IO_RATE, s * 64 + 40);
    this.#set("halt_exits", halts);
    this.#set("halt_wait_ns", waitNs);
    this.#set("io_exits", io);
    this.#set("exits", halts + io + counterAt(t, OTHER_RATE, s * 64 + 41));
    this.#set("halt_successful_poll", counterAt(t, POLL_RATE, s * 64 + 42));
    this.#set("blocking", gaugeAt(t * 7 + s, 0, 1, 1));
  }

  close(): void {}
}

/** What a simulated VM is made of. */
export interface SimOptions {
  readonly vcpus: number;
  readonly pid: number;
  readonly guest?: string | undefined;
  /** Nanoseconds on a monotonic clock (default {@link monotonicNs}); tests inject their own. */
  readonly clock?: SimClock | undefined;
}

/** The stats files of a simulated VM (its VM file, then one per vCPU), polled once. */
export function simFiles(o: SimOptions): LocalStatsFile[] {
  const clock = o.clock ?? monotonicNs;
  const guest = o.guest;
  const id = (text: string) => (guest === undefined ? parseId(text) : withLabels(parseId(text), { guest }));
  const files = [new SimFile(id(kvmVmId(o.pid)), VM_STATS, 7 + o.pid, clock)];
  for (let i = 0; i < o.vcpus; i++) files.push(new SimFile(id(kvmVcpuId(o.pid, i)), VCPU_STATS, 11 + i + o.pid * 1031, clock));
  for (const f of files) f.poll();
  return files;
}

/** Opens the simulated VM (`clock`: for tests). */
export async function openSimSource(uri: string, rest: string, q: URLSearchParams, clock?: SimClock): Promise<LocalSource> {
  if (rest !== "" && rest !== "vm") throw new UsageError(`${uri}: unknown simulated source "${rest}"`);
  checkQueryKeys(uri, q, ["vcpus", "pid", "guest"], "sim:");
  const raw = q.get("vcpus") ?? "2";
  const vcpus = /^\d+$/.test(raw) ? Number(raw) : 0;
  if (vcpus < 1 || vcpus > 1024) throw new UsageError(`${uri}: vcpus must be an integer from 1 to 1024`);
  const rawPid = q.get("pid") ?? "0";
  if (!/^\d{1,9}$/.test(rawPid)) throw new UsageError(`${uri}: pid must be a non-negative integer`);
  const files: StatsFile[] = simFiles({ vcpus, pid: Number(rawPid), guest: q.get("guest") ?? undefined, clock });
  return new LocalSource(uri, files as LocalStatsFile[]);
}
