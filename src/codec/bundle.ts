/**
 * @module codec/bundle
 * The statsfs bundle file: every source and label set a process exports from one registered
 * tree, in one file (a statsfs extension; kernel-layout files are untouched). Little-endian,
 * every block 8-byte aligned:
 *
 *   header   64 bytes, u32 each: magic "SFSB", version 1, generation, header_size (64),
 *            entry_count, entry_offset, entry_capacity, meta_offset, meta_used,
 *            meta_capacity, data_offset, data_used, data_capacity, 3 × reserved (0)
 *   data     data_capacity bytes at data_offset (the writer puts it right after the header, so
 *            one pread returns the generation and every value); data_used bytes are in use
 *   entries  entry_capacity × 32 bytes at entry_offset, entry_count in use, u32 each:
 *            parent (index of an earlier entry, or 0xFFFFFFFF: the name is the whole path),
 *            name_offset, name_length (UTF-8 in the meta area: one path segment, or the whole
 *            `/`-separated path), schema_offset (in the meta area; 0xFFFFFFFF: no values),
 *            shard, flags (bit 0: live; others 0), data_offset (from the data area), words
 *   meta     meta_capacity bytes at meta_offset, meta_used in use: names and schema records.
 *            A schema record: u32 block_length, u32 extras_length, a kernel-layout stats file
 *            without its data block (header, empty id, descriptors, bounds block: codec/layout;
 *            its data_offset is block_length and its offsets are from the entry's data), then
 *            extras_length bytes of per-value extras (providers/shm/format/trailer), padded to 8.
 *            Entries with the same values (a value's label sets) share one record.
 *
 * The generation is a seqlock: a writer makes it odd before it changes the entry table, the meta
 * area or any used size, and even again after. A reader re-reads the table only when the
 * generation (or the file) changed, and only keeps a table read between two equal even
 * generations. Data is only appended: a region once given to an entry is never given to
 * another in the same file, so a table one change old still reads that entry's own values.
 * A file that runs out of capacity is replaced by a new, larger one (the writer's business).
 *
 * Every count, offset and length is checked against the file and the limits below before
 * anything is read or allocated from it; a failure is a {@link DecodeError} naming the field.
 */
import { DecodeError } from "../errors.js";
import type { StatDescriptor } from "../model/descriptor.js";
import type { StatsSchema } from "../model/stats-file.js";
import { BUNDLE_MAGIC, MAX_DATA_SIZE } from "./layout.js";
import type { Pread } from "./pread.js";
import { readSchema } from "./reader.js";
import { encodedLayout, encodeStatsFile } from "./writer.js";

export { BUNDLE_MAGIC };
export const BUNDLE_VERSION = 1;
export const BUNDLE_HEADER_SIZE = 64;
export const BUNDLE_ENTRY_SIZE = 32;
/** parent / schema_offset meaning "none". */
export const BUNDLE_NONE = 0xffffffff;
/** Entry flag: the entry is live (a removed source's entry stays, without it, until the file is rewritten). */
export const ENTRY_LIVE = 1;
/** Most entries a bundle may hold (1 Mi). */
export const MAX_BUNDLE_ENTRIES = 1 << 20;
/** Largest meta area (names and schemas): 256 MiB. */
export const MAX_BUNDLE_META = 1 << 28;
/** Largest data area: 256 MiB. */
export const MAX_BUNDLE_DATA = 1 << 28;
/** Most thread shards of one source (src/producer/threads). */
export const MAX_BUNDLE_SHARDS = 1024;
/** Deepest source path. */
export const MAX_BUNDLE_DEPTH = 64;

/** Field offsets in the header. */
export const BundleHeaderField = {
  magic: 0,
  version: 4,
  generation: 8,
  headerSize: 12,
  entryCount: 16,
  entryOffset: 20,
  entryCapacity: 24,
  metaOffset: 28,
  metaUsed: 32,
  metaCapacity: 36,
  dataOffset: 40,
  dataUsed: 44,
  dataCapacity: 48,
} as const;

