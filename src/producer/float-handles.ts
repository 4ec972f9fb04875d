/**
 * @module producer/float-handles
 * Handles of values in the statsfs extension encodings (model/flags): f64 counters, gauges and
 * peaks (any finite double: prom-client's counters and gauges take fractions and negatives),
 * s64 gauges (integers of either sign), and bounds histograms (explicit upper bounds, a double
 * sample, prom-client's `le` rule: bucket i holds (b[i−1], b[i]]). Each is a typed-array store
 * on the data block, as the u64 handles are; what cannot be stored exactly (NaN, ±Infinity, a
 * decrease of a counter, a fraction or an integer beyond ±2^63 in an s64) is refused with a
 * ValueError naming the value and the number.
 */
import { getBig, refuse, Scalar, type Slots, setBig } from "./words.js";

const FINITE = "takes a finite number";
const S64_MIN = -(2n ** 63n);
const S64_MAX = 2n ** 63n - 1n;

/** What the f64 scalar handles share. */
abstract class F64Scalar implements Slots {
  /** @internal */
  declare u: Uint32Array;
  /** @internal */
  declare b: BigUint64Array;
  /** @internal */
  declare f: Float64Array;
  /** @internal */
  declare readonly i: number;
  /** @internal */
  declare readonly k: number;
  /** @internal */
  constructor(u: Uint32Array, b: BigUint64Array, f: Float64Array, i: number) {
    this.u = u;
    this.b = b;
    this.f = f;
    this.i = i;
    this.k = i >>> 1;
  }
  /** This thread's value. */
  get(): number {
    return this.f[this.k] as number;
  }
}

/** A cumulative f64 value: goes up by any finite amount ≥ 0. */
export class F64Counter extends F64Scalar {
  /** Adds `n` (default 1): a finite number ≥ 0; anything else is refused. */
  inc(n?: number): void {
    if (n === undefined) this.f[this.k] = (this.f[this.k] as number) + 1;
    else this.add(n);
  }
  /** Adds `n`: a finite number ≥ 0; anything else is refused (a counter never goes down). */
  add(n: number): void {
    if (!(n >= 0 && n < Number.POSITIVE_INFINITY)) refuse(this, "add", n, `${FINITE} >= 0; a counter never goes down`);
    this.f[this.k] = (this.f[this.k] as number) + n;
  }
}

/** An instant f64 value (a gauge): set, or moved up and down, by any finite number. */
export class F64Gauge extends F64Scalar {
  /** Sets the value: a finite number. */
  set(n: number): void {
    if (!Number.isFinite(n)) refuse(this, "set", n, FINITE);
    this.f[this.k] = n;
  }
  /** Adds `n` (default 1). */
  inc(n?: number): void {
    this.add(n === undefined ? 1 : n);
  }
  /** Subtracts `n` (default 1). */
  dec(n?: number): void {
    if (n !== undefined && !Number.isFinite(n)) refuse(this, "dec", n, FINITE);
    this.add(n === undefined ? -1 : -n);
  }
  /** Adds `n`, of either sign. */
  add(n: number): void {
    if (!Number.isFinite(n)) refuse(this, "add", n, FINITE);
    this.f[this.k] = (this.f[this.k] as number) + n;
  }
  /** Subtracts `n`. */
  sub(n: number): void {
    if (!Number.isFinite(n)) refuse(this, "sub", n, FINITE);
    this.f[this.k] = (this.f[this.k] as number) - n;
  }
}

/** A peak f64 value: the highest seen. */
export class F64Peak extends F64Scalar {
  /** Raises the value to `n` if higher: a finite number. */
  max(n: number): void {
    if (!Number.isFinite(n)) refuse(this, "max", n, FINITE);
    if (n > (this.f[this.k] as number)) this.f[this.k] = n;
  }
}

