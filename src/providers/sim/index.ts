/**
 * @module providers/sim
 * `sim:[?vcpus=N&pid=P&guest=NAME&poll=1&hot=V]`: a built-in simulated VM whose schema resembles KVM's
 * and whose values move with time, like a running VM's. `poll=1` adds KVM's halt-polling statistics
 * (attempts, times and their histograms); `hot=V` gives vCPU V twenty times the exits of the others
 * (a hot vCPU to find). Shown by the main job where /dev/kvm is missing; needs nothing from the host. Its ids are KVM-shaped with pid 0 (`kvm-0`, `kvm-0/vcpu-N`), so snapshots
 * read back as kvm; `pid` and `guest` set the pid in the ids and a `guest` label (several simulated
 * VMs in one union then look like several VMs of one host).
 *
 * Every value is a pure function of the monotonic clock (seconds since boot, shared by every process
 * on the host) and a seed (pid, vCPU index): polling reads the clock, it never advances anything, so
 * rates do not depend on who polls or how often, and two readers of `sim:` — in one process or in
 * two — see the same values at the same instant. See ./model.ts for the functions of time.
 */
import { UsageError } from "../../errors.js";
import { type DescriptorInit, layOut, type StatDescriptor } from "../../model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../model/flags.js";
import { kvmVcpuId, kvmVmId, parseId, type StatsIdentity, withLabels } from "../../model/identity.js";
import { readFlag, readInt } from "../../model/read-option.js";
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

const POLL_STATS: DescriptorInit[] = [
  { name: "halt_attempted_poll" },
  { name: "halt_poll_success_ns", ...ns },
  { name: "halt_poll_fail_ns", ...ns },
  { name: "halt_poll_success_hist", type: StatType.Log2Histogram, size: 32, ...ns },
  { name: "halt_poll_fail_hist", type: StatType.Log2Histogram, size: 32, ...ns },
];

/**
 * Mean halts per second in each log2 bucket of halt_wait_hist, from bucket 10 ([512 ns, 1.024 µs))
 * on: most waits last 0.1–2 ms (a guest whose timer ticks at ~1 kHz), about 900 halts and 0.37 s
 * of waiting per second per vCPU.
 */
const WAIT_RATES = [2, 4, 8, 16, 24, 32, 48, 96, 200, 300, 150, 40, 8];
const FIRST_WAIT_BUCKET = 10;
/** Mean successful halt polls per second per bucket from bucket 8 ([128 ns, 256 ns)): 0.2–20 µs. */
const POLL_OK_RATES = [10, 30, 50, 60, 40, 20, 10, 5];
const FIRST_POLL_OK_BUCKET = 8;
/** Mean failed halt polls per second per bucket from bucket 15 ([16 µs, 32 µs)): 20–200 µs. */
const POLL_FAIL_RATES = [20, 40, 30, 10];
const FIRST_POLL_FAIL_BUCKET = 15;
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
  /** Exit rates are multiplied by this (a hot vCPU: 20). */
  readonly #busy: number;

  constructor(identity: StatsIdentity, inits: DescriptorInit[], seed: number, clock: SimClock, vcpu = false, busy = 1) {
    const { descriptors, dataSize } = layOut(inits);
    this.identity = identity;
    this.schema = { descriptors, dataSize, nameSize: 48 };
    this.data = new BigUint64Array(dataSize / 8);
    this.#at = new Map(descriptors.map((d) => [d.name, d]));
    this.#seed = seed;
    this.#clock = clock;
    this.#vcpu = vcpu;
    this.#busy = busy;
  }

  /** Sets histogram `name` from counters of mean `rates` from bucket `first` on; its count and its sum (samples at bucket middles). */
  #hist(name: string, t: number, rates: readonly number[], first: number, seed: number): { count: number; sum: number } {
    let count = 0;
    let sum = 0;
    for (let i = 0; i < rates.length; i++) {
      const b = first + i;
      const c = counterAt(t, rates[i] as number, seed + i);
      this.#set(name, c, b);
      count += c;
      sum += c * 3 * 2 ** (b - 2); // each sample at its bucket's middle: [2^(b-1), 2^b)
    }
    return { count, sum };
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
    const wait = this.#hist("halt_wait_hist", t, WAIT_RATES, FIRST_WAIT_BUCKET, s * 64);
    const io = counterAt(t, IO_RATE * this.#busy, s * 64 + 40);
    this.#set("halt_exits", wait.count);
    this.#set("halt_wait_ns", wait.sum);
    this.#set("io_exits", io);
    this.#set("exits", wait.count + io + counterAt(t, OTHER_RATE * this.#busy, s * 64 + 41));
    if (!this.#at.has("halt_attempted_poll")) this.#set("halt_successful_poll", counterAt(t, POLL_RATE, s * 64 + 42));
    else {
      const ok = this.#hist("halt_poll_success_hist", t, POLL_OK_RATES, FIRST_POLL_OK_BUCKET, s * 64 + 16);
      const fail = this.#hist("halt_poll_fail_hist", t, POLL_FAIL_RATES, FIRST_POLL_FAIL_BUCKET, s * 64 + 32);
      this.#set("halt_successful_poll", ok.count);
      this.#set("halt_attempted_poll", ok.count + fail.count);
      this.#set("halt_poll_success_ns", ok.sum);
      this.#set("halt_poll_fail_ns", fail.sum);
    }
    this.#set("blocking", gaugeAt(t * 7 + s, 0, 1, 1));
  }

  close(): void {}
}

