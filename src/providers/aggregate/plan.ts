/**
 * @module providers/aggregate/plan
 * Readers' side of the proposal: every source shows as one stats file holding its own values
 * and the aggregates of the values below it. Computed at poll time from the data blocks, never
 * on the write path. Shared by the in-process reader (a live tree) and the `shm:` provider (a
 * directory tree of per-process files), which both describe what they see as {@link NodeInput}s.
 *
 * Rules, per source N:
 * - A *holder* of value `v` is one instance (a process's copy; thread shards are merged first:
 *   summed, or the maximum for peaks and booleans) of N, or of any source below N whose `v` has
 *   aggregations. Holders must agree on the descriptor (type, unit, base, exponent, size,
 *   bucket size); a holder that disagrees with the first one seen is ignored.
 * - If N has exactly one instance and no source below holds `v`, N shows its own `v` as is.
 * - Otherwise N shows one statistic per aggregation kind of `v` (the first definition that has
 *   any; by default sum, or max for peaks and booleans): the first kind under the name `v`, the
 *   others as `v.min`, `v.max`, `v.avg`, `v.count_zero`, `v.sum`. Sums wrap modulo 2^64
 *   (so gauges moved up in one place and down in another sum right); avg is the integer mean;
 *   count_zero counts holders whose value is 0. Histograms sum bucket by bucket.
 * - A child named as a label set (`{k=v,…}`, model/label-set: made by `labels()`; no other
 *   source name starts with `{`) is a part of N's own values: each of its values is summed into
 *   N's (whatever its aggregations, which say what N's parents see), and a value with label sets
 *   shows their sum first (max for peaks and booleans). So N's value is never below one of its
 *   parts nor above their sum, and its own part is that sum minus the label sets'.
 * - Encodings (model/flags) are kept: u64 and s64 sums wrap modulo 2^64 (two's complement, so
 *   signed sums are right), s64 min/max/avg compare and divide as signed; f64 values are
 *   summed, compared and averaged as doubles (shards too), count_zero counts 0.0.
 * - Writing 0 to a statistic resets every holder behind it (all shards), if all are writable;
 *   any other write is refused.
 */
import { DefinitionError, UsageError } from "../../errors.js";
import { makeDescriptor, type StatDescriptor } from "../../model/descriptor.js";
import { StatBase, StatEncoding, StatType, StatUnit } from "../../model/flags.js";
import { parseId, producerMergedId, type StatsIdentity } from "../../model/identity.js";
import { isLabelSetSegment } from "../../model/label-set.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { describe, isRecord, oneLine } from "../../model/text.js";
import { AggKind, aggSuffix, byteLength, compatible, defaultKind, type ValueSlot } from "./values.js";

const TWO32 = 4294967296;

/** One copy of a source's values: a process's, with its thread shards. */
export interface InstanceInput {
  readonly values: readonly ValueSlot[];
  /** The data block of each shard as u32 words (low word first). */
  readonly shards: readonly Uint32Array[];
  /** Zeroes `size` u64 words from `word` in every shard. */
  zero(word: number, size: number): void;
}

/** A source as a reader sees it. */
export interface NodeInput {
  /** Names from the top-level source down. */
  readonly path: readonly string[];
  readonly instances: readonly InstanceInput[];
  readonly children: readonly NodeInput[];
}

interface Holder {
  readonly inst: InstanceInput;
  readonly shards: readonly Uint32Array[];
  /** u32 index of the value's first low word. */
  readonly j: number;
  /** Merge shards by max instead of sum. */
  readonly shardMax: boolean;
  readonly writable: boolean;
  readonly word: number;
  /** The holder's source path (`/a/b`). */
  readonly path: string;
}

/** Kind 0: the node's own value as is. */
const RAW = 0;

