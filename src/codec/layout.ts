/**
 * @module codec/layout
 * The binary stats file layout the kernel serves (final ABI; little-endian hosts):
 *
 *   header      24 bytes: u32 flags, name_size, num_desc, id_offset, desc_offset, data_offset
 *   id          name_size bytes, NUL-terminated
 *   descriptors num_desc × (16 + name_size): u32 flags, s16 exponent, u16 size, u32 offset,
 *               u32 bucket_size, then the NUL-padded name
 *   data        u64 values; a descriptor's offset is from the start of this block
 *
 * Blocks after the header may come in any order and need not be adjacent; readers use the offsets.
 *
 * statsfs extensions (model/flags; never in a kernel file, which stays byte for byte the same):
 *   descriptor flags bits 12–15  encoding of the value's words: 0 u64, 1 s64, 2 f64
 *   type 5 (bounds histogram)    bucket_size = file offset of its size − 1 f64 upper bounds,
 *                                ascending and finite (the last bucket is +Inf)
 *   bounds block                 where the writer puts those tables: after the descriptors,
 *                                before the data block (absent when no stat has bounds)
 * A reader that knows only the kernel layout sees an unknown type or flag bits (and a u64 in
 * each word); a C reader of u64 statistics is unaffected by the others.
 */

/** The first u32 of a statsfs bundle file (codec/bundle.ts: "SFSB"), which no kernel-layout file starts with (its flags are 0). */
export const BUNDLE_MAGIC = 0x42534653;

/** Size of the file header. */
export const HEADER_SIZE = 24;
/** Size of a descriptor before its name. */
export const DESC_FIXED_SIZE = 16;
/** The kernel's name_size (KVM_STATS_NAME_SIZE). */
export const KVM_NAME_SIZE = 48;
/** Largest name_size we accept; anything larger is treated as corrupt. */
export const MAX_NAME_SIZE = 4096;
/** Most descriptors we accept (KVM has about 50; a producer source a few thousand). */
export const MAX_DESCRIPTORS = 65536;
/** Largest data block we accept: 64 MiB of u64 values. */
export const MAX_DATA_SIZE = 64 * 1024 * 1024;
/**
 * Most values (u64 words, summed over every descriptor's size) one schema may describe: 4 Mi,
 * 32 MiB as u64. Besides this absolute bound a schema may describe at most one value per word
 * of its data block: more means statistics overlap, and a view that shows every statistic's
 * values would materialise more than the file holds (65,536 histograms over one 512 KiB block
 * would be 4 billion values).
 */
export const MAX_VALUES = 1 << 22;
/**
 * Most buckets of a log2 histogram: bucket 0 holds 0, bucket i ≥ 1 holds [2^(i−1), 2^i), so
 * bucket 64 holds the largest u64 samples and any bucket past it could hold none. More is a
 * malformed schema (its bucket bounds would be numbers of up to 20,000 digits: a hostile file or
 * QMP peer could make every view that prints them spin for minutes).
 */
export const MAX_LOG2_BUCKETS = 65;

/** Field offsets inside the header. */
export const Header = {
  flags: 0,
  nameSize: 4,
  numDesc: 8,
  idOffset: 12,
  descOffset: 16,
  dataOffset: 20,
} as const;

/** Field offsets inside one descriptor. */
export const Desc = {
  flags: 0,
  exponent: 4,
  size: 6,
  offset: 8,
  bucketSize: 12,
  name: 16,
} as const;

/** The header's numbers, as read from or written to a file. */
export interface BinaryLayout {
  readonly flags: number;
  readonly nameSize: number;
  readonly numDesc: number;
  readonly idOffset: number;
  readonly descOffset: number;
  readonly dataOffset: number;
}

/** The kernel's layout for `numDesc` descriptors: header, id, descriptors, data, adjacent. */
export function kernelLayout(numDesc: number, nameSize = KVM_NAME_SIZE): BinaryLayout {
  const idOffset = HEADER_SIZE;
  const descOffset = idOffset + nameSize;
  const dataOffset = descOffset + numDesc * (DESC_FIXED_SIZE + nameSize);
  return { flags: 0, nameSize, numDesc, idOffset, descOffset, dataOffset };
}

/** Size in bytes of the descriptor block. */
export function descBlockSize(l: BinaryLayout): number {
  return l.numDesc * (DESC_FIXED_SIZE + l.nameSize);
}
