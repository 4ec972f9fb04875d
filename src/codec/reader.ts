/**
 * @module codec/reader
 * Decodes a binary stats file strictly by its header's offsets (and statsfs's extensions: a
 * descriptor's encoding bits are kept in its flags, a bounds histogram's bounds are read from
 * the offset its bucket_size gives, once, with the schema). The schema (header, id,
 * descriptors) is read once; {@link BinaryStatsReader.poll} then re-reads only the data block
 * into a buffer allocated once. Every size taken from the file is checked against what the file
 * really holds before anything is allocated from it.
 */
import { DecodeError } from "../errors.js";
import { descriptorFromRaw, type StatDescriptor } from "../model/descriptor.js";
import { StatType } from "../model/flags.js";
import type { StatsSchema } from "../model/stats-file.js";
import {
  type BinaryLayout,
  BUNDLE_MAGIC,
  DESC_FIXED_SIZE,
  Desc,
  descBlockSize,
  HEADER_SIZE,
  Header,
  MAX_DATA_SIZE,
  MAX_DESCRIPTORS,
  MAX_LOG2_BUCKETS,
  MAX_NAME_SIZE,
  MAX_VALUES,
} from "./layout.js";
import type { Pread } from "./pread.js";

const utf8 = new TextDecoder();

/** Reads exactly `len` bytes at `pos`, or throws naming `field`. */
export function readExact(src: Pread, pos: number, len: number, field: string): Uint8Array {
  const buf = new Uint8Array(len);
  readInto(src, buf, pos, field);
  return buf;
}

/** Fills `buf` from `pos`, or throws naming `field` and where the data ran out. */
export function readInto(src: Pread, buf: Uint8Array, pos: number, field: string): void {
  let got = 0;
  while (got < buf.length) {
    const n = src.pread(got === 0 ? buf : buf.subarray(got), pos + got);
    if (n <= 0) {
      throw new DecodeError(field, pos + got, `premature EOF: ${field} needs ${buf.length} bytes, file ends after ${got}`);
    }
    got += n;
  }
}

/**
 * Whether the file reaches byte `end` (byte `end − 1` exists): from its size when known, else
 * by reading that one byte. A cheap check before allocating anything sized by a header field.
 */
export function reaches(src: Pread, end: number): boolean {
  if (end <= 0) return true;
  if (src.size !== undefined) return end <= src.size;
  return src.pread(new Uint8Array(1), end - 1) === 1;
}

/** Throws unless the block [start, end) lies within the file, naming `field`. */
function requireEnd(src: Pread, start: number, end: number, field: string): void {
  if (end <= start || reaches(src, end)) return;
  const has = src.size !== undefined ? `file has ${Math.max(0, src.size - start)}` : `file ends before byte ${end}`;
  throw new DecodeError(field, start, `premature EOF: ${field} needs ${end - start} bytes, ${has}`);
}

/** The text before the first NUL of `bytes`, and whether there was one. */
export function cText(bytes: Uint8Array): { text: string; terminated: boolean } {
  const nul = bytes.indexOf(0);
  return { text: utf8.decode(nul < 0 ? bytes : bytes.subarray(0, nul)), terminated: nul >= 0 };
}

/** A NUL-terminated string within `bytes`, or throws. */
function cString(bytes: Uint8Array, field: string, offset: number): string {
  const { text, terminated } = cText(bytes);
  if (!terminated) throw new DecodeError(field, offset, `${field} is not NUL-terminated within ${bytes.length} bytes`);
  return text;
}

/** Reads the header's six numbers without judging them. */
export function parseHeader(bytes: Uint8Array): BinaryLayout {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number) => v.getUint32(o, true);
  return {
    flags: u32(Header.flags),
    nameSize: u32(Header.nameSize),
    numDesc: u32(Header.numDesc),
    idOffset: u32(Header.idOffset),
    descOffset: u32(Header.descOffset),
    dataOffset: u32(Header.dataOffset),
  };
}

