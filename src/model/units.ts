/**
 * @module model/units
 * From a descriptor's unit, base and exponent to a human unit label ("ns", "KiB") and to
 * human-scaled text. Exact: values are bigint, scaling uses bigint arithmetic.
 */
import { StatBase, StatUnit } from "./flags.js";

const SI: Record<number, string> = {
  [-18]: "a",
  [-15]: "f",
  [-12]: "p",
  [-9]: "n",
  [-6]: "µ",
  [-3]: "m",
  0: "",
  3: "k",
  6: "M",
  9: "G",
  12: "T",
  15: "P",
  18: "E",
};
const IEC: Record<number, string> = {
  0: "",
  10: "Ki",
  20: "Mi",
  30: "Gi",
  40: "Ti",
  50: "Pi",
  60: "Ei",
};
const UNIT_SYMBOL: Record<number, string> = {
  [StatUnit.Bytes]: "B",
  [StatUnit.Seconds]: "s",
  [StatUnit.Cycles]: "cycles",
};

/** The prefix for base^exponent: "n" for 10^-9, "Ki" for 2^10; `10^5`-style when none fits. */
export function unitPrefix(base: number, exponent: number): string {
  if (exponent === 0) return "";
  const p = base === StatBase.Pow2 ? IEC[exponent] : base === StatBase.Pow10 ? SI[exponent] : undefined;
  if (p !== undefined) return p;
  return `${base === StatBase.Pow2 ? 2 : base === StatBase.Pow10 ? 10 : `base${base}`}^${exponent} `;
}

/**
 * The unit label of a statistic's raw values: "ns" (seconds, 10^-9), "KiB" (bytes, 2^10),
 * "" for plain counts and booleans.
 */
export function unitLabel(unit: number, base: number, exponent: number): string {
  if (unit === StatUnit.None) return exponent === 0 ? "" : unitPrefix(base, exponent).trim();
  if (unit === StatUnit.Boolean) return "";
  const sym = UNIT_SYMBOL[unit] ?? `unit-${unit}`;
  const prefix = unitPrefix(base, exponent);
  return sym === "cycles" && prefix ? `${prefix} cycles` : `${prefix}${sym}`;
}

/** The numeric base (10 or 2) of a base code, or undefined when unknown. */
export function baseRadix(base: number): 10 | 2 | undefined {
  return base === StatBase.Pow10 ? 10 : base === StatBase.Pow2 ? 2 : undefined;
}

/**
 * Formats a raw value in its unit, rescaled to the largest prefix that keeps it ≥ 1, with up to
 * three fractional digits: 1536 with bytes/pow2/0 → "1.5 KiB"; 2500 with seconds/pow10/−9 →
 * "2.5 µs". Exact for any u64 (bigint arithmetic).
 */
export function formatScaled(value: bigint, unit: number, base: number, exponent: number): string {
  if (unit === StatUnit.Boolean) return value !== 0n ? "yes" : "no";
  const radix = baseRadix(base);
  const table = radix === 2 ? IEC : radix === 10 ? SI : undefined;
  if (unit === StatUnit.None || radix === undefined || table === undefined || value === 0n) {
    const label = unitLabel(unit, base, exponent);
    return label ? `${value} ${label}` : `${value}`;
  }
  const step = radix === 2 ? 10 : 3;
  const R = BigInt(radix);
  // Largest exponent e (multiple of step, with a known prefix) such that value·radix^exponent ≥ radix^e.
  let e = exponent;
  let best = exponent;
  for (;;) {
    const next = e + step;
    if (table[next] === undefined) break;
    if (value < R ** BigInt(next - exponent)) break;
    e = next;
    best = e;
  }
  const sym = UNIT_SYMBOL[unit] ?? "";
  const label = (p: number) => (sym === "cycles" ? `${unitPrefix(base, p)} cycles`.trim() : `${unitPrefix(base, p)}${sym}`);
  if (best === exponent || table[exponent] === undefined) return `${value} ${label(exponent)}`;
  const div = R ** BigInt(best - exponent);
  const whole = value / div;
  const frac = ((value % div) * 1000n) / div;
  const fracText = frac === 0n ? "" : `.${frac.toString().padStart(3, "0").replace(/0+$/, "")}`;
  return `${whole}${fracText} ${label(best)}`;
}