interface OutStat {
  readonly d: StatDescriptor;
  readonly kind: number;
  readonly holders: readonly Holder[];
  /** u32 index in the output. */
  readonly o: number;
  /** When every holder has a single shard: their data blocks and u32 indexes (the fast path). */
  readonly us: readonly Uint32Array[] | undefined;
  readonly js: Int32Array | undefined;
}

/** Consecutive raw values of one single-shard instance, copied as one block of u32 words. */
interface CopyRun {
  readonly u: Uint32Array;
  readonly j: number;
  readonly o: number;
  n: number;
}

/** A source's merged view: a stats file whose data {@link AggregatePlan.evaluate} refreshes. */
export class AggregateFile implements StatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  /** @internal */
  readonly u: Uint32Array;
  /** @internal */
  readonly stats: readonly OutStat[];
  /** @internal Raw values copied block-wise. */
  readonly runs: readonly CopyRun[];
  /** @internal Everything else, computed per statistic. */
  readonly computed: readonly OutStat[];
  /** Per statistic name: the paths (`/a/b`) of the sources below whose values are inside it. */
  readonly #below = new Map<string, ReadonlySet<string>>();
  /** Statistic names that hold a value of this source's own (not only of sources below). */
  readonly #own = new Set<string>();
  /** Per f64 scalar statistic: the holders of this source's own value (not its subordinates'). */
  readonly #ownF64 = new Map<string, readonly Holder[]>();

  constructor(path: readonly string[], stats: readonly OutStat[], dataSize: number) {
    const id = producerMergedId(path);
    this.identity = parseId(id);
    let longest = byteLength(id);
    for (const s of stats) longest = Math.max(longest, byteLength(s.d.name));
    const nameSize = Math.max(48, Math.ceil((longest + 1) / 8) * 8);
    this.schema = { descriptors: stats.map((s) => s.d), dataSize, nameSize };
    this.data = new BigUint64Array(dataSize / 8);
    this.u = new Uint32Array(this.data.buffer);
    this.stats = stats;
    const runs: CopyRun[] = [];
    const computed: OutStat[] = [];
    for (const st of stats) {
      const u = st.us?.[0];
      if (st.kind !== RAW || !u || st.holders.length !== 1) {
        computed.push(st);
        continue;
      }
      const j = st.js?.[0] as number;
      const n = 2 * st.d.size;
      const last = runs[runs.length - 1];
      if (last && last.u === u && last.j + last.n === j && last.o + last.n === st.o) last.n += n;
      else runs.push({ u, j, o: st.o, n });
    }
    this.runs = runs;
    this.computed = computed;
    const own = this.identity.path;
    for (const st of stats) {
      const paths = new Set<string>();
      for (const h of st.holders) {
        if (h.path !== own) paths.add(h.path);
        else this.#own.add(st.d.name);
      }
      if (paths.size > 0) this.#below.set(st.d.name, paths);
      if (st.kind === RAW || st.kind === AggKind.sum) {
        if (st.d.encoding === StatEncoding.F64 && st.d.size === 1 && paths.size > 0) {
          this.#ownF64.set(
            st.d.name,
            st.holders.filter((h) => h.path === own),
          );
        }
      }
    }
  }

  /**
   * The own part of f64 statistic `name` (this source's value, without its subordinates'), read
   * from the values themselves: a double sum cannot be taken apart exactly by subtraction.
   * Undefined where the statistic holds nothing below this source (it is all its own).
   */
  ownF64(name: string): number | undefined {
    const hs = this.#ownF64.get(name);
    if (!hs) return undefined;
    let acc = 0;
    for (const h of hs) acc += readF64(h);
    return acc;
  }

  /**
   * Whether statistic `name` holds the values of the source at `path` (a source below this
   * one, `/a/b`): readers that sum across files count that source's value once, here.
   */
  covers(name: string, path: string): boolean {
    return this.#below.get(name)?.has(path) === true;
  }

  /** Whether statistic `name` holds the values of some source below `path` (a source without values of its own: its label sets). */
  coversUnder(name: string, path: string): boolean {
    const paths = this.#below.get(name);
    if (!paths) return false;
    const prefix = `${path}/`;
    for (const p of paths) if (p.startsWith(prefix)) return true;
    return false;
  }

  /** The HELP text a holder of statistic `name` stored (an exported prom-client metric's), if any. */
  helpOf(name: string): string | undefined {
    for (const st of this.stats) {
      if (st.d.name !== name) continue;
      for (const h of st.holders) {
        const help = h.inst.values.find((v) => v.name === name)?.help;
        if (help !== undefined) return help;
      }
    }
    return undefined;
  }

  /** Whether statistic `name` holds a value this source has itself (not only its subordinates'). */
  holdsOwn(name: string): boolean {
    return this.#own.has(name);
  }

  /** @internal Recomputes the data. */
  evaluate(): void {
    const out = this.u;
    for (const r of this.runs) {
      const u = r.u;
      for (let k = 0; k < r.n; k++) out[r.o + k] = u[r.j + k] as number;
    }
    for (const st of this.computed) evaluateStat(st, out);
  }
}

