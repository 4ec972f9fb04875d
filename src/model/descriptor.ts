/**
 * @module model/descriptor
 * A statistic's descriptor: the schema entry read once per stats file.
 */
import { isHistogram, packFlags, StatBase, StatType, StatUnit, unpackFlags } from "./flags.js";

/** One statistic's schema, as a binary stats file's descriptor describes it. */
export interface StatDescriptor {
  readonly name: string;
  /** The raw flags word (type | unit << 4 | base << 8), kept for byte-exact re-encoding. */
  readonly flags: number;
  /** {@link StatType} number; an unknown number is kept as-is. */
  readonly type: number;
  /** {@link StatUnit} number; an unknown number is kept as-is. */
  readonly unit: number;
  /** {@link StatBase} number; an unknown number is kept as-is. */
  readonly base: number;
  /** Power of the base the values are scaled by (e.g. −9 with pow10 seconds: nanoseconds). */
  readonly exponent: number;
  /** Number of u64 values (1 for scalars, bucket count for histograms). */
  readonly size: number;
  /** Byte offset of the first value from the start of the data block. */
  readonly offset: number;
  /**
   * Width of each bucket of a linear histogram; 0 otherwise. For a bounds histogram (statsfs
   * extension) the file offset of its bounds, as read (the writer sets its own).
   */
  readonly bucketSize: number;
  /** {@link StatEncoding} of the value's words (statsfs extension; 0, u64, in kernel files). */
  readonly encoding: number;
  /** A bounds histogram's upper bounds (size − 1 ascending finite doubles; the last bucket is +∞). */
  readonly bounds?: readonly number[];
}

/** What a caller says to define a statistic; everything but the name has a default. */
export interface DescriptorInit {
  name: string;
  type?: number;
  unit?: number;
  base?: number;
  exponent?: number;
  size?: number;
  offset?: number;
  bucketSize?: number;
  encoding?: number;
  bounds?: readonly number[];
}

/** The kernel's fields of a descriptor beside its name, flags word and offset. */
export type KernelFields = Pick<StatDescriptor, "type" | "unit" | "base" | "exponent" | "size" | "bucketSize">;

/** `d`'s {@link KernelFields}: type, unit, base, exponent, size, bucket size. */
export function kernelFields(d: KernelFields): KernelFields {
  return { type: d.type, unit: d.unit, base: d.base, exponent: d.exponent, size: d.size, bucketSize: d.bucketSize };
}

/** What a copy of `d` under another name or at another offset takes from it: its kernel fields, encoding and bounds. */
export function shapeOf(d: StatDescriptor): Omit<DescriptorInit, "name" | "offset"> {
  return { ...kernelFields(d), encoding: d.encoding, ...(d.bounds !== undefined ? { bounds: d.bounds } : {}) };
}

/** Builds a descriptor from its fields, packing the flags word. */
export function makeDescriptor(init: DescriptorInit): StatDescriptor {
  const type = init.type ?? StatType.Cumulative;
  const unit = init.unit ?? StatUnit.None;
  const base = init.base ?? StatBase.Pow10;
  const encoding = init.encoding ?? 0;
  const d = {
    name: init.name,
    flags: packFlags(type, unit, base, encoding),
    type,
    unit,
    base,
    exponent: init.exponent ?? 0,
    size: init.size ?? 1,
    offset: init.offset ?? 0,
    bucketSize: init.bucketSize ?? 0,
    encoding,
  };
  return init.bounds === undefined ? d : { ...d, bounds: init.bounds };
}

/** Builds a descriptor from the raw fields of a binary descriptor. */
export function descriptorFromRaw(
  name: string,
  flags: number,
  exponent: number,
  size: number,
  offset: number,
  bucketSize: number,
): StatDescriptor {
  const { type, unit, base, encoding } = unpackFlags(flags);
  return { name, flags, type, unit, base, exponent, size, offset, bucketSize, encoding };
}

/**
 * Lays descriptors out one after another in a data block, in the given order.
 * Returns new descriptors with `offset` set, and the data block's size in bytes.
 */
export function layOut(inits: readonly DescriptorInit[]): {
  descriptors: StatDescriptor[];
  dataSize: number;
} {
  let offset = 0;
  const descriptors = inits.map((init) => {
    const d = makeDescriptor({ ...init, offset });
    offset += d.size * 8;
    return d;
  });
  return { descriptors, dataSize: offset };
}

/** Bytes from the data block's start to the end of the last value any descriptor names. */
export function dataBlockSize(descriptors: readonly StatDescriptor[]): number {
  let end = 0;
  for (const d of descriptors) end = Math.max(end, d.offset + d.size * 8);
  return end;
}

/** True when the statistic is shown as a list (histograms, or any size > 1). */
export function isListStat(d: StatDescriptor): boolean {
  return isHistogram(d.type) || d.size !== 1;
}
