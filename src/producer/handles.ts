/**
 * @module producer/handles
 * Value handles: the hot path. Each handle holds a Uint32Array over its source's data block and
 * the index of its value's low word; a u64 value is the little-endian pair [low, high], so the
 * memory is exactly the kernel's data block. An increment by one is a 64-bit add through a
 * BigUint64Array view of the same memory (V8 lowers `b[k] += 1n` to a machine add); adding a
 * number is a 32-bit add and a store, touching the high word only on a carry. No Map lookup,
 * allocation, string or clock on any path.
 *
 * Numbers must be integers, as the values are (u64, the kernel's encoding): a fraction, a
 * non-finite number or anything that is not a number is refused with a {@link ValueError}
 * naming the value, the call and the number (never truncated, ignored or wrapped), and so is a
 * negative number for a counter (`inc(n)`/`add(n)` only go up) or a histogram sample. The check
 * costs one comparison on the fast path (`(n >>> 0) === n`: an integer in [0, 2^32)); anything
 * else takes the slow path, which checks and then stores exactly. Counters are exact u64
 * arithmetic modulo 2^64 — like C and the kernel's counters — for any integer argument; `*Big`
 * variants take any u64 as a bigint. Gauges (instant values) are u64 as in the kernel, so they never
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

import { ValueError } from "../errors.js";
import { StatEncoding, StatType } from "../model/flags.js";

const TWO32 = 4294967296;
const TWO64 = 2 ** 64;

// The extension-encoding handles live in float-handles.ts; both use producer/words.
import { BoundsHistogram, F64Counter, F64Gauge, F64Peak, S64Gauge } from "./float-handles.js";
import { getBig, refuse, Scalar, type Slots, setBig } from "./words.js";

export { getBig, type Slots, setBig, setHandleNamer } from "./words.js";
export { BoundsHistogram, F64Counter, F64Gauge, F64Peak, S64Gauge };

/** True for an integer ≥ 0 (any size), as a counter adds and a histogram counts. */
function isCount(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

const COUNT_RULE = "takes an integer >= 0 (values are u64 integers in the value's raw unit)";
const INT_RULE = "takes an integer (values are u64 integers in the value's raw unit)";

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

/** The checked slow path of a counter's add: validates `n`, then adds it modulo 2^64. */
function counterAddSlow(c: Counter, call: string, n: unknown): void {
  if (!isCount(n)) refuse(c, call, n, `${COUNT_RULE}; a counter never goes down`);
  addSlow(c.u, c.i, n);
}

/** A cumulative value (a counter): only goes up. */
export class Counter extends Scalar {
  /**
   * Adds `n` (default 1): an integer ≥ 0. A fraction, a negative or non-finite number, or
   * anything else (`inc({ method: "GET" })`: use `labels({…}).inc()`) is refused with a
   * {@link ValueError}; nothing is added.
   */
  inc(n?: number): void {
    if (n === undefined) {
      const k = this.i >>> 1;
      this.b[k] = (this.b[k] as bigint) + 1n;
      return;
    }
    const u = this.u;
    const i = this.i;
    if (n >>> 0 === n) {
      const s = (u[i] as number) + n;
      if (s < TWO32) {
        u[i] = s;
        return;
      }
    }
    counterAddSlow(this, "inc", n);
  }
  /** Adds `n`: an integer ≥ 0 (anything else is refused with a {@link ValueError}, as by `inc(n)`). */
  add(n: number): void {
    const u = this.u;
    const i = this.i;
    if (n >>> 0 === n) {
      const s = (u[i] as number) + n;
      if (s < TWO32) {
        u[i] = s;
        return;
      }
    }
    counterAddSlow(this, "add", n);
  }
  /** Adds a bigint ≥ 0 (any u64; modulo 2^64). A negative or non-bigint is refused. */
  addBig(n: bigint): void {
    if (typeof n !== "bigint" || n < 0n) refuse(this, "addBig", n, "takes a bigint >= 0; a counter never goes down");
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
  /**
   * Sets the value: an integer (for boolean values 0 or 1). A negative integer stores 0 (and
   * warns); a fraction or anything else is refused with a {@link ValueError}.
   */
  set(n: number): void {
    const u = this.u;
    const i = this.i;
    if (n >>> 0 === n) {
      u[i] = n;
      u[i + 1] = 0;
    } else {
      if (typeof n !== "number" || !Number.isInteger(n)) refuse(this, "set", n, INT_RULE);
      gaugeStore(this, BigInt(n));
    }
  }
  /** Sets any u64; outside [0, 2^64−1] it stores the nearest end (and warns). */
  setBig(n: bigint): void {
    if (typeof n !== "bigint") refuse(this, "setBig", n, "takes a bigint");
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
  /**
   * Adds `n`, an integer of either sign; the result is kept within [0, 2^64−1] (and warns past
   * either end). A fraction or anything else is refused with a {@link ValueError}.
   */
  add(n: number): void {
    const u = this.u;
    const i = this.i;
    if ((n | 0) === n) {
      const s = (u[i] as number) + n;
      if (s >= 0 && s < TWO32) {
        u[i] = s;
        return;
      }
    }
    if (typeof n !== "number" || !Number.isInteger(n)) refuse(this, "add", n, INT_RULE);
    gaugeStore(this, getBig(u, i) + BigInt(n));
  }
  /** Adds a bigint of any sign; the result is kept within [0, 2^64−1] (and warns past either end). */
  addBig(n: bigint): void {
    if (typeof n !== "bigint") refuse(this, "addBig", n, "takes a bigint");
    gaugeStore(this, getBig(this.u, this.i) + n);
  }
  /** Subtracts `n`, an integer (as {@link add} with −n). */
  sub(n: number): void {
    if (typeof n !== "number" || !Number.isInteger(n)) refuse(this, "sub", n, INT_RULE);
    this.add(-n);
  }
}

/** A peak value: the highest seen. */
export class Peak extends Scalar {
  /**
   * Raises the value to `n` if `n` is higher (compared exactly below 2^53): an integer ≥ 0
   * (anything else is refused with a {@link ValueError}).
   */
  max(n: number): void {
    const u = this.u;
    const i = this.i;
    if (n >>> 0 === n) {
      // The high word is 0 whenever the current value is below n < 2^32.
      if ((u[i + 1] as number) === 0 && n > (u[i] as number)) u[i] = n;
      return;
    }
    if (!isCount(n)) refuse(this, "max", n, COUNT_RULE);
    if (n > (u[i] as number) + (u[i + 1] as number) * TWO32) setSlow(u, i, n);
  }
  /** Raises the value to a bigint `n` if higher. */
  maxBig(n: bigint): void {
    if (typeof n !== "bigint") refuse(this, "maxBig", n, "takes a bigint");
    if (n > getBig(this.u, this.i)) setBig(this.u, this.i, n);
  }
}

/** A histogram: `record` counts a sample in its bucket. */
export interface Histogram extends Slots {
  /**
   * Counts one sample in the bucket that covers it: an integer ≥ 0 in the value's raw unit
   * (nanoseconds for `unit: "seconds", exponent: -9`). A fraction, a negative number or anything
   * else is refused with a {@link ValueError} (seconds as prom-client's `observe()` takes them
   * must be scaled first: `record(Math.round(s * 1e9))`).
   */
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
    let k: number;
    // Bit length: Math.clz32 on the low or high 32 bits (0 → bucket 0).
    if (sample >>> 0 === sample) k = 32 - Math.clz32(sample);
    else {
      if (!isCount(sample)) refuse(this, "record", sample, COUNT_RULE);
      k = sample < TWO64 ? 64 - Math.clz32(sample / TWO32) : 65;
    }
    if (k >= this.n) k = this.n - 1;
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
    if (sample >>> 0 !== sample && !isCount(sample)) refuse(this, "record", sample, COUNT_RULE);
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
export type ValueHandle =
  | Counter
  | Gauge
  | Peak
  | Log2Histogram
  | LinearHistogram
  | F64Counter
  | F64Gauge
  | F64Peak
  | S64Gauge
  | BoundsHistogram;

/** A handle of the right kind for a value at u64 word `word` of a data block. */
export function makeHandle(
  view: { u: Uint32Array; b: BigUint64Array; f: Float64Array },
  slot: {
    name?: string;
    type: number;
    word: number;
    size: number;
    bucketSize: number;
    encoding?: number;
    bounds?: readonly number[] | undefined;
  },
): ValueHandle {
  const i = slot.word * 2;
  if (slot.type === StatType.BoundsHistogram) return new BoundsHistogram(view.u, view.b, view.f, i, slot.bounds ?? []);
  if (slot.encoding === StatEncoding.F64) {
    if (slot.type === StatType.Instant) return new F64Gauge(view.u, view.b, view.f, i);
    if (slot.type === StatType.Peak) return new F64Peak(view.u, view.b, view.f, i);
    return new F64Counter(view.u, view.b, view.f, i);
  }
  if (slot.encoding === StatEncoding.S64) return new S64Gauge(view.u, view.b, i);
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
