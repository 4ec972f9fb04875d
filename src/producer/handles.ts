/**
 * @module producer/handles
 * Value handles: the hot path. Each handle holds a Uint32Array over its source's data block and
 * the index of its value's low word; a u64 value is the little-endian pair [low, high], so the
 * memory is exactly the kernel's data block. An increment by one is a 64-bit add through a
 * BigUint64Array view of the same memory (V8 lowers `b[k] += 1n` to a machine add); adding a
 * number is a 32-bit add and a store, touching the high word only on a carry. No Map lookup,
 * allocation, string or clock on any path.
 *
 * Numbers are taken as integers (fractions are truncated). Counters are exact u64 arithmetic
 * modulo 2^64 — like C and the kernel's counters — for any integer argument; `*Big` variants
 * take any u64 as a bigint. Gauges (instant values) are u64 as in the kernel, so they never
 * go below zero: a `dec`, `sub`, `add` or `set` that would take one below 0 (or above
 * 2^64−1) leaves it at 0 (or 2^64−1) and emits one process warning per value
 * (code `STATSFS_GAUGE_RANGE`) — never a silent wrap to 18446744073709551615. Each thread's
 * shard of a sharded source is such a gauge: move a gauge up and down in the same thread. A reader in
 * another process may catch a carry half done (the low word wrapped, the high word not yet
 * bumped) for the instant between the two stores, as a plain pread of a KVM stats fd may.
 *
 * Fields are `declare`d (assigned only in the constructor) so that V8 sees them born with their
 * final representation; emitted class fields would start as `undefined` and cost a check per call.
 */

import { StatType } from "../model/flags.js";

const TWO32 = 4294967296;
const TWO64 = 2 ** 64;

/** What a handle points at; the store rebinds `u` and `b` when the data block moves (export, growth). */
export interface Slots {
  /** @internal The data block as u32 words. */
  u: Uint32Array;
  /**
   * @internal The same memory as u64 words. Increments by one use it: V8 compiles
   * `b[k] += 1n` into a plain 64-bit add (no BigInt is allocated once optimized), which is
   * cheaper than the u32 pair with its carry test.
   */
  b: BigUint64Array;
  /** @internal Index in `u` of the value's low word (twice its u64 word index). */
  readonly i: number;
}

/**
 * Adds a finite number of any sign and size (truncated first) to the u64 at `u[j]`, `u[j+1]`,
 * modulo 2^64. Both halves of the addend are reduced to [0, 2^32) before they are added, so no
 * double sum ever exceeds 2^33 and every step is exact, however large `n` is.
 */
function addSlow(u: Uint32Array, j: number, n: number): void {
  if (!Number.isFinite(n)) return;
  const t = Math.trunc(n);
  const nh = Math.floor(t / TWO32); // exact: division by a power of two, then floor
  const lo = t - nh * TWO32; // t mod 2^32, in [0, 2^32): exact
  const hi = nh - Math.floor(nh / TWO32) * TWO32; // nh mod 2^32: exact
  const s = (u[j] as number) + lo;
  u[j] = s; // ToUint32: the low 32 bits
  u[j + 1] = (u[j + 1] as number) + hi + (s >= TWO32 ? 1 : 0);
}

/** Stores a finite number (negative wraps modulo 2^64) at `u[j]`, `u[j+1]`. */
function setSlow(u: Uint32Array, j: number, n: number): void {
  if (!Number.isFinite(n)) return;
  const t = Math.trunc(n);
  u[j] = t;
  u[j + 1] = Math.floor(t / TWO32);
}

/** The u64 at `u[j]`, `u[j+1]`. */
export function getBig(u: Uint32Array, j: number): bigint {
  return (BigInt(u[j + 1] as number) << 32n) | BigInt(u[j] as number);
}

/** Stores a bigint modulo 2^64 at `u[j]`, `u[j+1]`. */
export function setBig(u: Uint32Array, j: number, v: bigint): void {
  const w = BigInt.asUintN(64, v);
  u[j] = Number(w & 0xffffffffn);
  u[j + 1] = Number(w >> 32n);
}

/** What the three scalar handles share: where the value lives, and reading it back. */
abstract class Scalar implements Slots {
  /** @internal */
  declare u: Uint32Array;
  /** @internal */
  declare b: BigUint64Array;
  /** @internal */
  declare readonly i: number;
  /** @internal */
  constructor(u: Uint32Array, b: BigUint64Array, i: number) {
    this.u = u;
    this.b = b;
    this.i = i;
  }
  /** This thread's value (readers see the sum over threads). */
  get(): bigint {
    return getBig(this.u, this.i);
  }
}