/** The descriptor an aggregate of `v` by `kind` gets. */
function aggDescriptor(v: ValueSlot, kind: number, name: string, offset: number): StatDescriptor {
  const base = {
    name,
    offset,
    size: v.size,
    bucketSize: v.bucketSize,
    encoding: v.encoding,
    ...(v.bounds !== undefined ? { bounds: v.bounds } : {}),
  };
  if (kind === RAW || kind === AggKind.min || kind === AggKind.max) {
    return makeDescriptor({ ...base, type: v.type, unit: v.unit, base: v.base, exponent: v.exponent });
  }
  if (kind === AggKind["count-zero"]) return makeDescriptor({ name, offset, type: StatType.Instant });
  // sum, avg: a sum of peaks is no peak, a sum of booleans is a count.
  const bool = v.unit === StatUnit.Boolean;
  const type = v.type === StatType.Peak || bool || kind === AggKind.avg ? (v.size > 1 ? v.type : StatType.Instant) : v.type;
  return makeDescriptor({
    ...base,
    type,
    unit: bool ? StatUnit.None : v.unit,
    base: bool ? StatBase.Pow10 : v.base,
    exponent: bool ? 0 : v.exponent,
  });
}

interface Entry {
  meta: ValueSlot;
  kinds: readonly AggKind[] | undefined;
  own: Holder[];
  below: Holder[];
}

function holderOf(inst: InstanceInput, v: ValueSlot, path: string): Holder {
  return {
    path,
    inst,
    shards: inst.shards,
    j: v.word * 2,
    shardMax: v.type === StatType.Peak || v.unit === StatUnit.Boolean,
    writable: v.writable,
    word: v.word,
  };
}

function descendants(n: NodeInput, out: NodeInput[] = []): NodeInput[] {
  for (const c of n.children) {
    out.push(c);
    descendants(c, out);
  }
  return out;
}

