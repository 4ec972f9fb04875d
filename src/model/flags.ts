/**
 * @module model/flags
 * The descriptor flag fields of a binary stats file (type, unit, base) and their names.
 * Numbers unknown to us are kept as-is and named `type-N` / `unit-N` / `base-N`, never dropped.
 *
 * statsfs extensions (never set by the kernel, so a kernel-layout file is unchanged by them;
 * `check` reports them as extensions, and as violations with `--strict-kernel`):
 * - flags bits 12–15, the **encoding** of each u64 word of the value: 0 u64 (the kernel's), 1
 *   s64 (two's complement), 2 f64 (IEEE 754 binary64, in the same byte order as the u64).
 *   Histogram bucket counts are always u64.
 * - type 5, a **bounds histogram** (prom-client's `buckets`): bucket i counts the samples in
 *   (bound[i−1], bound[i]] (bucket 0 from −∞), the last bucket (bound +∞) the rest. Its
 *   `bucket_size` field holds the byte offset, from the start of the file, of its `size − 1`
 *   ascending f64 bounds (codec/layout: the bounds block, read once with the schema).
 */

/** How a statistic's values behave over time (flags bits 0–3). */
export const StatType = {
  /** Only increases (a counter). */
  Cumulative: 0,
  /** May go up or down (a gauge). */
  Instant: 1,
  /** Highest value seen; only increases. */
  Peak: 2,
  /** Histogram, bucket i covers [i·bucket_size, (i+1)·bucket_size); the last is open-ended. */
  LinearHistogram: 3,
  /** Histogram, bucket 0 is [0,1), bucket i ≥ 1 is [2^(i−1), 2^i); the last is open-ended. */
  Log2Histogram: 4,
  /** statsfs extension: histogram with explicit upper bounds, bucket i is (b[i−1], b[i]]. */
  BoundsHistogram: 5,
} as const;
export type StatType = (typeof StatType)[keyof typeof StatType];

/** What a value measures (flags bits 4–7). */
export const StatUnit = {
  None: 0,
  Bytes: 1,
  Seconds: 2,
  Cycles: 3,
  /** 0 or 1, shown as false/true. */
  Boolean: 4,
} as const;
export type StatUnit = (typeof StatUnit)[keyof typeof StatUnit];

/** Base of the exponent (flags bits 8–11). */
export const StatBase = {
  Pow10: 0,
  Pow2: 1,
} as const;
export type StatBase = (typeof StatBase)[keyof typeof StatBase];

/** statsfs extension: how each u64 word of a value is read (flags bits 12–15). */
export const StatEncoding = {
  /** Unsigned 64-bit integer: the kernel's (and the only one a kernel file has). */
  U64: 0,
  /** Signed 64-bit integer (two's complement). */
  S64: 1,
  /** IEEE 754 binary64. */
  F64: 2,
} as const;
export type StatEncoding = (typeof StatEncoding)[keyof typeof StatEncoding];

export const TYPE_SHIFT = 0;
export const UNIT_SHIFT = 4;
export const BASE_SHIFT = 8;
export const ENCODING_SHIFT = 12;
export const FIELD_MASK = 0xf;

/** Highest numbers the final kernel ABI defines. */
export const TYPE_MAX = StatType.Log2Histogram;
export const UNIT_MAX = StatUnit.Boolean;
export const BASE_MAX = StatBase.Pow2;

/** Highest extension numbers statsfs defines. */
export const EXT_TYPE_MAX = StatType.BoundsHistogram;
export const ENCODING_MAX = StatEncoding.F64;

const TYPE_NAMES = ["cumulative", "instant", "peak", "linear-histogram", "log2-histogram", "bounds-histogram"];
const ENCODING_NAMES = ["u64", "s64", "f64"];
const UNIT_NAMES = ["none", "bytes", "seconds", "cycles", "boolean"];
const BASE_NAMES = ["pow10", "pow2"];

/** QAPI-style name of a type number (`cumulative`, …), or `type-N` when unknown. */
export function typeName(type: number): string {
  return TYPE_NAMES[type] ?? `type-${type}`;
}
/** QAPI-style name of a unit number (`none`, `bytes`, …), or `unit-N` when unknown. */
export function unitName(unit: number): string {
  return UNIT_NAMES[unit] ?? `unit-${unit}`;
}
/** Name of an encoding number (`u64`, `s64`, `f64`), or `encoding-N` when unknown. */
export function encodingName(encoding: number): string {
  return ENCODING_NAMES[encoding] ?? `encoding-${encoding}`;
}
/** Name of a base number (`pow10`, `pow2`), or `base-N` when unknown. */
export function baseName(base: number): string {
  return BASE_NAMES[base] ?? `base-${base}`;
}

function parseName(names: readonly string[], prefix: string, name: string): number | undefined {
  const i = names.indexOf(name);
  if (i >= 0) return i;
  const m = new RegExp(`^${prefix}-(\\d+)$`).exec(name);
  return m ? Number(m[1]) : undefined;
}
/** Inverse of {@link typeName}; undefined for a name that is neither known nor `type-N`. */
export const parseTypeName = (n: string) => parseName(TYPE_NAMES, "type", n);
/** Inverse of {@link unitName}. */
export const parseUnitName = (n: string) => parseName(UNIT_NAMES, "unit", n);

/** Packs type, unit, base (and the statsfs encoding, 0 for the kernel's u64) into a flags word. */
export function packFlags(type: number, unit: number, base: number, encoding = 0): number {
  return (
    (((type & FIELD_MASK) << TYPE_SHIFT) |
      ((unit & FIELD_MASK) << UNIT_SHIFT) |
      ((base & FIELD_MASK) << BASE_SHIFT) |
      ((encoding & FIELD_MASK) << ENCODING_SHIFT)) >>>
    0
  );
}

/** Splits a flags word into its fields; `rest` holds bits 16–31 (reserved, should be 0). */
export function unpackFlags(flags: number): { type: number; unit: number; base: number; encoding: number; rest: number } {
  return {
    type: (flags >>> TYPE_SHIFT) & FIELD_MASK,
    unit: (flags >>> UNIT_SHIFT) & FIELD_MASK,
    base: (flags >>> BASE_SHIFT) & FIELD_MASK,
    encoding: (flags >>> ENCODING_SHIFT) & FIELD_MASK,
    rest: flags >>> 16,
  };
}

/** True for the histogram types (the kernel's two and the bounds extension). */
export function isHistogram(type: number): boolean {
  return type === StatType.LinearHistogram || type === StatType.Log2Histogram || type === StatType.BoundsHistogram;
}
