/**
 * @module providers/shm/format/trailer
 * What the kernel layout has no field for — each value's aggregations and whether readers may
 * reset it — stored in a small block after the data block of an exported file. Readers that
 * know only the kernel layout never look there (blocks are located by the header's offsets, and
 * nothing forbids bytes after the data block); readers that find no trailer fall back to the
 * default aggregation of each type.
 *
 *   u32 magic "SFS1" | u32 count | count × u32: aggregation kinds, 3 bits each in order
 *   (bits 0–14), bit 31 writable | zero padding to a multiple of 8
 *
 * Optionally followed by a description block (written by prom-client/export.ts; a reader that
 * finds none, or an older reader, falls back to no help and the default aggregation):
 *
 *   u32 magic "SFSH" | u32 aggregator (prom-client's: 0 sum, 1 first, 2 min, 3 max, 4 average,
 *   5 omit) | u32 help_length | u32 labels_length | help_length bytes of UTF-8 help text |
 *   labels_length bytes of UTF-8 label names in declared order, `\n`-separated | zero padding to 8
 */
import type { AggKind } from "../../aggregate/values.js";

/** "SFS1" little-endian. */
export const TRAILER_MAGIC = 0x31534653;

/** Per value: aggregation kinds (in order) and writability. */
export interface ValueExtras {
  readonly kinds: readonly AggKind[];
  readonly writable: boolean;
}

/** Size in bytes of the trailer for `count` values. */
export function trailerSize(count: number): number {
  return Math.ceil((8 + 4 * count) / 8) * 8;
}

/** Encodes the trailer. */
export function encodeTrailer(values: readonly ValueExtras[]): Uint8Array {
  const out = new Uint8Array(trailerSize(values.length));
  const v = new DataView(out.buffer);
  v.setUint32(0, TRAILER_MAGIC, true);
  v.setUint32(4, values.length, true);
  values.forEach((x, i) => {
    let word = 0;
    x.kinds.forEach((k, j) => {
      word |= (k & 7) << (3 * j);
    });
    if (x.writable) word |= 0x80000000;
    v.setUint32(8 + 4 * i, word >>> 0, true);
  });
  return out;
}

/** Decodes a trailer for `count` values; undefined when `bytes` holds none. */
export function decodeTrailer(bytes: Uint8Array, count: number): ValueExtras[] | undefined {
  if (bytes.length < 8 + 4 * count) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (v.getUint32(0, true) !== TRAILER_MAGIC || v.getUint32(4, true) !== count) return undefined;
  const out: ValueExtras[] = [];
  for (let i = 0; i < count; i++) {
    const word = v.getUint32(8 + 4 * i, true);
    const kinds: AggKind[] = [];
    for (let j = 0; j < 5; j++) {
      const k = (word >>> (3 * j)) & 7;
      if (k === 0) break;
      if (k > 5) return undefined;
      kinds.push(k as AggKind);
    }
    out.push({ kinds, writable: (word & 0x80000000) !== 0 });
  }
  return out;
}

/** "SFSH" little-endian: the description block after the trailer. */
export const DESCRIPTION_MAGIC = 0x48534653;
/** prom-client's aggregators, by their number in the description block. */
export const AGGREGATORS = ["sum", "first", "min", "max", "average", "omit"] as const;

/** What a description block says of the values of one schema record (one prom-client metric). */
export interface Description {
  readonly help: string;
  /** One of {@link AGGREGATORS}. */
  readonly aggregator: string;
  /** Label names in declared order (label-set entry names sort them). */
  readonly labelNames: readonly string[];
}

/** The trailer of `values` followed by the description block of `d`. */
export function encodeTrailerWithDescription(values: readonly ValueExtras[], d: Description): Uint8Array {
  const trailer = encodeTrailer(values);
  const help = new TextEncoder().encode(d.help);
  const names = new TextEncoder().encode(d.labelNames.join("\n"));
  const agg = (AGGREGATORS as readonly string[]).indexOf(d.aggregator);
  const out = new Uint8Array(trailer.length + Math.ceil((16 + help.length + names.length) / 8) * 8);
  out.set(trailer);
  const v = new DataView(out.buffer, trailer.length);
  v.setUint32(0, DESCRIPTION_MAGIC, true);
  v.setUint32(4, agg < 0 ? 0 : agg, true);
  v.setUint32(8, help.length, true);
  v.setUint32(12, names.length, true);
  out.set(help, trailer.length + 16);
  out.set(names, trailer.length + 16 + help.length);
  return out;
}

/** The description block after the trailer of `count` values, or undefined when there is none (or it is malformed). */
export function decodeDescription(bytes: Uint8Array, count: number): Description | undefined {
  const at = trailerSize(count);
  if (bytes.length < at + 16) return undefined;
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, bytes.byteLength - at);
  if (v.getUint32(0, true) !== DESCRIPTION_MAGIC) return undefined;
  const aggregator = AGGREGATORS[v.getUint32(4, true)];
  const len = v.getUint32(8, true);
  const namesLen = v.getUint32(12, true);
  if (aggregator === undefined || at + 16 + len + namesLen > bytes.length) return undefined;
  try {
    const utf8 = new TextDecoder("utf-8", { fatal: true });
    const help = utf8.decode(bytes.subarray(at + 16, at + 16 + len));
    const names = utf8.decode(bytes.subarray(at + 16 + len, at + 16 + len + namesLen));
    return { help, aggregator, labelNames: names === "" ? [] : names.split("\n") };
  } catch {
    return undefined;
  }
}
