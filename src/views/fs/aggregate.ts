/**
 * @module views/fs/aggregate
 * A directory's aggregates over the stats files below it, as the statsfs proposal and KVM's
 * debugfs show them in parents: for each statistic the files below hold (the first
 * definition speaks; files that define it differently are left out, by the aggregation
 * engine's rules of providers/aggregate/values), the sum of every holder's value (modulo 2^64; doubles of f64 values added as doubles) — the maximum for peaks
 * and booleans (s64 compared signed); histograms bucket by bucket. The aggregate is itself a stats file (its `.stats`), computed when read.
 */
import { type DescriptorInit, layOut, type StatDescriptor, shapeOf } from "../../model/descriptor.js";
import { isHistogram, StatEncoding } from "../../model/flags.js";
import { makeIdentity, type StatsIdentity } from "../../model/identity.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { bitsOfF64, decodeWord } from "../../model/value.js";
import { AggKind, compatible, defaultKind } from "../../providers/aggregate/values.js";
import type { FileRef } from "./sources.js";

/** One holder of an aggregated statistic: a file and the word its values start at. */
export interface Holder {
  readonly ref: FileRef;
  /** The statistic's descriptor index in the holder's file. */
  readonly index: number;
  readonly word: number;
}

const MASK = (1n << 64n) - 1n;

/** The aggregation engine's rule, and the same raw flags (bits statsfs does not know keep files apart). */
function same(a: StatDescriptor, b: StatDescriptor): boolean {
  return a.flags === b.flags && compatible(a, b);
}

/** True when statistic `d` aggregates by maximum (the engine's default kind: peaks and booleans). */
export function byMax(d: StatDescriptor): boolean {
  return defaultKind(d) === AggKind.max;
}

/** The aggregates of a directory. */
export class DirAggregate implements StatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  /** Holders per descriptor, in descriptor order. */
  readonly holders: readonly (readonly Holder[])[];
  /** Every file behind the aggregate. */
  readonly refs: readonly FileRef[];

  constructor(identity: StatsIdentity, descriptors: readonly StatDescriptor[], dataSize: number, holders: Holder[][], refs: FileRef[]) {
    this.identity = identity;
    let longest = Buffer.byteLength(identity.id);
    for (const d of descriptors) longest = Math.max(longest, Buffer.byteLength(d.name));
    this.schema = { descriptors, dataSize, nameSize: Math.max(48, (longest + 8) & ~7) };
    this.data = new BigUint64Array(dataSize / 8);
    this.holders = holders;
    this.refs = refs;
  }

  /**
   * Aggregates over `refs` (in order); statistics named in `exclude` are skipped. Undefined
   * when nothing is left.
   */
  static over(id: string, refs: readonly FileRef[], exclude: ReadonlySet<string>): DirAggregate | undefined {
    const order: string[] = [];
    const first = new Map<string, StatDescriptor>();
    const holders = new Map<string, Holder[]>();
    for (const ref of refs) {
      for (const [index, d] of ref.file.schema.descriptors.entries()) {
        if (exclude.has(d.name)) continue;
        const f = first.get(d.name);
        if (!f) {
          first.set(d.name, d);
          order.push(d.name);
          holders.set(d.name, [{ ref, index, word: d.offset >>> 3 }]);
        } else if (same(f, d)) holders.get(d.name)?.push({ ref, index, word: d.offset >>> 3 });
      }
    }
    if (order.length === 0) return undefined;
    const inits: DescriptorInit[] = order.map((n) => ({ name: n, ...shapeOf(first.get(n) as StatDescriptor) }));
    const { descriptors, dataSize } = layOut(inits);
    const targets = new Set(refs.map((r) => r.file.identity.target));
    const provider = refs[0]?.file.identity.provider ?? "statsfs";
    const target = targets.size === 1 ? ([...targets][0] as string) : "all";
    const identity = makeIdentity(id, provider, target, { member: String(refs.length) });
    return new DirAggregate(
      identity,
      descriptors,
      dataSize,
      order.map((n) => holders.get(n) as Holder[]),
      [...refs],
    );
  }

  /** The files behind statistic `index`. */
  refsOf(index: number): FileRef[] {
    return (this.holders[index] ?? []).map((h) => h.ref);
  }

  /** Recomputes statistic `index` into {@link data}. */
  evaluate(index: number): void {
    const d = this.schema.descriptors[index];
    const hs = this.holders[index];
    if (!d || !hs) return;
    const base = d.offset >>> 3;
    const max = byMax(d);
    if (d.encoding !== StatEncoding.U64 && !isHistogram(d.type)) {
      // s64 sums wrap as u64 do; s64 maxima compare signed; f64 values add and compare as doubles.
      for (let i = 0; i < d.size; i++) {
        let acc: bigint | number | undefined;
        for (const h of hs) {
          const v = decodeWord(d, h.ref.file.data[h.word + i] ?? 0n);
          if (acc === undefined) acc = v;
          else if (max) acc = v > acc ? v : acc;
          else acc = typeof v === "number" ? (acc as number) + v : (acc as bigint) + v;
        }
        const w = typeof acc === "number" ? bitsOfF64(acc) : BigInt.asUintN(64, acc ?? 0n);
        this.data[base + i] = w;
      }
      return;
    }
    for (let i = 0; i < d.size; i++) {
      let acc = 0n;
      for (const h of hs) {
        const v = h.ref.file.data[h.word + i] ?? 0n;
        if (max) {
          if (v > acc) acc = v;
        } else acc += v;
      }
      this.data[base + i] = acc & MASK;
    }
  }

  /** Recomputes every statistic. */
  evaluateAll(): void {
    for (let i = 0; i < this.schema.descriptors.length; i++) this.evaluate(i);
  }
}