/** A cumulative value (a counter): only goes up. */
export class Counter extends Scalar {
  /** Adds 1. */
  inc(): void {
    const k = this.i >>> 1;
    this.b[k] = (this.b[k] as bigint) + 1n;
  }
  /**
   * Adds `n` (an integer ≥ 0, a fraction truncated; negative or non-finite numbers are ignored:
   * counters never go down).
   */
  add(n: number): void {
    const u = this.u;
    const i = this.i;
    // Truncate n before adding: `u + 0.99…` may round up to the next integer as a double.
    const s = (u[i] as number) + Math.trunc(n);
    if (n >= 0 && s < TWO32) u[i] = s;
    else if (n >= 0) addSlow(u, i, n);
  }
  /** Adds a bigint (any u64). */
  addBig(n: bigint): void {
    if (n > 0n) setBig(this.u, this.i, getBig(this.u, this.i) + n);
  }
}

const U64_MAX = 2n ** 64n - 1n;
/** Gauges already warned about (one warning per value). */
const warned = new WeakSet<Gauge>();

/** Stores `v` clamped to [0, 2^64−1]; a clamp is reported once per gauge. */
function gaugeStore(g: Gauge, v: bigint): void {
  if (v >= 0n && v <= U64_MAX) {
    setBig(g.u, g.i, v);
    return;
  }
  setBig(g.u, g.i, v < 0n ? 0n : U64_MAX);
  if (warned.has(g)) return;
  warned.add(g);
  const where = v < 0n ? "below zero; kept at 0" : "above 2^64-1; kept at 2^64-1";
  process.emitWarning(`statsfs: gauge ${JSON.stringify(g.name)} was moved ${where} (instant values are u64, as in the kernel)`, {
    code: "STATSFS_GAUGE_RANGE",
  });
}

/**
 * An instant value (a gauge): set, or moved up and down, within [0, 2^64−1] — a move past
 * either end stops there and warns once (see the module comment).
 */
export class Gauge extends Scalar {
  /** @internal The value's name, for the range warning. */
  declare readonly name: string;
  /** @internal */
  constructor(u: Uint32Array, b: BigUint64Array, i: number, name: string) {
    super(u, b, i);
    this.name = name;
  }
  /** Sets the value (an integer; for boolean values 0 or 1). Negative values store 0 (and warn). */
  set(n: number): void {
    const u = this.u;
    const i = this.i;
    if (n >= 0 && n < TWO32) {
      u[i] = n;
      u[i + 1] = 0;
    } else if (Number.isFinite(n)) gaugeStore(this, BigInt(Math.trunc(n)));
  }
  /** Sets any u64; outside [0, 2^64−1] it stores the nearest end (and warns). */
  setBig(n: bigint): void {
    gaugeStore(this, n);
  }
  /** Adds 1. */
  inc(): void {
    const u = this.u;
    const i = this.i;
    const lo = u[i] as number;
    if (lo !== 0xffffffff) u[i] = lo + 1;
    else if ((u[i + 1] as number) !== 0xffffffff) {
      u[i] = 0;
      u[i + 1] = (u[i + 1] as number) + 1;
    } else gaugeStore(this, U64_MAX + 1n);
  }
  /** Subtracts 1; at 0 it stays 0 (and warns once). */
  dec(): void {
    const u = this.u;
    const i = this.i;
    const lo = u[i] as number;
    if (lo !== 0) u[i] = lo - 1;
    else if ((u[i + 1] as number) !== 0) {
      u[i] = 0xffffffff;
      u[i + 1] = (u[i + 1] as number) - 1;
    } else gaugeStore(this, -1n);
  }
  /** Adds `n`, which may be negative (a fraction is truncated toward zero first: `add(-2.5)` subtracts 2). */
  add(n: number): void {
    const u = this.u;
    const i = this.i;
    // Truncate n, not the sum: ToUint32 of `10 + -2.5` would store 7, not 8.
    const s = (u[i] as number) + Math.trunc(n);
    if (s >= 0 && s < TWO32) u[i] = s;
    else if (Number.isFinite(n)) gaugeStore(this, getBig(u, i) + BigInt(Math.trunc(n)));
  }
  /** Adds a bigint of any sign; the result is kept within [0, 2^64−1] (and warns past either end). */
  addBig(n: bigint): void {
    gaugeStore(this, getBig(this.u, this.i) + n);
  }
  /** Subtracts `n` (a fraction is truncated toward zero first). */
  sub(n: number): void {
    this.add(-n);
  }
}

