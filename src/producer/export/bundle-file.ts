/**
 * @module producer/export/bundle-file
 * The producer's side of one bundle file (codec/bundle.ts): every source of a registered tree
 * (or every thread shard of one sharded source) in one mapped memfd (mapped-file.ts). The
 * exporter appends an entry when a source joins, moves an entry's values to a new region when
 * its source gains values, and clears an entry's live flag when its source leaves — each inside
 * a generation bracket (odd while the table changes; readers keep no table read across it).
 * When an append or a move does not fit, the exporter builds a new file with twice the room
 * (amortised doubling) from its tree, copies every value into it before publishing it, and
 * rebinds every handle (Store.place).
 *
 * Entries with the same values (a value's label sets) share one schema record; a source without
 * values gets an entry without schema, so readers see the tree.
 */
import { align8, BUNDLE_NONE, type BundleHeader, bundleLayout, encodeSchemaRecord, nameBytes } from "../../codec/bundle.js";
import { BundleWriter } from "../../codec/bundle-writer.js";
import { makeDescriptor, type StatDescriptor } from "../../model/descriptor.js";
import { encodeTrailer } from "../../providers/shm/format/trailer.js";
import type { ValueSlot } from "../definition.js";
import type { Source } from "../source.js";
import { type ShardView, viewOf } from "../store.js";
import { MappedFile } from "./mapped-file.js";

/** Descriptors of a source's values, in data-block order. */
export function descriptorsOf(values: readonly ValueSlot[]): StatDescriptor[] {
  return values.map((v) =>
    makeDescriptor({
      name: v.name,
      type: v.type,
      unit: v.unit,
      base: v.base,
      exponent: v.exponent,
      size: v.size,
      offset: v.word * 8,
      bucketSize: v.bucketSize,
      encoding: v.encoding,
      ...(v.bounds !== undefined ? { bounds: v.bounds } : {}),
    }),
  );
}

/** Records already encoded, by what they encode (a value's label sets all have the same). */
const records = new Map<string, Uint8Array>();
const MAX_CACHED_RECORDS = 4096;

/** The record last made for a values array, by identity (a source's values, shared by a value's label sets). */
const byValues = new WeakMap<readonly ValueSlot[], { words: number; rec: Uint8Array }>();

/** The schema record of a set of values (descriptors and per-value extras); equal values give the same (shared) bytes. */
export function schemaRecordOf(values: readonly ValueSlot[], words: number): Uint8Array {
  // Label sets of one value share one frozen slots array (producer/definition slotsOf): known by identity.
  const known = byValues.get(values);
  if (known?.words === words) return known.rec;
  let key = `${words}`;
  for (const v of values) {
    key += `|${v.name}:${v.type}:${v.unit}:${v.base}:${v.exponent}:${v.size}:${v.word}:${v.bucketSize}:${v.encoding}:${v.kinds.join(",")}:${v.writable}:${v.bounds?.join(",") ?? ""}`;
  }
  let rec = records.get(key);
  if (!rec) {
    rec = encodeSchemaRecord(descriptorsOf(values), words * 8, encodeTrailer(values));
    if (records.size >= MAX_CACHED_RECORDS) records.clear();
    records.set(key, rec);
  }
  byValues.set(values, { words, rec });
  return rec;
}

/** The schema record of a source's current values (a rebuild finds it by the values array). */
function recordOf(source: Source): Uint8Array {
  return schemaRecordOf(source.values, source.store.words);
}

/** One entry to write: a source's shard, under the entry `parent` of the same file (or at its whole path). */
export interface EntrySpec {
  readonly source: Source;
  readonly shard: number;
  /** Index (in the same list / file) of its parent's entry; undefined: the entry carries the whole path. */
  readonly parent: number | undefined;
}

interface Placed {
  readonly source: Source;
  readonly shard: number;
  dataOffset: number;
  words: number;
}

/** Room to start with (before doubling). */
const MIN_ENTRIES = 16;
const MIN_META = 4096;
const MIN_DATA = 1024;

/** The key under which a file keeps a schema record it holds: its bytes, so equal schemas share one record. */
const keys = new WeakMap<Uint8Array, string>();
function recordKey(rec: Uint8Array): string {
  let k = keys.get(rec);
  if (k === undefined) {
    k = Buffer.from(rec.buffer, rec.byteOffset, rec.byteLength).toString("latin1");
    keys.set(rec, k);
  }
  return k;
}

/** A bundle file the producer holds and writes. */
export class BundleFile {
  #file: MappedFile | undefined;
  readonly #w: BundleWriter;
  readonly #entries: Placed[] = [];
  readonly #schemas = new Map<string, number>();

  private constructor(buffer: ArrayBuffer, header: BundleHeader) {
    this.#w = new BundleWriter(new Uint8Array(buffer), header);
  }

  /** The published file. */
  get file(): MappedFile {
    return this.#file as MappedFile;
  }

  get path(): string {
    return this.file.path;
  }

  /** Entries in the file (live or not). */
  get entryCount(): number {
    return this.#entries.length;
  }

