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