/** Decodes the 24-byte header, rejecting flags ≠ 0 and a name_size of 0 or above the maximum. */
export function decodeHeader(bytes: Uint8Array): BinaryLayout {
  const layout = parseHeader(bytes);
  if (layout.flags === BUNDLE_MAGIC) {
    throw new DecodeError(
      "header.flags",
      Header.flags,
      "a statsfs bundle (a producer's exported tree), not one stats file: read it with shm:NAME?dir=DIR",
    );
  }
  if (layout.flags !== 0) {
    throw new DecodeError("header.flags", Header.flags, `header flags are 0x${layout.flags.toString(16)}, must be 0`);
  }
  if (layout.nameSize === 0 || layout.nameSize > MAX_NAME_SIZE) {
    throw new DecodeError("header.name_size", Header.nameSize, `name_size ${layout.nameSize} is out of range 1..${MAX_NAME_SIZE}`);
  }
  return layout;
}

interface Block {
  name: string;
  start: number;
  end: number;
}

function checkOverlap(blocks: readonly Block[]): void {
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const a = blocks[i];
      const b = blocks[j];
      if (!a || !b || a.start === a.end || b.start === b.end) continue;
      if (a.start < b.end && b.start < a.end) {
        const later = a.start >= b.start ? a : b;
        throw new DecodeError(later.name, later.start, `${a.name} [${a.start}, ${a.end}) overlaps ${b.name} [${b.start}, ${b.end})`);
      }
    }
  }
}

/** One descriptor record at `at` in `bytes`, read without judging it. */
export function parseDescriptor(bytes: Uint8Array, at: number, nameSize: number): { descriptor: StatDescriptor; terminated: boolean } {
  const v = new DataView(bytes.buffer, bytes.byteOffset + at, DESC_FIXED_SIZE);
  const { text, terminated } = cText(bytes.subarray(at + Desc.name, at + Desc.name + nameSize));
  const descriptor = descriptorFromRaw(
    text,
    v.getUint32(Desc.flags, true),
    v.getInt16(Desc.exponent, true),
    v.getUint16(Desc.size, true),
    v.getUint32(Desc.offset, true),
    v.getUint32(Desc.bucketSize, true),
  );
  return { descriptor, terminated };
}

/** Everything read once from a binary stats file. */
export interface DecodedSchema {
  readonly layout: BinaryLayout;
  readonly id: string;
  readonly schema: StatsSchema;
}

