/**
 * @module providers/shm/bundle-reader
 * One exported bundle file (codec/bundle.ts) as the `shm:` reader holds it: an fd opened and
 * checked by format/entry.ts, a buffer holding the header and the used data area, and the
 * decoded table of entries. A steady poll is one pread (header and data are adjacent in every
 * producer's file) that also brings the generation; the table (entries, names, schemas) is read
 * again only when the generation moved, and is kept only when the generation is the same even
 * number before and after it was read (a seqlock): data is never decoded with a schema of
 * another generation. A generation that stays odd (a writer stopped mid-change) or never
 * settles fails the poll with one line naming the file and field, as does any count, offset or
 * length out of bounds.
 *
 * Each live entry shows as an {@link EntryFile}: a stats file (`statsfs-<instance>[~k]/<path>`)
 * over the entry's values in the buffer, with its value slots (extras and HELP text from
 * format/trailer.ts).
 */
import { closeSync, fstatSync, openSync, readSync, writeSync } from "node:fs";
import {
  align8,
  BUNDLE_ENTRY_SIZE,
  BUNDLE_HEADER_SIZE,
  type BundleEntry,
  type BundleHeader,
  BundleHeaderField,
  decodeBundleEntries,
  decodeBundleHeader,
} from "../../codec/bundle.js";
import { KVM_NAME_SIZE } from "../../codec/layout.js";
import { DecodeError, SourceError } from "../../errors.js";
import { parseId, producerFileId, type StatsIdentity } from "../../model/identity.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { defaultKind, type ValueSlot } from "../aggregate/values.js";
import { located } from "../file/fd-file.js";
import { decodeDescription, decodeTrailer } from "./format/trailer.js";

/** How long a generation may stay odd (or keep moving) before the poll fails (see {@link isUnsettled}). */
export const SETTLE_MS = 200;
/** Tries before the generation may be declared unsettled, however long they took. */
const MIN_ATTEMPTS = 64;
/** Longest a poll tries, however few tries it got. */
const MAX_SETTLE_MS = 5000;

/** Whether `e` is a poll that failed only because the generation did not settle (worth retrying later). */
export function isUnsettled(e: unknown): boolean {
  return e instanceof DecodeError && e.field === "header.generation";
}

const sleep = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** One entry of a bundle, as a stats file of one process (and shard). */
export class EntryFile implements StatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  /** Same memory as {@link data}, as u32 words (for the aggregation plan). */
  readonly u32: Uint32Array;
  readonly values: readonly ValueSlot[];
  readonly bundle: BundleReader;
  readonly entry: BundleEntry;
  readonly instance: string;

  constructor(bundle: BundleReader, entry: BundleEntry, instance: string, buffer: ArrayBuffer) {
    this.bundle = bundle;
    this.entry = entry;
    this.instance = instance;
    const s = entry.schema;
    const id = producerFileId(instance, entry.shard, entry.path);
    // Names as the kernel layout sizes them: room for the id too (views that encode the file).
    const nameSize = Math.max(KVM_NAME_SIZE, s?.schema.nameSize ?? 0, align8(Buffer.byteLength(id) + 1));
    this.schema = { descriptors: s?.schema.descriptors ?? [], dataSize: s?.schema.dataSize ?? 0, nameSize };
    this.identity = parseId(id);
    const at = BUNDLE_HEADER_SIZE + entry.dataOffset;
    this.data = new BigUint64Array(buffer, at, this.schema.dataSize / 8);
    this.u32 = new Uint32Array(buffer, at, this.schema.dataSize / 4);
    const ds = this.schema.descriptors;
    const extras = s ? decodeTrailer(s.extras, ds.length) : undefined;
    const help = s ? decodeDescription(s.extras, ds.length)?.help : undefined;
    this.values = ds.map((d, i) => {
      const x = extras?.[i];
      return {
        name: d.name,
        type: d.type,
        unit: d.unit,
        base: d.base,
        exponent: d.exponent,
        size: d.size,
        bucketSize: d.bucketSize,
        kinds: x ? x.kinds : [defaultKind(d)],
        writable: x ? x.writable : false,
        word: d.offset >>> 3,
        encoding: d.encoding,
        ...(d.bounds !== undefined ? { bounds: d.bounds } : {}),
        ...(help !== undefined ? { help } : {}),
      };
    });
  }

  /** Zeroes `size` u64 words from `word` in the producer's file (a reset written by a reader). */
  zero(word: number, size: number): void {
    this.bundle.zero(this.entry.dataOffset + word * 8, size);
    this.data.fill(0n, word, word + size);
  }
}

/** An open bundle file. */
export class BundleReader {
  readonly fd: number;
  readonly path: string;
  /** Instance (process) name, from the file name. */
  readonly instance: string;
  /** inode of the file, to notice a file renamed over this one. */
  readonly ino: number;
  /**
   * The directory entry it was opened by: its inode and change time (a link's own, for a
   * producer's memfd link; inode numbers are reused, a change time to the nanosecond is not).
   */
  readonly entryKey: string;
  readonly #size: number;
  #header: BundleHeader | undefined;
  #buf = new Uint8Array(BUNDLE_HEADER_SIZE);
  #files: EntryFile[] = [];
  /** Bumped each time a new table is taken (the entries' files change). */
  tableVersion = 0;
  #closed = false;

  /** Reads the bundle open at `fd` (owned from now on: closed on failure) found at `path` by the entry `entryKey`. */
  constructor(fd: number, path: string, entryKey: string | number, instance: string) {
    this.fd = fd;
    this.path = path;
    this.entryKey = String(entryKey);
    this.instance = instance;
    try {
      const st = fstatSync(fd);
      this.ino = st.ino;
      this.#size = st.size;
      this.poll();
    } catch (e) {
      closeSync(fd);
      throw located(e, path);
    }
  }

