/**
 * @module providers/shm/instance-file
 * One exported stats file as the `shm:` reader holds it: an fd, opened and checked by
 * format/entry.ts (so a file renamed over keeps
 * reading consistently until the reader notices), the schema read once, the data block re-read
 * per poll, and the producer's trailer (aggregations, writability) when present.
 */
import { closeSync, fstatSync, openSync, writeSync } from "node:fs";
import { readInto } from "../../codec/reader.js";
import { SourceError } from "../../errors.js";
import { defaultKind, type ValueSlot } from "../aggregate/values.js";
import { FdStatsFile } from "../file/fd-file.js";
import { decodeTrailer, trailerSize } from "./format/trailer.js";

/** An open exported file. */
export class InstanceFile extends FdStatsFile {
  readonly path: string;
  /** The file's values as the aggregation engine needs them. */
  readonly values: readonly ValueSlot[];
  /** The data block as u32 words (same memory as {@link data}). */
  readonly u32: Uint32Array;
  /** inode of the file, to notice a file renamed over this one. */
  readonly ino: number;
  /** inode of the directory entry it was opened by (a link's own, for a producer's memfd link). */
  readonly entryIno: number;

  /** Reads the file open at `fd` (owned from now on: closed on failure) found at `path` by the entry `entryIno`. */
  constructor(fd: number, path: string, entryIno: number) {
    super(fd, path, true);
    this.path = path;
    this.ino = fstatSync(this.fd).ino;
    this.entryIno = entryIno;
    this.u32 = new Uint32Array(this.reader.data.buffer);
    this.values = this.#slots();
  }

  #slots(): ValueSlot[] {
    const ds = this.reader.schema.descriptors;
    let extras: ReturnType<typeof decodeTrailer>;
    const at = this.reader.layout.dataOffset + this.reader.schema.dataSize;
    const size = trailerSize(ds.length);
    if (this.pread.size !== undefined && this.pread.size >= at + size) {
      const bytes = new Uint8Array(size);
      try {
        readInto(this.pread, bytes, at, "trailer");
        extras = decodeTrailer(bytes, ds.length);
      } catch {
        extras = undefined;
      }
    }
    return ds.map((d, i) => {
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
      };
    });
  }

  /** Zeroes `size` u64 words from `word` in the file (a reset written by a reader). */
  zero(word: number, size: number): void {
    let fd: number;
    try {
      // The same inode as our fd, opened for writing (the path may name a newer file by now).
      fd = openSync(`/proc/self/fd/${this.fd}`, "r+");
    } catch (e) {
      throw new SourceError("STATSFS_SOURCE", `${this.path}: cannot open for writing: ${(e as Error).message}`, { cause: e });
    }
    try {
      writeSync(fd, new Uint8Array(size * 8), 0, size * 8, this.reader.layout.dataOffset + word * 8);
    } finally {
      closeSync(fd);
    }
    this.reader.data.fill(0n, word, word + size);
  }
}
