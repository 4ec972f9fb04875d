/**
 * @module providers/sim
 * `sim:[?vcpus=N&pid=P&guest=NAME&poll=1&hot=V]`: a built-in simulated VM whose schema resembles KVM's and whose
 * values move on every poll. `poll=1` adds KVM's halt-polling statistics (attempts, times and their
 * histograms); `hot=V` gives vCPU V twenty times the exits of the others (a hot vCPU to find).
 * Shown by the main job where /dev/kvm is missing; needs nothing from the host.
 * Its ids are KVM-shaped with pid 0 (`kvm-0`, `kvm-0/vcpu-N`), so snapshots read back as kvm;
 * `pid` and `guest` set the pid in the ids and a `guest` label (several simulated VMs in one
 * union then look like several VMs of one host).
 */
import { UsageError } from "../../errors.js";
import { type DescriptorInit, layOut, type StatDescriptor } from "../../model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../model/flags.js";
import { log2BucketIndex } from "../../model/histogram.js";
import { kvmVcpuId, kvmVmId, parseId, type StatsIdentity, withLabels } from "../../model/identity.js";
import { readInt } from "../../model/read-int.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { LocalSource, type LocalStatsFile } from "../local-source.js";
import { checkQueryKeys } from "../query.js";

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

/** A simulated stats file; `step` advances its values. */
class SimFile implements LocalStatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  readonly #byName: Map<string, StatDescriptor>;
  #seed: number;
  readonly #busy: number;

  constructor(identity: StatsIdentity, inits: DescriptorInit[], seed: number, busy = 1) {
    this.#busy = busy;
    const { descriptors, dataSize } = layOut(inits);
    this.identity = identity;
    this.schema = { descriptors, dataSize, nameSize: 48 };
    this.data = new BigUint64Array(dataSize / 8);
    this.#byName = new Map(descriptors.map((d) => [d.name, d]));
    this.#seed = seed || 1;
  }

  #rand(n: number): number {
    // xorshift32: deterministic and allocation-free.
    let x = this.#seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.#seed = x >>> 0;
    return this.#seed % n;
  }

  #add(name: string, n: number, index = 0): void {
    const d = this.#byName.get(name);
    if (d) this.data[(d.offset >>> 3) + index] = (this.data[(d.offset >>> 3) + index] ?? 0n) + BigInt(n);
  }

  poll(): void {
    const halts = 5 + this.#rand(50);
    this.#add("exits", (halts * 2 + this.#rand(100)) * this.#busy);
    this.#add("io_exits", halts * this.#busy);
    this.#add("halt_exits", halts);
    if (!this.#byName.has("halt_attempted_poll")) this.#add("halt_successful_poll", this.#rand(halts));
    else {
      const polls = this.#rand(halts + 1);
      const good = this.#rand(polls + 1);
      this.#add("halt_successful_poll", good);
      this.#add("halt_attempted_poll", polls);
      for (let i = 0; i < polls; i++) {
        const ok = i < good;
        const t = ok ? 200 + this.#rand(20_000) : 20_000 + this.#rand(180_000);
        this.#add(ok ? "halt_poll_success_ns" : "halt_poll_fail_ns", t);
        this.#add(ok ? "halt_poll_success_hist" : "halt_poll_fail_hist", 1, log2BucketIndex(t, 32));
      }
    }
    this.#add("remote_tlb_flush", this.#rand(3));
    this.#add("pages_4k", this.#rand(2));
    for (let i = 0; i < halts; i++) {
      const wait = 1000 + this.#rand(2_000_000);
      this.#add("halt_wait_ns", wait);
      this.#add("halt_wait_hist", 1, log2BucketIndex(wait, 32));
    }
  }

  close(): void {}
}

/** Opens the simulated VM. */
export async function openSimSource(uri: string, rest: string, q: URLSearchParams): Promise<LocalSource> {
  if (rest !== "" && rest !== "vm") throw new UsageError(`${uri}: unknown simulated source "${rest}"`);
  checkQueryKeys(uri, q, ["vcpus", "pid", "guest", "poll", "hot"], "sim:");
  const raw = q.get("vcpus") ?? "2";
  const vcpus = readInt(raw, 1, 1024);
  if (vcpus === undefined) throw new UsageError(`${uri}: vcpus must be an integer from 1 to 1024`);
  const pid = readInt(q.get("pid") ?? "0", 0, 999_999_999);
  if (pid === undefined) throw new UsageError(`${uri}: pid must be a non-negative integer`);
  const guest = q.get("guest") ?? undefined;
  const poll = q.get("poll") ?? "0";
  if (poll !== "0" && poll !== "1") throw new UsageError(`${uri}: poll must be 0 or 1`);
  const rawHot = q.get("hot");
  const hot = rawHot === null ? -1 : /^\d{1,4}$/.test(rawHot) ? Number(rawHot) : Number.NaN;
  if (!(hot < vcpus)) throw new UsageError(`${uri}: hot must be a vCPU number below ${vcpus}`);
  const vcpuStats =
    poll === "1"
      ? [...VCPU_STATS.slice(0, 4), POLL_STATS[0] as DescriptorInit, ...VCPU_STATS.slice(4), ...POLL_STATS.slice(1)]
      : VCPU_STATS;
  const id = (text: string) => (guest === undefined ? parseId(text) : withLabels(parseId(text), { guest }));
  const files: StatsFile[] = [new SimFile(id(kvmVmId(pid)), VM_STATS, 7 + pid)];
  for (let i = 0; i < vcpus; i++) {
    files.push(new SimFile(id(kvmVcpuId(pid, i)), vcpuStats, 11 + i + pid * 131, i === hot ? 20 : 1));
  }
  const source = new LocalSource(uri, files as SimFile[]);
  source.pollSync();
  return source;
}