/** Reads and validates header, id and descriptors. Data offsets are checked against the file. */
export function readSchema(src: Pread): DecodedSchema {
  const layout = decodeHeader(readExact(src, 0, HEADER_SIZE, "header"));
  const { nameSize, numDesc, idOffset, descOffset, dataOffset } = layout;
  const idEnd = idOffset + nameSize;
  requireEnd(src, idOffset, idEnd, "id");
  const id = cString(readExact(src, idOffset, nameSize, "id"), "id", idOffset);

  if (numDesc > MAX_DESCRIPTORS) {
    throw new DecodeError("header.num_desc", Header.numDesc, `num_desc ${numDesc} is above the limit of ${MAX_DESCRIPTORS}`);
  }
  const descSize = descBlockSize(layout);
  const blocks: Block[] = [
    { name: "header", start: 0, end: HEADER_SIZE },
    { name: "id", start: idOffset, end: idEnd },
    { name: "descriptor block", start: descOffset, end: descOffset + descSize },
  ];
  checkOverlap(blocks);
  requireEnd(src, descOffset, descOffset + descSize, "descriptor block");
  const raw = readExact(src, descOffset, descSize, "descriptor block");
  const stride = DESC_FIXED_SIZE + nameSize;
  const descriptors: StatDescriptor[] = [];
  let dataSize = 0;
  let last: StatDescriptor | undefined;
  /** Values described so far, and after each descriptor (to name the one that went over a bound). */
  let values = 0;
  const running = new Float64Array(numDesc);
  for (let i = 0; i < numDesc; i++) {
    const at = i * stride;
    const { descriptor: d, terminated } = parseDescriptor(raw, at, nameSize);
    if (!terminated) {
      throw new DecodeError(
        `descriptor[${i}].name`,
        descOffset + at + Desc.name,
        `descriptor ${i} name is not NUL-terminated within ${nameSize} bytes`,
      );
    }
    if (d.offset % 8 !== 0) {
      throw new DecodeError(
        `${d.name}.offset`,
        descOffset + at + Desc.offset,
        `stat "${d.name}" offset ${d.offset} is not a multiple of 8`,
      );
    }
    if (d.type === StatType.Log2Histogram && d.size > MAX_LOG2_BUCKETS) {
      throw new DecodeError(
        `${d.name}.size`,
        descOffset + at + Desc.size,
        `stat "${d.name}" is a log2 histogram of ${d.size} buckets; at most ${MAX_LOG2_BUCKETS} can hold a u64 sample`,
      );
    }
    const end = d.offset + d.size * 8;
    if (end > MAX_DATA_SIZE) {
      throw new DecodeError(
        `${d.name}.offset`,
        descOffset + at + Desc.offset,
        `stat "${d.name}" ends at data byte ${end}, above the limit of ${MAX_DATA_SIZE}`,
      );
    }
    if (end > dataSize) {
      dataSize = end;
      last = d;
    }
    values += d.size;
    running[i] = values;
    if (values > MAX_VALUES) {
      throw new DecodeError(
        `${d.name}.size`,
        descOffset + at + Desc.size,
        `stat "${d.name}" brings the schema to ${values} values, above the limit of ${MAX_VALUES}`,
      );
    }
    descriptors.push(d);
  }
  const words = dataSize / 8;
  if (values > words) {
    // Statistics overlap: name the first descriptor whose values go beyond one per data word.
    const i = running.findIndex((n) => n > words);
    const d = descriptors[i] as StatDescriptor;
    throw new DecodeError(
      `${d.name}.size`,
      descOffset + i * stride + Desc.size,
      `stats describe ${values} values in a data block of ${words} words (statistics overlap); stat "${d.name}" goes beyond one value per word`,
    );
  }
  // statsfs extension: each bounds histogram's bounds, read once (model/flags, codec/layout).
  for (const [i, d] of descriptors.entries()) {
    if (d.type !== StatType.BoundsHistogram) continue;
    const n = d.size - 1;
    const at = d.bucketSize;
    if (n <= 0) {
      descriptors[i] = { ...d, bounds: [] };
      continue;
    }
    const name = `${d.name} bounds`;
    if (at % 8 !== 0) throw new DecodeError(name, at, `stat "${d.name}" bounds offset ${at} is not a multiple of 8`);
    requireEnd(src, at, at + n * 8, name);
    blocks.push({ name, start: at, end: at + n * 8 });
    const raw = readExact(src, at, n * 8, name);
    const v = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const bounds: number[] = [];
    for (let k = 0; k < n; k++) {
      const x = v.getFloat64(8 * k, true);
      if (!Number.isFinite(x) || (k > 0 && !(x > (bounds[k - 1] as number)))) {
        throw new DecodeError(name, at + 8 * k, `stat "${d.name}" bound ${k} (${x}) is not finite and above the one before`);
      }
      bounds.push(x);
    }
    descriptors[i] = { ...d, bounds };
  }
  checkOverlap([...blocks, { name: "data block", start: dataOffset, end: dataOffset + dataSize }]);
  if (last) {
    if (!reaches(src, dataOffset + dataSize)) {
      const at = dataOffset + last.offset;
      throw new DecodeError(
        `${last.name} values`,
        at,
        `stat "${last.name}" values [${last.offset}, ${dataSize}) lie outside the data block`,
      );
    }
  }
  return { layout, id, schema: { descriptors, dataSize, nameSize } };
}

/**
 * A binary stats file opened for polling: the schema read once, then {@link poll} re-reads the
 * data block into `data`, which is allocated once and updated in place.
 */
export class BinaryStatsReader {
  readonly layout: BinaryLayout;
  readonly id: string;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  readonly #bytes: Uint8Array;
  readonly #src: Pread;

  constructor(src: Pread) {
    const { layout, id, schema } = readSchema(src);
    this.#src = src;
    this.layout = layout;
    this.id = id;
    this.schema = schema;
    this.data = new BigUint64Array(schema.dataSize / 8);
    this.#bytes = new Uint8Array(this.data.buffer);
    this.poll();
  }

  /** Re-reads the data block into {@link data}. */
  poll(): void {
    const n = this.#src.pread(this.#bytes, this.layout.dataOffset);
    if (n !== this.#bytes.length) readInto(this.#src, this.#bytes, this.layout.dataOffset, "data block");
  }
}
