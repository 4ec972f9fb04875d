/**
 * @module codec/writer
 * Encodes a stats file in the kernel's final layout, byte for byte what the kernel would serve
 * for the same id, descriptors and values.
 */
import { StatsfsError } from "../errors.js";
import { dataBlockSize, type StatDescriptor } from "../model/descriptor.js";
import { type BinaryLayout, DESC_FIXED_SIZE, Desc, HEADER_SIZE, Header, KVM_NAME_SIZE, kernelLayout } from "./layout.js";

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
    throw new StatsfsError("STATSFS_ENCODE", `${what} "${text}" is ${bytes.length} bytes; name_size ${size} allows ${size - 1}`);
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

/** Writes one descriptor record at `at`. */
export function encodeDescriptor(out: Uint8Array, at: number, d: StatDescriptor, nameSize: number): void {
  const v = new DataView(out.buffer, out.byteOffset + at, DESC_FIXED_SIZE);
  v.setUint32(Desc.flags, d.flags, true);
  v.setInt16(Desc.exponent, d.exponent, true);
  v.setUint16(Desc.size, d.size, true);
  v.setUint32(Desc.offset, d.offset, true);
  v.setUint32(Desc.bucketSize, d.bucketSize, true);
  putName(out, at + Desc.name, d.name, nameSize, "stat name");
}

/** The layout and total size {@link encodeStatsFile} uses for an input. */
export function encodedLayout(input: EncodeInput): { layout: BinaryLayout; dataSize: number; fileSize: number } {
  const nameSize = input.nameSize ?? KVM_NAME_SIZE;
  if (nameSize <= 0 || nameSize % 8 !== 0) {
    throw new StatsfsError("STATSFS_ENCODE", `name_size ${nameSize} must be a positive multiple of 8`);
  }
  const layout = kernelLayout(input.descriptors.length, nameSize);
  const dataSize = input.dataSize ?? dataBlockSize(input.descriptors);
  return { layout, dataSize, fileSize: layout.dataOffset + dataSize };
}

/** Encodes header, id, descriptors and data block into a new byte array. */
export function encodeStatsFile(input: EncodeInput): Uint8Array {
  const { layout, dataSize, fileSize } = encodedLayout(input);
  const out = new Uint8Array(fileSize);
  encodeHeader(out, layout);
  putName(out, layout.idOffset, input.id, layout.nameSize, "id");
  const stride = DESC_FIXED_SIZE + layout.nameSize;
  for (const [i, d] of input.descriptors.entries()) encodeDescriptor(out, layout.descOffset + i * stride, d, layout.nameSize);
  if (input.data) {
    const src = new Uint8Array(input.data.buffer, input.data.byteOffset, Math.min(dataSize, input.data.byteLength));
    out.set(src, layout.dataOffset);
  }
  return out;
}
