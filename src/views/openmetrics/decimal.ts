/**
 * @module views/openmetrics/decimal
 * Exact conversion of a raw u64 to its value in base units, as decimal text: value × base^exponent
 * computed on the integer (bigint and string shifts), never through float arithmetic. A pow2
 * fraction is exact too, since 2^−k = 5^k / 10^k.
 */
import { StatBase } from "../../model/flags.js";

/** Formats a raw value as text in base units. */
export type ValueFormatter = (raw: bigint) => string;

/** `m × 10^e` as the shortest exact decimal (no exponent notation, no trailing fraction zeros). */
export function decimalText(m: bigint, e: number): string {
  if (m === 0n) return "0";
  const neg = m < 0n;
  const digits = (neg ? -m : m).toString();
  let out: string;
  if (e >= 0) out = digits + "0".repeat(e);
  else {
    const k = -e;
    const padded = digits.length <= k ? "0".repeat(k - digits.length + 1) + digits : digits;
    const cut = padded.length - k;
    const frac = padded.slice(cut).replace(/0+$/, "");
    out = frac === "" ? padded.slice(0, cut) : `${padded.slice(0, cut)}.${frac}`;
  }
  return neg ? `-${out}` : out;
}

/** The raw value × base^exponent as exact decimal text. An unknown base leaves the value raw. */
export function scaledText(raw: bigint, base: number, exponent: number): string {
  if (exponent === 0) return raw.toString();
  if (base === StatBase.Pow10) return decimalText(raw, exponent);
  if (base === StatBase.Pow2) {
    if (exponent > 0) return (raw << BigInt(exponent)).toString();
    return decimalText(raw * 5n ** BigInt(-exponent), exponent);
  }
  return raw.toString();
}

/** A formatter for one descriptor's scale, with fast paths for the common scales. */
export function formatterFor(base: number, exponent: number): ValueFormatter {
  if (exponent === 0 || (base !== StatBase.Pow10 && base !== StatBase.Pow2)) return (v) => v.toString();
  if (base === StatBase.Pow10 && exponent < 0) {
    const k = -exponent;
    const zeros = "0".repeat(k);
    return (v) => {
      if (v === 0n) return "0";
      let s = v.toString();
      if (s.length <= k) s = zeros.slice(s.length - 1) + s;
      const cut = s.length - k;
      let end = s.length;
      while (end > cut && s.charCodeAt(end - 1) === 48) end--;
      return end === cut ? s.slice(0, cut) : `${s.slice(0, cut)}.${s.slice(cut, end)}`;
    };
  }
  return (v) => scaledText(v, base, exponent);
}