/** Builds the merged view of one node. */
function buildFile(node: NodeInput): AggregateFile {
  const entries = new Map<string, Entry>();
  const see = (inst: InstanceInput, v: ValueSlot, own: boolean, path: string) => {
    let e = entries.get(v.name);
    if (!e) {
      e = { meta: v, kinds: undefined, own: [], below: [] };
      entries.set(v.name, e);
    }
    if (!compatible(e.meta, v)) return;
    if (e.kinds === undefined && v.kinds.length > 0) e.kinds = v.kinds;
    (own ? e.own : e.below).push(holderOf(inst, v, path));
  };
  const at = (n: NodeInput) => `/${n.path.join("/")}`;
  for (const inst of node.instances) for (const v of inst.values) see(inst, v, true, at(node));
  // A label set of this node (`labels()`) is a part of the node's own value: always summed in
  // here, whatever the value's aggregations (which say what the node's parents see).
  const parts = new Set<string>();
  for (const c of node.children) {
    if (!isLabelSetSegment(c.path[c.path.length - 1])) continue;
    for (const inst of c.instances) {
      for (const v of inst.values) {
        see(inst, v, false, at(c));
        parts.add(v.name);
      }
    }
  }
  for (const c of node.children) {
    for (const d of isLabelSetSegment(c.path[c.path.length - 1]) ? descendants(c) : [c, ...descendants(c)]) {
      for (const inst of d.instances) for (const v of inst.values) if (v.kinds.length > 0) see(inst, v, false, at(d));
    }
  }
  const stats: OutStat[] = [];
  const names = new Set<string>();
  let offset = 0;
  const emit = (meta: ValueSlot, kind: number, name: string, holders: Holder[]) => {
    if (names.has(name)) return;
    names.add(name);
    const size = kind === AggKind["count-zero"] ? 1 : meta.size;
    const flat = holders.every((h) => h.shards.length === 1);
    stats.push({
      d: aggDescriptor(meta, kind, name, offset),
      kind,
      holders,
      o: offset / 4,
      us: flat ? holders.map((h) => h.shards[0] as Uint32Array) : undefined,
      js: flat ? Int32Array.from(holders, (h) => h.j) : undefined,
    });
    offset += size * 8;
  };
  for (const [name, e] of entries) {
    if (e.below.length === 0 && node.instances.length === 1) {
      emit(e.meta, RAW, name, e.own);
      continue;
    }
    let kinds = e.kinds ?? [defaultKind(e.meta)];
    // A value with label sets shows first the sum of its parts (its own and its label sets'),
    // unless its parts are maxima (peaks, booleans): never a min or mean posing as the total.
    if (parts.has(name) && defaultKind(e.meta) === AggKind.sum && kinds[0] !== AggKind.sum) {
      kinds = [AggKind.sum, ...kinds.filter((k) => k !== AggKind.sum)];
    }
    const holders = [...e.own, ...e.below];
    kinds.forEach((k, i) => {
      emit(e.meta, k, i === 0 ? name : name + aggSuffix(k), holders);
    });
  }
  return new AggregateFile(node.path, stats, offset);
}

// The value of one holder's word, shards merged, as (HI, LO): module scratch, no allocation.
let HI = 0;
let LO = 0;

function readHolder(h: Holder, t: number): void {
  const j = h.j + 2 * t;
  const s = h.shards;
  if (s.length === 1) {
    const u = s[0] as Uint32Array;
    LO = u[j] as number;
    HI = u[j + 1] as number;
    return;
  }
  if (h.shardMax) {
    let hi = 0;
    let lo = 0;
    for (let k = 0; k < s.length; k++) {
      const u = s[k] as Uint32Array;
      const h2 = u[j + 1] as number;
      const l2 = u[j] as number;
      if (h2 > hi || (h2 === hi && l2 > lo)) {
        hi = h2;
        lo = l2;
      }
    }
    HI = hi;
    LO = lo;
    return;
  }
  let lo = 0;
  let hi = 0;
  for (let k = 0; k < s.length; k++) {
    const u = s[k] as Uint32Array;
    lo += u[j] as number;
    hi += u[j + 1] as number;
  }
  const carry = Math.floor(lo / TWO32);
  LO = lo - carry * TWO32;
  HI = (hi + carry) % TWO32;
}

/** The data block of a holder's shard as doubles (same memory), made once per plan. */
const f64Views = new WeakMap<Uint32Array, Float64Array>();
function f64Of(u: Uint32Array): Float64Array {
  let f = f64Views.get(u);
  if (!f) {
    f = new Float64Array(u.buffer, u.byteOffset, u.length >>> 1);
    f64Views.set(u, f);
  }
  return f;
}

