/**
 * @module providers/aggregate/values
 * What the aggregation engine knows of a value: its kernel descriptor fields, the aggregation
 * kinds its parents show, whether readers may reset it, and where it sits in a data block.
 * Shared by the producer (which defines values) and the readers of exported files (which find
 * the same facts in the file's descriptors and trailer); pure, no I/O.
 */
import type { KernelFields } from "../../model/descriptor.js";
import { StatType, StatUnit } from "../../model/flags.js";

/**
 * How parents (and readers of a directory of per-process files) combine a value over the
 * sources that hold it. The first listed keeps the value's name in the parent; the others are
 * shown as `name.min`, `name.max`, `name.avg`, `name.count_zero` (and `name.sum` when sum is not first).
 */
export type Aggregation = "sum" | "min" | "max" | "avg" | "count-zero";

/** Numeric aggregation kinds (stored 3 bits each in exported files). */
export const AggKind = { sum: 1, min: 2, max: 3, avg: 4, "count-zero": 5 } as const;
/** A numeric aggregation kind, 1..5. */
export type AggKind = (typeof AggKind)[Aggregation];
const AGG_NAMES: readonly (Aggregation | undefined)[] = [undefined, "sum", "min", "max", "avg", "count-zero"];

/** The name suffix a kind gets in a parent when it is not the value's first aggregation. */
export function aggSuffix(kind: AggKind): string {
  return kind === AggKind["count-zero"] ? ".count_zero" : `.${AGG_NAMES[kind]}`;
}
/** The aggregation name of a numeric kind. */
export function aggName(kind: AggKind): Aggregation {
  return AGG_NAMES[kind] as Aggregation;
}

/** The default aggregation of a value: max for peaks and booleans, sum otherwise. */
export function defaultKind(v: { type: number; unit: number }): AggKind {
  return v.type === StatType.Peak || v.unit === StatUnit.Boolean ? AggKind.max : AggKind.sum;
}

/** A validated value: a kernel descriptor's fields plus what statsfs adds (aggregations, writable). */
export interface ValueMeta extends KernelFields {
  readonly name: string;
  /** Aggregation kinds in the order given; [] when the value is not aggregated. */
  readonly kinds: readonly AggKind[];
  readonly writable: boolean;
  /** Its HELP text, where the producer stored one (an exported prom-client metric's). */
  readonly help?: string;
  /** Encoding of the value's words (model/flags StatEncoding; 0 = u64, the kernel's). */
  readonly encoding: number;
  /** A bounds histogram's upper bounds. */
  readonly bounds?: readonly number[];
}

/** A value inside a source: its meta and the u64 word where it starts in the source's data block. */
export interface ValueSlot extends ValueMeta {
  readonly word: number;
}

/** The fields of a value that decide whether it aggregates with another (a ValueMeta or a StatDescriptor). */
export type ValueShape = Pick<ValueMeta, "type" | "unit" | "base" | "exponent" | "size" | "bucketSize" | "encoding" | "bounds">;

/** Whether two values can be aggregated together (same descriptor shape, encoding and bounds). */
export function compatible(a: ValueShape, b: ValueShape): boolean {
  return (
    a.type === b.type &&
    a.unit === b.unit &&
    a.base === b.base &&
    a.exponent === b.exponent &&
    a.size === b.size &&
    a.encoding === b.encoding &&
    (a.type === StatType.BoundsHistogram
      ? (a.bounds ?? []).length === (b.bounds ?? []).length && (a.bounds ?? []).every((x, i) => x === b.bounds?.[i])
      : a.bucketSize === b.bucketSize)
  );
}

const utf8 = new TextEncoder();

/** Byte length of `s` in UTF-8. */
export function byteLength(s: string): number {
  return utf8.encode(s).length;
}