/** The header's numbers. */
export interface BundleHeader {
  readonly generation: number;
  readonly entryCount: number;
  readonly entryOffset: number;
  readonly entryCapacity: number;
  readonly metaOffset: number;
  readonly metaUsed: number;
  readonly metaCapacity: number;
  readonly dataOffset: number;
  readonly dataUsed: number;
  readonly dataCapacity: number;
}

/** Field offsets in one entry. */
export const EntryField = {
  parent: 0,
  nameOffset: 4,
  nameLength: 8,
  schemaOffset: 12,
  shard: 16,
  flags: 20,
  dataOffset: 24,
  words: 28,
} as const;

/** One entry's raw numbers. */
export interface BundleEntryRaw {
  readonly parent: number;
  readonly nameOffset: number;
  readonly nameLength: number;
  readonly schemaOffset: number;
  readonly shard: number;
  readonly flags: number;
  readonly dataOffset: number;
  readonly words: number;
}

/** A decoded schema record. */
export interface BundleSchema {
  readonly schema: StatsSchema;
  /** The record's extras bytes (per-value extras; decoded by their owner). */
  readonly extras: Uint8Array;
}

/** A decoded, live entry. */
export interface BundleEntry {
  readonly index: number;
  readonly path: readonly string[];
  readonly shard: number;
  /** Undefined for a source without values. */
  readonly schema: BundleSchema | undefined;
  /** Byte offset of its values in the data area (a multiple of 8). */
  readonly dataOffset: number;
  readonly words: number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const utf8e = new TextEncoder();

/** Rounds up to a multiple of 8. */
export const align8 = (n: number): number => Math.ceil(n / 8) * 8;

/** Writes the header's numbers (magic, version, header size included) at the start of `out`. */
export function encodeBundleHeader(out: Uint8Array, h: BundleHeader): void {
  const v = new DataView(out.buffer, out.byteOffset, BUNDLE_HEADER_SIZE);
  v.setUint32(BundleHeaderField.magic, BUNDLE_MAGIC, true);
  v.setUint32(BundleHeaderField.version, BUNDLE_VERSION, true);
  v.setUint32(BundleHeaderField.generation, h.generation >>> 0, true);
  v.setUint32(BundleHeaderField.headerSize, BUNDLE_HEADER_SIZE, true);
  v.setUint32(BundleHeaderField.entryCount, h.entryCount, true);
  v.setUint32(BundleHeaderField.entryOffset, h.entryOffset, true);
  v.setUint32(BundleHeaderField.entryCapacity, h.entryCapacity, true);
  v.setUint32(BundleHeaderField.metaOffset, h.metaOffset, true);
  v.setUint32(BundleHeaderField.metaUsed, h.metaUsed, true);
  v.setUint32(BundleHeaderField.metaCapacity, h.metaCapacity, true);
  v.setUint32(BundleHeaderField.dataOffset, h.dataOffset, true);
  v.setUint32(BundleHeaderField.dataUsed, h.dataUsed, true);
  v.setUint32(BundleHeaderField.dataCapacity, h.dataCapacity, true);
}

/** The usual layout for given capacities: header, data, entries, meta. Returns the header (generation 0, nothing used) and the file size. */
export function bundleLayout(
  entryCapacity: number,
  metaCapacity: number,
  dataCapacity: number,
): { header: BundleHeader; fileSize: number } {
  const dataOffset = BUNDLE_HEADER_SIZE;
  const entryOffset = dataOffset + align8(dataCapacity);
  const metaOffset = entryOffset + entryCapacity * BUNDLE_ENTRY_SIZE;
  const fileSize = metaOffset + align8(metaCapacity);
  return {
    header: {
      generation: 0,
      entryCount: 0,
      entryOffset,
      entryCapacity,
      metaOffset,
      metaUsed: 0,
      metaCapacity: align8(metaCapacity),
      dataOffset,
      dataUsed: 0,
      dataCapacity: align8(dataCapacity),
    },
    fileSize,
  };
}

function fail(field: string, offset: number, why: string): never {
  throw new DecodeError(field, offset, why);
}

/**
 * Decodes and checks the header of a bundle of `fileSize` bytes: magic, version, header size,
 * every block inside the file, 8-aligned and not overlapping, used ≤ capacity ≤ the limits.
 * The generation is returned as is (odd: a writer is changing the table).
 */
export function decodeBundleHeader(bytes: Uint8Array, fileSize: number): BundleHeader {
  if (bytes.length < BUNDLE_HEADER_SIZE || fileSize < BUNDLE_HEADER_SIZE) {
    fail("header", 0, `premature EOF: the bundle header needs ${BUNDLE_HEADER_SIZE} bytes, file has ${Math.min(bytes.length, fileSize)}`);
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, BUNDLE_HEADER_SIZE);
  const u32 = (f: keyof typeof BundleHeaderField) => v.getUint32(BundleHeaderField[f], true);
  if (u32("magic") !== BUNDLE_MAGIC) fail("header.magic", 0, "not a statsfs bundle (bad magic)");
  if (u32("version") !== BUNDLE_VERSION) fail("header.version", 4, `bundle version ${u32("version")} is not ${BUNDLE_VERSION}`);
  if (u32("headerSize") !== BUNDLE_HEADER_SIZE)
    fail("header.header_size", 12, `header_size ${u32("headerSize")} is not ${BUNDLE_HEADER_SIZE}`);
  const h: BundleHeader = {
    generation: u32("generation"),
    entryCount: u32("entryCount"),
    entryOffset: u32("entryOffset"),
    entryCapacity: u32("entryCapacity"),
    metaOffset: u32("metaOffset"),
    metaUsed: u32("metaUsed"),
    metaCapacity: u32("metaCapacity"),
    dataOffset: u32("dataOffset"),
    dataUsed: u32("dataUsed"),
    dataCapacity: u32("dataCapacity"),
  };
  const limit = (field: keyof typeof BundleHeaderField, value: number, max: number, what: string) => {
    if (value > max) fail(`header.${snake(field)}`, BundleHeaderField[field], `${snake(field)} ${value} is above ${what} ${max}`);
  };
  limit("entryCapacity", h.entryCapacity, MAX_BUNDLE_ENTRIES, "the limit of");
  limit("entryCount", h.entryCount, h.entryCapacity, "entry_capacity");
  limit("metaCapacity", h.metaCapacity, MAX_BUNDLE_META, "the limit of");
  limit("metaUsed", h.metaUsed, h.metaCapacity, "meta_capacity");
  limit("dataCapacity", h.dataCapacity, MAX_BUNDLE_DATA, "the limit of");
  limit("dataUsed", h.dataUsed, h.dataCapacity, "data_capacity");
  const blocks = [
    { field: "entryOffset", name: "entry table", start: h.entryOffset, end: h.entryOffset + h.entryCapacity * BUNDLE_ENTRY_SIZE },
    { field: "metaOffset", name: "meta area", start: h.metaOffset, end: h.metaOffset + h.metaCapacity },
    { field: "dataOffset", name: "data area", start: h.dataOffset, end: h.dataOffset + h.dataCapacity },
  ] as const;
  for (const b of blocks) {
    const at = BundleHeaderField[b.field];
    if (b.start % 8 !== 0) fail(`header.${snake(b.field)}`, at, `${b.name} offset ${b.start} is not a multiple of 8`);
    if (b.start < BUNDLE_HEADER_SIZE) fail(`header.${snake(b.field)}`, at, `${b.name} offset ${b.start} lies inside the header`);
    if (b.end > fileSize)
      fail(`header.${snake(b.field)}`, at, `${b.name} [${b.start}, ${b.end}) lies past the end of the file (${fileSize} bytes)`);
  }
  for (let i = 0; i < blocks.length; i++) {
    for (let j = i + 1; j < blocks.length; j++) {
      const a = blocks[i] as (typeof blocks)[number];
      const b = blocks[j] as (typeof blocks)[number];
      if (a.start < b.end && b.start < a.end && a.start !== a.end && b.start !== b.end) {
        fail(
          `header.${snake(b.field)}`,
          BundleHeaderField[b.field],
          `${b.name} [${b.start}, ${b.end}) overlaps the ${a.name} [${a.start}, ${a.end})`,
        );
      }
    }
  }
  return h;
}

function snake(s: string): string {
  return s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** Reads entry `i` of a table (`table` holds the entries from the first). */
export function parseEntry(table: Uint8Array, i: number): BundleEntryRaw {
  const v = new DataView(table.buffer, table.byteOffset + i * BUNDLE_ENTRY_SIZE, BUNDLE_ENTRY_SIZE);
  const u32 = (f: keyof typeof EntryField) => v.getUint32(EntryField[f], true);
  return {
    parent: u32("parent"),
    nameOffset: u32("nameOffset"),
    nameLength: u32("nameLength"),
    schemaOffset: u32("schemaOffset"),
    shard: u32("shard"),
    flags: u32("flags"),
    dataOffset: u32("dataOffset"),
    words: u32("words"),
  };
}

/** Writes entry `i` of a table. */
export function encodeEntry(table: Uint8Array, i: number, e: BundleEntryRaw): void {
  const v = new DataView(table.buffer, table.byteOffset + i * BUNDLE_ENTRY_SIZE, BUNDLE_ENTRY_SIZE);
  v.setUint32(EntryField.parent, e.parent, true);
  v.setUint32(EntryField.nameOffset, e.nameOffset, true);
  v.setUint32(EntryField.nameLength, e.nameLength, true);
  v.setUint32(EntryField.schemaOffset, e.schemaOffset, true);
  v.setUint32(EntryField.shard, e.shard, true);
  v.setUint32(EntryField.flags, e.flags, true);
  v.setUint32(EntryField.dataOffset, e.dataOffset, true);
  v.setUint32(EntryField.words, e.words, true);
}

/** The UTF-8 bytes of a name. */
export function nameBytes(name: string): Uint8Array {
  return utf8e.encode(name);
}

/**
 * A schema record for `descriptors` (offsets from the entry's data; `dataSize` bytes of data)
 * with `extras` appended. Its length is a multiple of 8.
 */
export function encodeSchemaRecord(descriptors: readonly StatDescriptor[], dataSize: number, extras: Uint8Array): Uint8Array {
  let longest = 0;
  for (const d of descriptors) longest = Math.max(longest, utf8e.encode(d.name).length);
  const nameSize = Math.max(8, align8(longest + 1));
  const input = { id: "", descriptors, nameSize, dataSize };
  const { layout } = encodedLayout(input);
  const block = encodeStatsFile(input).subarray(0, layout.dataOffset);
  const out = new Uint8Array(align8(8 + block.length + extras.length));
  const v = new DataView(out.buffer);
  v.setUint32(0, block.length, true);
  v.setUint32(4, extras.length, true);
  out.set(block, 8);
  out.set(extras, 8 + block.length);
  return out;
}

/**
 * Decodes the schema record at `at` of the meta area `meta` (its used bytes) with the kernel-
 * layout decoder (codec/reader: every descriptor, bound and size checked). `metaBase` is the
 * meta area's file offset, for messages.
 */
export function decodeSchemaRecord(meta: Uint8Array, at: number, metaBase: number, field = "schema_offset"): BundleSchema {
  const where = `schema record at meta ${at}`;
  if (at % 8 !== 0) fail(field, metaBase + at, `${where} is not 8-aligned`);
  if (at + 8 > meta.length) fail(field, metaBase + at, `${where} lies past meta_used ${meta.length}`);
  const v = new DataView(meta.buffer, meta.byteOffset + at, 8);
  const blockLen = v.getUint32(0, true);
  const extrasLen = v.getUint32(4, true);
  const end = at + 8 + blockLen + extrasLen;
  if (end > meta.length)
    fail("schema.block_length", metaBase + at, `${where}: ${blockLen} + ${extrasLen} bytes run past meta_used ${meta.length}`);
  const block = meta.subarray(at + 8, at + 8 + blockLen);
  // The block is a stats file without its data: a virtual data block of zeros lets the
  // kernel-layout decoder check every offset against the block and the data size against the limit.
  const src: Pread = {
    size: blockLen + MAX_DATA_SIZE,
    pread(buf, pos) {
      if (pos >= blockLen) {
        buf.fill(0);
        return buf.length;
      }
      const n = Math.min(buf.length, blockLen - pos);
      buf.set(block.subarray(pos, pos + n));
      if (n < buf.length) buf.fill(0, n);
      return buf.length;
    },
  };
  let decoded: ReturnType<typeof readSchema>;
  try {
    decoded = readSchema(src);
  } catch (e) {
    if (e instanceof DecodeError)
      fail(`schema.${e.field}`, metaBase + at + 8 + e.offset, `${where}: ${e.message.replace(/ \([^()]* at byte \d+\)$/, "")}`);
    throw e;
  }
  if (decoded.layout.dataOffset !== blockLen) {
    fail(
      "schema.data_offset",
      metaBase + at + 8 + 20,
      `${where}: data_offset ${decoded.layout.dataOffset} is not the block length ${blockLen}`,
    );
  }
  return { schema: decoded.schema, extras: meta.subarray(at + 8 + blockLen, end) };
}

/**
 * Decodes the live entries of a bundle: `table` holds its first `h.entryCount` entries, `meta`
 * its used meta area. Names are resolved to paths through their parents (an earlier entry,
 * so no cycle), schemas decoded once per record, every entry's values checked to lie in the
 * used data area and to cover its schema's data block.
 */
export function decodeBundleEntries(h: BundleHeader, table: Uint8Array, meta: Uint8Array): BundleEntry[] {
  if (table.length < h.entryCount * BUNDLE_ENTRY_SIZE) fail("entry table", h.entryOffset, "entry table shorter than entry_count");
  if (meta.length < h.metaUsed) fail("meta area", h.metaOffset, "meta area shorter than meta_used");
  const used = meta.subarray(0, h.metaUsed);
  const schemas = new Map<number, BundleSchema>();
  const paths: (readonly string[] | undefined)[] = [];
  const out: BundleEntry[] = [];
  for (let i = 0; i < h.entryCount; i++) {
    const e = parseEntry(table, i);
    const at = h.entryOffset + i * BUNDLE_ENTRY_SIZE;
    const field = (f: keyof typeof EntryField) => [`entry[${i}].${snake(f)}`, at + EntryField[f]] as const;
    if ((e.flags & ~ENTRY_LIVE) !== 0) fail(...field("flags"), `entry ${i} flags 0x${e.flags.toString(16)} has unknown bits`);
    if (e.nameLength === 0 || e.nameOffset + e.nameLength > h.metaUsed) {
      fail(...field("nameLength"), `entry ${i} name [${e.nameOffset}, +${e.nameLength}) is empty or past meta_used ${h.metaUsed}`);
    }
    if ((e.flags & ENTRY_LIVE) === 0) {
      paths.push(undefined);
      continue;
    }
    if (e.shard >= MAX_BUNDLE_SHARDS) fail(...field("shard"), `entry ${i} shard ${e.shard} is above ${MAX_BUNDLE_SHARDS - 1}`);
    let name: string;
    try {
      name = utf8.decode(used.subarray(e.nameOffset, e.nameOffset + e.nameLength));
    } catch {
      fail(...field("nameOffset"), `entry ${i} name is not UTF-8`);
    }
    let path: readonly string[];
    if (e.parent === BUNDLE_NONE) path = name.split("/");
    else {
      if (e.parent >= i) fail(...field("parent"), `entry ${i} parent ${e.parent} is not an earlier entry`);
      const p = paths[e.parent];
      if (!p) fail(...field("parent"), `entry ${i} parent ${e.parent} is not a live entry`);
      if (name.includes("/")) fail(...field("nameOffset"), `entry ${i} name is not one path segment`);
      path = [...p, name];
    }
    if (path.length > MAX_BUNDLE_DEPTH || path.some((s) => s === "" || s === "." || s === "..")) {
      fail(...field("nameOffset"), `entry ${i} path is not a source path (empty, ".", ".." or deeper than ${MAX_BUNDLE_DEPTH})`);
    }
    paths.push(path);
    let schema: BundleSchema | undefined;
    if (e.schemaOffset !== BUNDLE_NONE) {
      schema = schemas.get(e.schemaOffset);
      if (!schema) {
        schema = decodeSchemaRecord(used, e.schemaOffset, h.metaOffset, field("schemaOffset")[0]);
        schemas.set(e.schemaOffset, schema);
      }
      if (e.dataOffset % 8 !== 0) fail(...field("dataOffset"), `entry ${i} data_offset ${e.dataOffset} is not a multiple of 8`);
      if (e.words * 8 < schema.schema.dataSize) {
        fail(...field("words"), `entry ${i} has ${e.words} words, its schema describes ${schema.schema.dataSize / 8}`);
      }
      if (e.dataOffset + e.words * 8 > h.dataUsed) {
        fail(...field("words"), `entry ${i} values [${e.dataOffset}, ${e.dataOffset + e.words * 8}) lie past data_used ${h.dataUsed}`);
      }
    }
    out.push({ index: i, path, shard: e.shard, schema, dataOffset: e.dataOffset, words: e.words });
  }
  return out;
}

/** One entry for {@link encodeBundle}. */
export interface BundleInputEntry {
  readonly path: readonly string[];
  readonly shard?: number;
  /** Its values' descriptors (offsets from its data); none: a source without values. */
  readonly descriptors?: readonly StatDescriptor[];
  /** Per-value extras bytes stored with the schema. */
  readonly extras?: Uint8Array;
  /** Values (at least the descriptors' data block); zeros when absent. */
  readonly data?: BigUint64Array;
}

/**
 * A whole bundle in memory (generation `generation`, no spare room): for tools, tests and
 * fixtures. Entries carry their whole paths; equal schemas share one record.
 */
export function encodeBundle(entries: readonly BundleInputEntry[], generation = 0): Uint8Array {
  const names = entries.map((e) => nameBytes(e.path.join("/")));
  const records = entries.map((e) => {
    if (!e.descriptors) return undefined;
    let size = 0;
    for (const d of e.descriptors) size = Math.max(size, d.offset + d.size * 8);
    size = Math.max(size, (e.data?.length ?? 0) * 8);
    return { rec: encodeSchemaRecord(e.descriptors, size, e.extras ?? new Uint8Array(0)), size };
  });
  const meta: Uint8Array[] = [];
  let metaUsed = 0;
  const schemaAt = new Map<string, number>();
  const nameAt: number[] = [];
  const recAt: number[] = [];
  names.forEach((n, i) => {
    nameAt.push(metaUsed);
    meta.push(n);
    metaUsed += n.length;
    const r = records[i];
    if (!r) {
      recAt.push(BUNDLE_NONE);
      return;
    }
    const key = Array.from(r.rec).join(",");
    let at = schemaAt.get(key);
    if (at === undefined) {
      at = align8(metaUsed);
      meta.push(new Uint8Array(at - metaUsed), r.rec);
      metaUsed = at + r.rec.length;
      schemaAt.set(key, at);
    }
    recAt.push(at);
  });
  const dataUsed = records.reduce((n, r) => n + (r?.size ?? 0), 0);
  const { header, fileSize } = bundleLayout(entries.length, metaUsed, dataUsed);
  const h: BundleHeader = { ...header, generation, entryCount: entries.length, metaUsed, dataUsed };
  const out = new Uint8Array(fileSize);
  encodeBundleHeader(out, h);
  let m = h.metaOffset;
  for (const b of meta) {
    out.set(b, m);
    m += b.length;
  }
  const table = out.subarray(h.entryOffset);
  let data = 0;
  entries.forEach((e, i) => {
    const r = records[i];
    const size = r?.size ?? 0;
    encodeEntry(table, i, {
      parent: BUNDLE_NONE,
      nameOffset: nameAt[i] as number,
      nameLength: (names[i] as Uint8Array).length,
      schemaOffset: recAt[i] as number,
      shard: e.shard ?? 0,
      flags: ENTRY_LIVE,
      dataOffset: data,
      words: size / 8,
    });
    if (e.data) out.set(new Uint8Array(e.data.buffer, e.data.byteOffset, Math.min(size, e.data.byteLength)), h.dataOffset + data);
    data += size;
  });
  return out;
}