/** A holder's f64 value, shards merged (summed, or the maximum for peaks). */
function readF64(h: Holder): number {
  const w = h.j >>> 1;
  let acc = h.shardMax ? Number.NEGATIVE_INFINITY : 0;
  for (const u of h.shards) {
    const x = f64Of(u)[w] as number;
    acc = h.shardMax ? Math.max(acc, x) : acc + x;
  }
  return h.shards.length === 0 ? 0 : acc;
}

const SCRATCH = new Float64Array(1);
const SCRATCH_U = new Uint32Array(SCRATCH.buffer);

/** An f64 scalar statistic: sums, extremes, means and zero counts of doubles. */
function evaluateF64(s: OutStat, out: Uint32Array): void {
  const hs = s.holders;
  if (s.kind === AggKind["count-zero"]) {
    let n = 0;
    for (const h of hs) if (readF64(h) === 0) n++;
    out[s.o] = n;
    out[s.o + 1] = 0;
    return;
  }
  let acc = s.kind === AggKind.min ? Number.POSITIVE_INFINITY : s.kind === AggKind.max ? Number.NEGATIVE_INFINITY : 0;
  for (const h of hs) {
    const x = readF64(h);
    acc = s.kind === AggKind.min ? Math.min(acc, x) : s.kind === AggKind.max ? Math.max(acc, x) : acc + x;
  }
  if (s.kind === AggKind.avg) acc = hs.length === 0 ? 0 : acc / hs.length;
  if (!Number.isFinite(acc) && hs.length === 0) acc = 0;
  SCRATCH[0] = acc;
  out[s.o] = SCRATCH_U[0] as number;
  out[s.o + 1] = SCRATCH_U[1] as number;
}

/** The s64 extremes and mean: compared and divided as signed numbers. */
function evaluateS64(s: OutStat, out: Uint32Array): void {
  const hs = s.holders;
  const signed = (h: Holder) => {
    readHolder(h, 0);
    return BigInt.asIntN(64, (BigInt(HI) << 32n) | BigInt(LO));
  };
  let v: bigint;
  if (s.kind === AggKind.avg) {
    let sum = 0n;
    for (const h of hs) sum += signed(h);
    v = hs.length === 0 ? 0n : sum / BigInt(hs.length);
  } else {
    const max = s.kind === AggKind.max;
    let best: bigint | undefined;
    for (const h of hs) {
      const x = signed(h);
      if (best === undefined || (max ? x > best : x < best)) best = x;
    }
    v = best ?? 0n;
  }
  const w = BigInt.asUintN(64, v);
  out[s.o] = Number(w & 0xffffffffn);
  out[s.o + 1] = Number(w >> 32n);
}

