/**
 * @module model/amount
 * A statistic's total as the change views (`top`, `log`) count it: an exact bigint for the
 * integer encodings (u64, the kernel's; s64; histogram sample counts) and a double for f64
 * values, which are doubles in the file and stay doubles here — never rounded to an integer,
 * never a u64's bits read as a number. The arithmetic keeps bigints exact: two bigints give a
 * bigint; a double on either side gives a double (an f64 value summed with an integer one of
 * the same name in another producer's schema).
 */
import type { StatDescriptor } from "./descriptor.js";
import { StatUnit } from "./flags.js";
import { decodeWord, isU64, numberText } from "./value.js";

/** A total, a delta or a sum of them. */
export type Amount = bigint | number;

/**
 * The total of `d` in `data`: a scalar's value by its encoding (booleans 1 or 0), a
 * histogram's or array's words summed (exact u64 counts, or doubles for an f64 array).
 */
export function amountOf(d: StatDescriptor, data: BigUint64Array): Amount {
  const i = d.offset >>> 3;
  if (d.size === 1) {
    const w = data[i] ?? 0n;
    if (d.unit === StatUnit.Boolean) return w !== 0n ? 1n : 0n;
    return decodeWord(d, w);
  }
  if (isU64(d)) {
    let sum = 0n;
    for (let k = 0; k < d.size; k++) sum += data[i + k] ?? 0n;
    return sum;
  }
  let sum: Amount = 0n;
  for (let k = 0; k < d.size; k++) sum = plus(sum, decodeWord(d, data[i + k] ?? 0n));
  return sum;
}

/** a + b. */
export function plus(a: Amount, b: Amount): Amount {
  return typeof a === "bigint" && typeof b === "bigint" ? a + b : Number(a) + Number(b);
}

/** a − b. */
export function minus(a: Amount, b: Amount): Amount {
  return typeof a === "bigint" && typeof b === "bigint" ? a - b : Number(a) - Number(b);
}

/** −1, 0 or 1 as a is below, equal to or above b (NaN sorts as equal). */
export function compare(a: Amount, b: Amount): number {
  if (typeof a === "bigint" && typeof b === "bigint") return a < b ? -1 : a > b ? 1 : 0;
  const x = Number(a);
  const y = Number(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether a is zero (0n, 0 or −0). */
export function isZero(a: Amount): boolean {
  return typeof a === "bigint" ? a === 0n : a === 0;
}

/** Whether a is above zero. */
export function isPositive(a: Amount): boolean {
  return typeof a === "bigint" ? a > 0n : a > 0;
}

/** The larger of a and b. */
export function larger(a: Amount, b: Amount): Amount {
  return compare(b, a) > 0 ? b : a;
}

/**
 * A counter's change from `before` to `now`: their difference, or `now` when it went backwards
 * (a reset counts from zero).
 */
export function counted(now: Amount, before: Amount): Amount {
  return compare(now, before) >= 0 ? minus(now, before) : now;
}

/** Exact text: every digit of an integer, a double's shortest round-trip decimal. */
export function amountText(a: Amount): string {
  return numberText(a);
}