/** An instant s64 value: integers of either sign, exact in [−2^63, 2^63−1]. */
export class S64Gauge extends Scalar {
  /** This thread's value, signed. */
  override get(): bigint {
    return BigInt.asIntN(64, getBig(this.u, this.i));
  }
  #store(call: string, n: unknown, v: bigint): void {
    if (v < S64_MIN || v > S64_MAX) refuse(this, call, n, "would leave the s64 range [-2^63, 2^63-1]");
    setBig(this.u, this.i, v);
  }
  /** Sets the value: an integer. */
  set(n: number): void {
    if (!Number.isInteger(n)) refuse(this, "set", n, "takes an integer");
    this.#store("set", n, BigInt(n));
  }
  /** Sets the value to a bigint within s64. */
  setBig(n: bigint): void {
    if (typeof n !== "bigint") refuse(this, "setBig", n, "takes a bigint");
    this.#store("setBig", n, n);
  }
  /** Adds `n` (default 1): an integer of either sign. */
  inc(n?: number): void {
    this.add(n === undefined ? 1 : n);
  }
  /** Subtracts `n` (default 1). */
  dec(n?: number): void {
    if (n !== undefined && !Number.isInteger(n)) refuse(this, "dec", n, "takes an integer");
    this.add(n === undefined ? -1 : -n);
  }
  /** Adds `n`: an integer of either sign. */
  add(n: number): void {
    if (!Number.isInteger(n)) refuse(this, "add", n, "takes an integer");
    this.#store("add", n, this.get() + BigInt(n));
  }
  /** Subtracts `n`. */
  sub(n: number): void {
    if (!Number.isInteger(n)) refuse(this, "sub", n, "takes an integer");
    this.#store("sub", n, this.get() - BigInt(n));
  }
}

/**
 * A histogram with explicit upper bounds (prom-client's `buckets`): bucket i counts the samples
 * in (b[i−1], b[i]]; the last bucket (+Inf) the rest. Samples are finite doubles in the value's
 * unit; with `sum: true` an f64 `<name>_sum` adds each.
 */
export class BoundsHistogram implements Slots {
  /** @internal */
  declare u: Uint32Array;
  /** @internal */
  declare b: BigUint64Array;
  /** @internal */
  declare f: Float64Array;
  /** @internal */
  declare readonly i: number;
  /** Upper bounds, ascending (bucket count − 1). */
  declare readonly bounds: Float64Array;
  /** @internal u64 word of the `<name>_sum` companion (an f64), or −1. */
  declare s: number;
  /** @internal */
  constructor(u: Uint32Array, b: BigUint64Array, f: Float64Array, i: number, bounds: readonly number[]) {
    this.u = u;
    this.b = b;
    this.f = f;
    this.i = i;
    this.bounds = Float64Array.from(bounds);
    this.s = -1;
  }
  /** Bucket count. */
  get n(): number {
    return this.bounds.length + 1;
  }
  /** Counts one sample (a finite number) in its bucket. */
  record(sample: number): void {
    const bs = this.bounds;
    const n = bs.length;
    let k = 0;
    if (n <= 16) {
      while (k < n && sample > (bs[k] as number)) k++;
    } else {
      let hi = n;
      while (k < hi) {
        const m = (k + hi) >>> 1;
        if (sample > (bs[m] as number)) k = m + 1;
        else hi = m;
      }
    }
    if (!Number.isFinite(sample)) refuse(this, "record", sample, FINITE);
    const x = (this.i >>> 1) + k;
    this.b[x] = (this.b[x] as bigint) + 1n;
    if (this.s >= 0) this.f[this.s] = (this.f[this.s] as number) + sample;
  }
  /** This thread's bucket counts, bucket 0 first. */
  get(): bigint[] {
    const out: bigint[] = [];
    for (let k = 0; k < this.n; k++) out.push(this.b[(this.i >>> 1) + k] as bigint);
    return out;
  }
  /** This thread's sum of samples (0 without `sum: true`). */
  sum(): number {
    return this.s >= 0 ? (this.f[this.s] as number) : 0;
  }
}