function evaluateStat(s: OutStat, out: Uint32Array): void {
  if (s.d.encoding === StatEncoding.F64 && s.d.size === 1) {
    evaluateF64(s, out);
    return;
  }
  if (s.d.encoding === StatEncoding.S64 && (s.kind === AggKind.min || s.kind === AggKind.max || s.kind === AggKind.avg)) {
    evaluateS64(s, out);
    return;
  }
  const hs = s.holders;
  const size = s.kind === AggKind["count-zero"] ? 1 : s.d.size;
  for (let t = 0; t < size; t++) {
    const o = s.o + 2 * t;
    switch (s.kind) {
      case RAW:
      case AggKind.sum:
      case AggKind.avg: {
        let lo = 0;
        let hi = 0;
        const us = s.us;
        const js = s.js;
        if (us && js) {
          for (let x = 0; x < us.length; x++) {
            const u = us[x] as Uint32Array;
            const j = (js[x] as number) + 2 * t;
            lo += u[j] as number;
            hi += u[j + 1] as number;
          }
        } else {
          for (let x = 0; x < hs.length; x++) {
            readHolder(hs[x] as Holder, t);
            lo += LO;
            hi += HI;
          }
        }
        if (s.kind === AggKind.avg) {
          const n = hs.length;
          const mean = n === 0 ? 0n : (BigInt(hi) * 4294967296n + BigInt(lo)) / BigInt(n);
          out[o] = Number(mean & 0xffffffffn);
          out[o + 1] = Number((mean >> 32n) & 0xffffffffn);
          break;
        }
        const carry = Math.floor(lo / TWO32);
        out[o] = lo - carry * TWO32;
        out[o + 1] = (hi + carry) % TWO32;
        break;
      }
      case AggKind.min:
      case AggKind.max: {
        const max = s.kind === AggKind.max;
        let bh = max ? 0 : TWO32;
        let bl = 0;
        for (let x = 0; x < hs.length; x++) {
          readHolder(hs[x] as Holder, t);
          const better = max ? HI > bh || (HI === bh && LO > bl) : HI < bh || (HI === bh && LO < bl);
          if (better) {
            bh = HI;
            bl = LO;
          }
        }
        out[o] = bh === TWO32 ? 0 : bl;
        out[o + 1] = bh === TWO32 ? 0 : bh;
        break;
      }
      case AggKind["count-zero"]: {
        let n = 0;
        for (let x = 0; x < hs.length; x++) {
          const h = hs[x] as Holder;
          let zero = true;
          for (let b = 0; b < s.d.size && zero; b++) {
            readHolder(h, b);
            zero = LO === 0 && HI === 0;
          }
          if (zero) n++;
        }
        out[o] = n;
        out[o + 1] = 0;
        break;
      }
    }
  }
}

/** Merged views of a tree of nodes, refreshed by {@link evaluate}. */
export class AggregatePlan {
  /** One file per node that has anything to show, in tree order (parents first). */
  readonly files: readonly AggregateFile[];

  constructor(roots: readonly NodeInput[]) {
    if (!Array.isArray(roots)) throw new DefinitionError(`AggregatePlan needs an array of nodes, not ${describe(roots)}`);
    const files: AggregateFile[] = [];
    const walk = (n: NodeInput) => {
      const f = buildFile(n);
      if (f.stats.length > 0) files.push(f);
      for (const c of n.children) walk(c);
    };
    for (const r of roots) walk(r);
    this.files = files;
  }

  /** Recomputes every file's data from the current data blocks. */
  evaluate(): void {
    for (const f of this.files) f.evaluate();
  }

  /** Whether statistic `name` of `file` exists and every value behind it is writable. */
  writable(file: StatsFile, name: string): boolean {
    const f = this.files.find((x) => x === file || x.identity.id === file.identity.id);
    const s = f?.stats.find((x) => x.d.name === name);
    return s?.holders.every((h) => h.writable) === true;
  }

  /**
   * Writes `value` to statistic `name` of `file`: 0 resets every value behind it (all must be
   * writable); anything else is refused.
   */
  write(file: StatsFile, name: string, value: bigint | number): void {
    const id = isRecord(file) && isRecord(file.identity) ? file.identity.id : undefined;
    if (typeof id !== "string") throw new DefinitionError(`write needs a stats file (one of files), not ${describe(file)}`);
    if (typeof name !== "string") throw new DefinitionError(`write needs a statistic name, not ${describe(name)}`);
    const f = this.files.find((x) => x === file || x.identity.id === id);
    const s = f?.stats.find((x) => x.d.name === name);
    if (!f || !s) throw new UsageError(`no statistic ${describe(name)} in ${oneLine(id)}`);
    if (value !== 0 && value !== 0n) throw new UsageError(`${f.identity.id} ${name}: only 0 can be written (a reset)`);
    const locked = s.holders.find((h) => !h.writable);
    if (locked) {
      const behind = s.kind === RAW ? "" : " (an aggregate; every value behind it must be writable)";
      throw new DefinitionError(`${f.identity.id} ${name}: value is not writable${behind}`);
    }
    const size = s.d.size;
    for (const h of s.holders) h.inst.zero(h.word, size);
  }
}