/** A peak value: the highest seen. */
export class Peak extends Scalar {
  /** Raises the value to `n` if `n` is higher (compared exactly below 2^53). */
  max(n: number): void {
    const u = this.u;
    const i = this.i;
    if (n > (u[i] as number) + (u[i + 1] as number) * TWO32) {
      // Higher than the current value: the high word is 0 whenever n fits in the low word.
      if (n < TWO32) u[i] = n;
      else setSlow(u, i, n);
    }
  }
  /** Raises the value to a bigint `n` if higher. */
  maxBig(n: bigint): void {
    if (n > getBig(this.u, this.i)) setBig(this.u, this.i, n);
  }
}

/** A histogram: `record` counts a sample in its bucket. */
export interface Histogram extends Slots {
  /** Counts one sample (in the value's unit) in the bucket that covers it. */
  record(sample: number): void;
  /** This thread's bucket counts, bucket 0 first. */
  get(): bigint[];
}

function buckets(h: Slots, n: number): bigint[] {
  const out: bigint[] = [];
  for (let k = 0; k < n; k++) out.push(getBig(h.u, h.i + 2 * k));
  return out;
}

/** A log2 histogram: bucket 0 is [0,1), bucket k ≥ 1 is [2^(k−1), 2^k), the last is open-ended. */
export class Log2Histogram implements Histogram {
  /** @internal */
  declare u: Uint32Array;
  /** @internal */
  declare b: BigUint64Array;
  /** @internal */
  declare readonly i: number;
  /** Bucket count. */
  declare readonly n: number;
  /** @internal Index in `u` of the `<name>_sum` companion's low word, or −1 (no sum kept). */
  declare s: number;
  /** @internal */
  constructor(u: Uint32Array, b: BigUint64Array, i: number, n: number) {
    this.u = u;
    this.b = b;
    this.i = i;
    this.n = n;
    this.s = -1;
  }
  record(sample: number): void {
    let k = 0;
    if (sample >= 1) {
      // Bit length of the integer part: Math.clz32 on the low or high 32 bits.
      k = sample < TWO32 ? 32 - Math.clz32(sample) : sample < TWO64 ? 64 - Math.clz32(sample / TWO32) : 65;
      if (k >= this.n) k = this.n - 1;
    }
    const x = (this.i >>> 1) + k;
    this.b[x] = (this.b[x] as bigint) + 1n;
    if (this.s >= 0) addSlow(this.u, this.s, sample);
  }
  get(): bigint[] {
    return buckets(this, this.n);
  }
}

/** A linear histogram: bucket k is [k·size, (k+1)·size), the last is open-ended. */
export class LinearHistogram implements Histogram {
  /** @internal */
  declare u: Uint32Array;
  /** @internal */
  declare b: BigUint64Array;
  /** @internal */
  declare readonly i: number;
  /** Bucket count. */
  declare readonly n: number;
  /** Bucket width. */
  declare readonly w: number;
  /** @internal Index in `u` of the `<name>_sum` companion's low word, or −1 (no sum kept). */
  declare s: number;
  /** @internal */
  constructor(u: Uint32Array, b: BigUint64Array, i: number, n: number, w: number) {
    this.u = u;
    this.b = b;
    this.i = i;
    this.n = n;
    this.w = w;
    this.s = -1;
  }
  record(sample: number): void {
    const q = sample / this.w;
    const k = q >= 1 ? (q < this.n ? q | 0 : this.n - 1) : 0;
    const x = (this.i >>> 1) + k;
    this.b[x] = (this.b[x] as bigint) + 1n;
    if (this.s >= 0) addSlow(this.u, this.s, sample);
  }
  get(): bigint[] {
    return buckets(this, this.n);
  }
}

/** Any value handle. */
export type ValueHandle = Counter | Gauge | Peak | Log2Histogram | LinearHistogram;

/** A handle of the right kind for a value at u64 word `word` of a data block. */
export function makeHandle(
  view: { u: Uint32Array; b: BigUint64Array },
  slot: { name?: string; type: number; word: number; size: number; bucketSize: number },
): ValueHandle {
  const i = slot.word * 2;
  switch (slot.type) {
    case StatType.Instant:
      return new Gauge(view.u, view.b, i, slot.name ?? "");
    case StatType.Peak:
      return new Peak(view.u, view.b, i);
    case StatType.Log2Histogram:
      return new Log2Histogram(view.u, view.b, i, slot.size);
    case StatType.LinearHistogram:
      return new LinearHistogram(view.u, view.b, i, slot.size, slot.bucketSize);
    default:
      return new Counter(view.u, view.b, i);
  }
}
