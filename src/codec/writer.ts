/**
 * @module codec/writer
 * Encodes a stats file in the kernel's final layout, byte for byte what the kernel would serve
 * for the same id, descriptors and values. Descriptors with statsfs extensions (model/flags)
 * keep their encoding in the flags word; bounds histograms get their bounds in the bounds
 * block, between the descriptors and the data block (absent, and so the layout the kernel's,
 * when no descriptor has bounds), with `bucket_size` set to each table's file offset.
 */
import { EncodeError } from "../errors.js";
import { dataBlockSize, type StatDescriptor } from "../model/descriptor.js";
import { StatType } from "../model/flags.js";
import { type BinaryLayout, DESC_FIXED_SIZE, Desc, descBlockSize, HEADER_SIZE, Header, KVM_NAME_SIZE, kernelLayout } from "./layout.js";

const utf8 = new TextEncoder();

/** What to encode. */
export interface EncodeInput {
  readonly id: string;
  readonly descriptors: readonly StatDescriptor[];
  /** Values; zeros when absent. At least the descriptors' data block size. */
  readonly data?: BigUint64Array;
  /** Name field size (default 48, the kernel's); a multiple of 8 keeps every block aligned. */
  readonly nameSize?: number;
  /** Data block size in bytes (default: the end of the last value any descriptor names). */
  readonly dataSize?: number;
}

function putName(out: Uint8Array, at: number, text: string, size: number, what: string): void {
  const bytes = utf8.encode(text);
  if (bytes.length >= size) {
    throw new EncodeError(`${what} "${text}" is ${bytes.length} bytes; name_size ${size} allows ${size - 1}`);
  }
  out.set(bytes, at);
}

/** Writes the 24-byte header into `out` at 0. */
export function encodeHeader(out: Uint8Array, l: BinaryLayout): void {
  const v = new DataView(out.buffer, out.byteOffset, HEADER_SIZE);
  v.setUint32(Header.flags, l.flags, true);
  v.setUint32(Header.nameSize, l.nameSize, true);
  v.setUint32(Header.numDesc, l.numDesc, true);
  v.setUint32(Header.idOffset, l.idOffset, true);
  v.setUint32(Header.descOffset, l.descOffset, true);
  v.setUint32(Header.dataOffset, l.dataOffset, true);
}

/** Writes one descriptor record at `at` (`bucketSize` in place of the descriptor's, if given). */
export function encodeDescriptor(out: Uint8Array, at: number, d: StatDescriptor, nameSize: number, bucketSize = d.bucketSize): void {
  const v = new DataView(out.buffer, out.byteOffset + at, DESC_FIXED_SIZE);
  v.setUint32(Desc.flags, d.flags, true);
  v.setInt16(Desc.exponent, d.exponent, true);
  v.setUint16(Desc.size, d.size, true);
  v.setUint32(Desc.offset, d.offset, true);
  v.setUint32(Desc.bucketSize, bucketSize, true);
  putName(out, at + Desc.name, d.name, nameSize, "stat name");
}

/** The bounds a bounds histogram writes: size − 1 finite ascending doubles, or a typed error. */
function boundsOf(d: StatDescriptor): readonly number[] {
  const b = d.bounds ?? [];
  if (b.length !== Math.max(0, d.size - 1)) {
    throw new EncodeError(`stat "${d.name}": a bounds histogram of ${d.size} buckets needs ${d.size - 1} bounds, has ${b.length}`);
  }
  return b;
}

/** Bytes of the bounds block for `descriptors` (0 when none is a bounds histogram). */
export function boundsBlockSize(descriptors: readonly StatDescriptor[]): number {
  let n = 0;
  for (const d of descriptors) if (d.type === StatType.BoundsHistogram) n += boundsOf(d).length;
  return n * 8;
}

/** The layout and total size {@link encodeStatsFile} uses for an input. */
export function encodedLayout(input: EncodeInput): { layout: BinaryLayout; dataSize: number; fileSize: number } {
  const nameSize = input.nameSize ?? KVM_NAME_SIZE;
  if (nameSize <= 0 || nameSize % 8 !== 0) {
    throw new EncodeError(`name_size ${nameSize} must be a positive multiple of 8`);
  }
  const kernel = kernelLayout(input.descriptors.length, nameSize);
  const layout = { ...kernel, dataOffset: kernel.dataOffset + boundsBlockSize(input.descriptors) };
  const dataSize = input.dataSize ?? dataBlockSize(input.descriptors);
  return { layout, dataSize, fileSize: layout.dataOffset + dataSize };
}

/** Encodes header, id, descriptors, the bounds block (if any) and data block into a new byte array. */
export function encodeStatsFile(input: EncodeInput): Uint8Array {
  const { layout, dataSize, fileSize } = encodedLayout(input);
  const out = new Uint8Array(fileSize);
  encodeHeader(out, layout);
  putName(out, layout.idOffset, input.id, layout.nameSize, "id");
  const stride = DESC_FIXED_SIZE + layout.nameSize;
  let bounds = layout.descOffset + descBlockSize(layout);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  for (const [i, d] of input.descriptors.entries()) {
    let bucketSize = d.bucketSize;
    if (d.type === StatType.BoundsHistogram) {
      const b = boundsOf(d);
      bucketSize = b.length === 0 ? 0 : bounds;
      for (const x of b) {
        view.setFloat64(bounds, x, true);
        bounds += 8;
      }
    }
    encodeDescriptor(out, layout.descOffset + i * stride, d, layout.nameSize, bucketSize);
  }
  if (input.data) {
    const src = new Uint8Array(input.data.buffer, input.data.byteOffset, Math.min(dataSize, input.data.byteLength));
    out.set(src, layout.dataOffset);
  }
  return out;
}