  /**
   * Builds and publishes a new file holding `specs` (in order: a parent before its children),
   * with room for at least `room` × what they need; every value is copied from the sources'
   * current memory before the file is named. The caller then moves each store onto
   * {@link view} of its entries.
   */
  static build(dirfd: number, path: string, specs: readonly EntrySpec[], replacing: boolean, room = 2): BundleFile {
    const records: (Uint8Array | undefined)[] = [];
    const names: Uint8Array[] = [];
    const seen = new Map<string, number>();
    let meta = 0;
    let data = 0;
    for (const s of specs) {
      const name = nameBytes(s.parent === undefined ? s.source.path.join("/") : s.source.name);
      names.push(name);
      meta += name.length;
      const words = s.source.store.words;
      if (words === 0) {
        records.push(undefined);
        continue;
      }
      const rec = recordOf(s.source);
      records.push(rec);
      const key = recordKey(rec);
      if (!seen.has(key)) {
        seen.set(key, 0);
        meta = align8(meta) + rec.length;
      }
      data += words * 8;
    }
    const { header, fileSize } = bundleLayout(
      Math.max(MIN_ENTRIES, Math.ceil(specs.length * room)),
      Math.max(MIN_META, Math.ceil(meta * room)),
      Math.max(MIN_DATA, Math.ceil(data * room)),
    );
    let made: BundleFile | undefined;
    const file = MappedFile.create({
      dirfd,
      path,
      size: fileSize,
      replacing,
      fill: (bytes) => {
        const b = new BundleFile(bytes.buffer as ArrayBuffer, header);
        specs.forEach((s, i) => {
          b.#append(s, names[i] as Uint8Array, records[i]);
          // Values as they are now: a reader of the new file never sees a counter go back.
          const view = b.view(i);
          const cur = s.source.store.shards[s.shard];
          if (view && cur) view.b.set(cur.b.subarray(0, Math.min(view.b.length, cur.b.length)));
        });
        b.#w.writeHeader();
        made = b;
      },
    });
    const out = made as unknown as BundleFile;
    out.#file = file;
    return out;
  }

  /** The values of entry `i` in the mapping (undefined for an entry without values). */
  view(i: number): ShardView | undefined {
    const e = this.#entries[i];
    if (!e || e.words === 0) return undefined;
    return viewOf(this.#w.u8.buffer, this.#w.h.dataOffset + e.dataOffset, e.words);
  }

  /** The file offset of entry `i`'s values (for worker threads mapping the file). */
  dataOffsetOf(i: number): number {
    return this.#w.h.dataOffset + (this.#entries[i]?.dataOffset ?? 0);
  }

  /** Starts a change of the table: the generation turns odd. */
  begin(): void {
    this.#w.begin();
  }

  /** Ends a change: the generation turns even (readers re-read the table at their next poll). */
  end(): void {
    this.#w.end();
  }

  /** Bytes of meta a new entry needs (its name and, unless shared, its schema record). */
  #metaNeed(name: Uint8Array, rec: Uint8Array | undefined): number {
    let need = name.length;
    const used = this.#w.h.metaUsed;
    if (rec && !this.#schemas.has(recordKey(rec))) need = align8(used + need) - used + rec.length;
    return need;
  }

  /** The meta offset of `rec` (written now unless an equal record is there). */
  #record(rec: Uint8Array): number {
    const key = recordKey(rec);
    let at = this.#schemas.get(key);
    if (at === undefined) {
      at = this.#w.appendMeta(rec, true);
      this.#schemas.set(key, at);
    }
    return at;
  }

  #append(s: EntrySpec, name: Uint8Array, rec: Uint8Array | undefined): number {
    const nameOffset = this.#w.appendMeta(name, false);
    const words = rec ? s.source.store.words : 0;
    const schemaOffset = rec ? this.#record(rec) : BUNDLE_NONE;
    const dataOffset = this.#w.reserveData(words * 8);
    const i = this.#w.appendEntry({
      parent: s.parent ?? BUNDLE_NONE,
      nameOffset,
      nameLength: name.length,
      schemaOffset,
      shard: s.shard,
      dataOffset,
      words,
    });
    this.#entries.push({ source: s.source, shard: s.shard, dataOffset, words });
    return i;
  }

  /**
   * Appends an entry for `s` (inside {@link begin}/{@link end}); undefined when the file has no
   * room (the caller builds a bigger one). The entry's region is zero; the caller moves the
   * store onto {@link view} (copying its values) before {@link end}.
   */
  tryAppend(s: EntrySpec): number | undefined {
    const name = nameBytes(s.parent === undefined ? s.source.path.join("/") : s.source.name);
    const words = s.source.store.words;
    const rec = words > 0 ? recordOf(s.source) : undefined;
    if (!this.#w.fits(1, this.#metaNeed(name, rec), words * 8)) return undefined;
    return this.#append(s, name, rec);
  }

  /**
   * Gives entry `i` a new schema and a new (zero) region for its source's current values
   * (inside {@link begin}/{@link end}); false when the file has no room. The old region keeps
   * its last values for readers one table behind.
   */
  tryUpdate(i: number): boolean {
    const e = this.#entries[i];
    if (!e) return false;
    const words = e.source.store.words;
    const rec = words > 0 ? recordOf(e.source) : undefined;
    if (!this.#w.fits(0, this.#metaNeed(new Uint8Array(0), rec), words * 8)) return false;
    const schemaOffset = rec ? this.#record(rec) : BUNDLE_NONE;
    e.dataOffset = this.#w.reserveData(words * 8);
    e.words = words;
    this.#w.setEntry(i, schemaOffset, e.dataOffset, words);
    return true;
  }

  /** Marks entry `i` removed (inside {@link begin}/{@link end}). */
  kill(i: number): void {
    if (i < this.#entries.length) this.#w.kill(i);
  }

  /** Unmaps and closes the file; with its directory's fd, also unlinks its name. */
  remove(dirfd?: number): void {
    this.file.remove(dirfd);
  }
}
