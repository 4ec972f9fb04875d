/**
 * @module model/value
 * Reading one statistic's value out of a data block, and the QAPI StatsValue it maps to. A word
 * is read by its descriptor's encoding (model/flags): u64 (the kernel's) and s64 as exact
 * bigints, f64 as a number; {@link wordText} prints each exactly (a double as its shortest
 * round-trip decimal). Histogram buckets are u64 counts in every encoding.
 */

import { isListStat, type StatDescriptor } from "./descriptor.js";
import { isHistogram, StatEncoding, StatUnit } from "./flags.js";

/** A statistic's value: an integer, a double (f64), a boolean (unit boolean), or a list (histograms, arrays). */
export type StatValue = bigint | number | boolean | (bigint | number)[];

const f64 = new Float64Array(1);
const bits = new BigUint64Array(f64.buffer);

/** The double whose IEEE 754 bits are `w`. */
export function f64FromBits(w: bigint): number {
  bits[0] = w;
  return f64[0] as number;
}

/** The IEEE 754 bits of `x`. */
export function bitsOfF64(x: number): bigint {
  f64[0] = x;
  return bits[0] as bigint;
}

/** Whether the words of `d` are u64 counts whatever its encoding (histogram buckets). */
function countWords(d: StatDescriptor): boolean {
  return isHistogram(d.type);
}

/** One word of `d` read by its encoding: bigint (u64, s64) or number (f64). */
export function decodeWord(d: StatDescriptor, w: bigint): bigint | number {
  if (d.encoding === StatEncoding.U64 || countWords(d)) return w;
  if (d.encoding === StatEncoding.S64) return BigInt.asIntN(64, w);
  if (d.encoding === StatEncoding.F64) return f64FromBits(w);
  return w; // an encoding unknown to us: its raw bits, as u64
}

/** A number's exact text: integers in full, a double as its shortest round-trip decimal. */
export function numberText(v: bigint | number): string {
  if (typeof v === "bigint") return v.toString();
  if (Number.isNaN(v)) return "NaN";
  if (!Number.isFinite(v)) return v > 0 ? "+Inf" : "-Inf";
  return Object.is(v, -0) ? "-0" : String(v);
}

/**
 * `x × base^exponent` as exact text for a double `x`: pow2 scales are exact on the double
 * (barring overflow); pow10 scales move the decimal point of `x`'s shortest round-trip digits,
 * so `0.25` with exponent −3 is `0.00025`, never a product rounded by floating point.
 */
export function scaledNumberText(x: number, base: number, exponent: number): string {
  if (exponent === 0 || !Number.isFinite(x) || x === 0) return numberText(x);
  if (base === 1) return numberText(x * 2 ** exponent);
  if (base !== 0) return numberText(x);
  const neg = x < 0;
  const [mant, expPart] = Math.abs(x).toExponential().split("e") as [string, string];
  const digits = mant.replace(".", "");
  // value = 0.d1d2… × 10^(point), with point = exp10 + 1
  const point = Number(expPart) + 1 + exponent;
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return neg ? `-${out}` : out;
}

/** The exact text of one word of `d`. */
export function wordText(d: StatDescriptor, w: bigint): string {
  return numberText(decodeWord(d, w));
}

/** Whether `d`'s value is a plain u64 (the kernel's encoding, or histogram counts). */
export function isU64(d: StatDescriptor): boolean {
  return d.encoding === StatEncoding.U64 || countWords(d);
}

/** The value of `d` in `data`, in bucket order 0..n−1 for histograms. */
export function statValue(d: StatDescriptor, data: BigUint64Array): StatValue {
  const i = d.offset >>> 3;
  if (isListStat(d)) {
    const words = Array.from(data.subarray(i, i + d.size));
    return isU64(d) ? words : words.map((w) => decodeWord(d, w));
  }
  const v = data[i] ?? 0n;
  return d.unit === StatUnit.Boolean ? v !== 0n : decodeWord(d, v);
}

/** The first (scalar) word of `d` in `data`, as stored (u64 bits). */
export function scalarValue(d: StatDescriptor, data: BigUint64Array): bigint {
  return data[d.offset >>> 3] ?? 0n;
}