  /** The live entries, as stats files (a new array after each table change). */
  get files(): readonly EntryFile[] {
    return this.#files;
  }

  #pread(buf: Uint8Array, pos: number, field: string): void {
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, pos + got);
      if (n <= 0) throw new DecodeError(field, pos + got, `premature EOF: ${field} needs ${buf.length} bytes, file ends after ${got}`);
      got += n;
    }
  }

  /** Reads header and used data into the buffer (one pread when they are adjacent); returns the generation read. */
  #readData(h: BundleHeader): number {
    const n = BUNDLE_HEADER_SIZE + h.dataUsed;
    const buf = this.#buf.subarray(0, n);
    if (h.dataOffset === BUNDLE_HEADER_SIZE) this.#pread(buf, 0, "data area");
    else {
      this.#pread(buf.subarray(0, BUNDLE_HEADER_SIZE), 0, "header");
      this.#pread(buf.subarray(BUNDLE_HEADER_SIZE), h.dataOffset, "data area");
    }
    return new DataView(buf.buffer, buf.byteOffset, 16).getUint32(BundleHeaderField.generation, true);
  }

  #generation(): number {
    const b = new Uint8Array(4);
    this.#pread(b, BundleHeaderField.generation, "header.generation");
    return new DataView(b.buffer).getUint32(0, true);
  }

  /** Takes the table of generation `h.generation` (even); false when the generation moved meanwhile. */
  #readTable(h: BundleHeader): boolean {
    let table: Uint8Array;
    let meta: Uint8Array;
    const tableEnd = h.entryOffset + h.entryCapacity * BUNDLE_ENTRY_SIZE;
    if (tableEnd === h.metaOffset) {
      // Adjacent (as every producer writes them): one read for the table and the names and schemas.
      const both = new Uint8Array(tableEnd - h.entryOffset + h.metaUsed);
      this.#pread(both, h.entryOffset, "entry table");
      table = both.subarray(0, h.entryCount * BUNDLE_ENTRY_SIZE);
      meta = both.subarray(tableEnd - h.entryOffset);
    } else {
      table = new Uint8Array(h.entryCount * BUNDLE_ENTRY_SIZE);
      this.#pread(table, h.entryOffset, "entry table");
      meta = new Uint8Array(h.metaUsed);
      this.#pread(meta, h.metaOffset, "meta area");
    }
    // A table torn by a writer is not an error: read it again. (Checked before decoding the
    // copies, so a busy writer only has to stay still for the two reads.)
    if (this.#generation() !== h.generation) return false;
    const entries = decodeBundleEntries(h, table, meta);
    if (this.#buf.length < BUNDLE_HEADER_SIZE + h.dataUsed) this.#buf = new Uint8Array(BUNDLE_HEADER_SIZE + h.dataUsed);
    const buffer = this.#buf.buffer as ArrayBuffer;
    this.#files = entries.map((e) => new EntryFile(this, e, this.instance, buffer));
    this.#header = h;
    this.tableVersion++;
    return true;
  }

  /** Re-reads the values (and the table when its generation moved). Returns whether the table changed. */
  poll(): boolean {
    if (this.#closed) throw new SourceError("STATSFS_CLOSED", `${this.path}: bundle is closed`);
    const start = Date.now();
    for (let attempt = 1; ; attempt++) {
      const cur = this.#header;
      let state: true | "odd" | "moved";
      if (cur) {
        const g = this.#readData(cur);
        if (g === cur.generation) return false;
        // The table moved on: take the new one (its data is read with it).
        state = g % 2 !== 0 ? "odd" : this.#take();
      } else state = this.#take();
      if (state === true) return true;
      // Given up only after enough tries and time: on a loaded host a reader may get the CPU
      // only every 100 ms, and a busy writer must not make its file unreadable.
      const spent = Date.now() - start;
      if ((attempt >= MIN_ATTEMPTS && spent > SETTLE_MS) || spent > MAX_SETTLE_MS) {
        throw new DecodeError(
          "header.generation",
          BundleHeaderField.generation,
          state === "odd"
            ? `generation stays odd for ${spent} ms (its writer stopped in the middle of a change)`
            : `generation keeps changing for ${spent} ms`,
        );
      }
      // The first tries back to back (a writer's change takes microseconds), then 1 ms apart.
      if (attempt > MIN_ATTEMPTS / 2) sleep(1);
    }
  }

  /** Reads the header and, when even, the table and its values; "odd" or "moved" when there was no stable table to take. */
  #take(): true | "odd" | "moved" {
    const head = new Uint8Array(BUNDLE_HEADER_SIZE);
    this.#pread(head, 0, "header");
    const h = decodeBundleHeader(head, this.#size);
    if (h.generation % 2 !== 0) return "odd";
    if (!this.#readTable(h)) return "moved";
    // Values of this table (a newer generation only appended or moved regions: the next poll takes it).
    this.#readData(h);
    return true;
  }

  /** Writes `size` zero words at data-area offset `at` of the producer's file. */
  zero(at: number, size: number): void {
    const h = this.#header as BundleHeader;
    let fd: number;
    try {
      // The same inode as our fd, opened for writing (the path may name a newer file by now).
      fd = openSync(`/proc/self/fd/${this.fd}`, "r+");
    } catch (e) {
      throw new SourceError("STATSFS_SOURCE", `${this.path}: cannot open for writing: ${(e as Error).message}`, { cause: e });
    }
    try {
      writeSync(fd, new Uint8Array(size * 8), 0, size * 8, h.dataOffset + at);
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.fd);
  }
}