/** What a simulated VM is made of. */
export interface SimOptions {
  readonly vcpus: number;
  readonly pid: number;
  readonly guest?: string | undefined;
  /** Add KVM's halt-polling statistics. */
  readonly poll?: boolean | undefined;
  /** The vCPU with twenty times the exits (-1 or undefined: none). */
  readonly hot?: number | undefined;
  /** Nanoseconds on a monotonic clock (default {@link monotonicNs}); tests inject their own. */
  readonly clock?: SimClock | undefined;
}

/** The stats files of a simulated VM (its VM file, then one per vCPU), polled once. */
export function simFiles(o: SimOptions): LocalStatsFile[] {
  const clock = o.clock ?? monotonicNs;
  const guest = o.guest;
  const id = (text: string) => (guest === undefined ? parseId(text) : withLabels(parseId(text), { guest }));
  const files = [new SimFile(id(kvmVmId(o.pid)), VM_STATS, 7 + o.pid, clock)];
  const vcpuStats = o.poll
    ? [...VCPU_STATS.slice(0, 4), POLL_STATS[0] as DescriptorInit, ...VCPU_STATS.slice(4), ...POLL_STATS.slice(1)]
    : VCPU_STATS;
  for (let i = 0; i < o.vcpus; i++) {
    files.push(new SimFile(id(kvmVcpuId(o.pid, i)), vcpuStats, 11 + i + o.pid * 1031, clock, true, i === o.hot ? 20 : 1));
  }
  for (const f of files) f.poll();
  return files;
}

/** Opens the simulated VM (`clock`: for tests). */
export async function openSimSource(uri: string, rest: string, q: URLSearchParams, clock?: SimClock): Promise<LocalSource> {
  if (rest !== "" && rest !== "vm") throw new UsageError(`${uri}: unknown simulated source "${rest}"`);
  checkQueryKeys(uri, q, ["vcpus", "pid", "guest", "poll", "hot"], "sim:");
  const raw = q.get("vcpus") ?? "2";
  const vcpus = readInt(raw, 1, 1024);
  if (vcpus === undefined) throw new UsageError(`${uri}: vcpus must be an integer from 1 to 1024`);
  const pid = readInt(q.get("pid") ?? "0", 0, 999_999_999);
  if (pid === undefined) throw new UsageError(`${uri}: pid must be a non-negative integer`);
  const guest = q.get("guest") ?? undefined;
  const poll = readFlag(q.get("poll") ?? "0");
  if (poll === undefined) throw new UsageError(`${uri}: poll must be 0 or 1 (or false, true)`);
  const rawHot = q.get("hot");
  const hot = rawHot === null ? -1 : /^\d{1,4}$/.test(rawHot) ? Number(rawHot) : Number.NaN;
  if (!(hot < vcpus)) throw new UsageError(`${uri}: hot must be a vCPU number below ${vcpus}`);
  const files: StatsFile[] = simFiles({ vcpus, pid, guest, poll, hot, clock });
  return new LocalSource(uri, files as LocalStatsFile[]);
}
