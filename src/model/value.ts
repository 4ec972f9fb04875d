/**
 * @module model/value
 * Reading one statistic's value out of a data block, and the QAPI StatsValue it maps to.
 */

import { isListStat, type StatDescriptor } from "./descriptor.js";
import { StatUnit } from "./flags.js";

/** A statistic's value: a u64, a boolean (unit boolean), or a list of u64 (histograms). */
export type StatValue = bigint | boolean | bigint[];

/** The value of `d` in `data`, in bucket order 0..n−1 for histograms. */
export function statValue(d: StatDescriptor, data: BigUint64Array): StatValue {
  const i = d.offset >>> 3;
  if (isListStat(d)) return Array.from(data.subarray(i, i + d.size));
  const v = data[i] ?? 0n;
  return d.unit === StatUnit.Boolean ? v !== 0n : v;
}

/** The first (scalar) word of `d` in `data`. */
export function scalarValue(d: StatDescriptor, data: BigUint64Array): bigint {
  return data[d.offset >>> 3] ?? 0n;
}

/** Sum of all values of `d` (the total sample count of a histogram). */
export function totalValue(d: StatDescriptor, data: BigUint64Array): bigint {
  const i = d.offset >>> 3;
  let sum = 0n;
  for (let k = 0; k < d.size; k++) sum += data[i + k] ?? 0n;
  return sum;
}
