/**
 * @module producer/export/mapped-file
 * One exported stats file: header, id and descriptors written once, then the data block mapped
 * shared and writable so that the hot path's stores are what every reader's pread returns.
 *
 * Restart and schema-change safety: a file is never modified outside its data block. A new
 * file (first export, a restart under the same instance name, or new values) is written in
 * full under a temporary `.`-name, mapped, locked (flock LOCK_EX, held while the producer
 * lives) and rename(2)d over the old one. A reader holding the old fd keeps a complete,
 * consistent old file (frozen at its last values); a reader that opens the path gets the new
 * one; readers that poll a path re-read the schema when its inode changes. The lock tells a
 * dead producer's file (replaceable) from a live one's (refused).
 */
import { closeSync, fstatSync, lstatSync, openSync, renameSync, statSync, unlinkSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { readSchema } from "../../codec/reader.js";
import { encodedLayout, encodeStatsFile } from "../../codec/writer.js";
import { DefinitionError, SourceError } from "../../errors.js";
import { makeDescriptor, type StatDescriptor } from "../../model/descriptor.js";
import { oneLine, quote } from "../../model/text.js";
import { fdPread } from "../../providers/file/pread-fd.js";
import { encodeTrailer } from "../../providers/shm/format/trailer.js";
import { byteLength, type ValueSlot } from "../definition.js";
import { type ShardView, viewOf } from "../store.js";
import { EWOULDBLOCK, type FileMapping, flock, LOCK_EX, LOCK_NB, mapFile, unmapFile } from "./libc.js";

let tmpCounter = 0;

/** What to write. */
export interface MappedFileSpec {
  /** Final path of the file. */
  readonly path: string;
  readonly id: string;
  readonly values: readonly ValueSlot[];
  /** Data block length in u64 words. */
  readonly words: number;
  readonly nameSize: number;
  /** Current values to start from (copied into the new file). */
  readonly data?: BigUint64Array | undefined;
  /** Set when replacing a file this process holds (skips the ownership check). */
  readonly replacing?: boolean;
}

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
    }),
  );
}

function errText(e: unknown): string {
  return oneLine(e instanceof Error ? e.message.replace(/^[A-Z]+: /, "") : String(e));
}

/**
 * Refuses to replace `path` unless it is a stats file this producer wrote (same id) and no live
 * process holds it.
 */
export function checkReplaceable(path: string, id: string): void {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return; // nothing there
  }
  if (!st.isFile()) throw new DefinitionError(`export path ${quote(path)} exists and is not a statsfs export (not a regular file)`);
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (e) {
    throw new DefinitionError(`export path ${quote(path)} exists and cannot be read: ${errText(e)}`);
  }
  try {
    let found: string;
    try {
      found = readSchema(fdPread(fd)).id;
    } catch {
      throw new DefinitionError(`export path ${quote(path)} exists and is not a statsfs export (not a stats file)`);
    }
    if (found !== id)
      throw new DefinitionError(`export path ${quote(path)} exists and is not ours (id ${quote(found)}, expected ${quote(id)})`);
    // A live producer holds its lock for good; a pruner or checker only for an instant.
    for (let attempt = 0; flock(fd, LOCK_EX | LOCK_NB) === EWOULDBLOCK; attempt++) {
      if (attempt === 4) throw new DefinitionError(`export path ${quote(path)} is held by a live producer (choose another instance name)`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    }
  } finally {
    closeSync(fd);
  }
}

/** An exported file, mapped. */
export class MappedStatsFile {
  readonly path: string;
  readonly dataOffset: number;
  readonly length: number;
  /** The data block in the mapping. */
  readonly view: ShardView;
  readonly #fd: number;
  readonly #mapping: FileMapping;
  readonly #ino: number;
  #removed = false;

  private constructor(path: string, fd: number, mapping: FileMapping, dataOffset: number, words: number) {
    this.path = path;
    this.#fd = fd;
    this.#mapping = mapping;
    this.dataOffset = dataOffset;
    this.length = mapping.length;
    this.view = viewOf(mapping.buffer, dataOffset, words);
    this.#ino = fstatSync(fd).ino;
  }

  /** Writes, maps, locks and publishes (renames into place) a new file. */
  static create(spec: MappedFileSpec): MappedStatsFile {
    if (byteLength(spec.id) >= spec.nameSize) {
      throw new DefinitionError(
        `stats file id ${quote(spec.id)} is ${byteLength(spec.id)} bytes; name_size ${spec.nameSize} allows ${spec.nameSize - 1} (use shorter source names or a larger nameSize)`,
      );
    }
    if (!spec.replacing) checkReplaceable(spec.path, spec.id);
    const descriptors = descriptorsOf(spec.values);
    const input = {
      id: spec.id,
      descriptors,
      nameSize: spec.nameSize,
      dataSize: spec.words * 8,
      ...(spec.data ? { data: spec.data } : {}),
    };
    const { layout } = encodedLayout(input);
    const body = encodeStatsFile(input);
    const trailer = encodeTrailer(spec.values);
    const bytes = new Uint8Array(body.length + trailer.length);
    bytes.set(body);
    bytes.set(trailer, body.length);

    const tmp = join(dirname(spec.path), `.${basename(spec.path)}.${process.pid}.${tmpCounter++}.tmp`);
    let fd: number | undefined;
    let mapping: FileMapping | undefined;
    try {
      fd = openSync(tmp, "wx+", 0o644);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, off);
      mapping = mapFile(fd, bytes.length, spec.path);
      if (flock(fd, LOCK_EX | LOCK_NB) !== 0) throw new SourceError("STATSFS_EXPORT", `${quote(spec.path)}: cannot lock the new file`);
      renameSync(tmp, spec.path);
      return new MappedStatsFile(spec.path, fd, mapping, layout.dataOffset, spec.words);
    } catch (e) {
      if (mapping) unmapFile(mapping);
      if (fd !== undefined) closeSync(fd);
      try {
        unlinkSync(tmp);
      } catch {
        // already gone or never created
      }
      if (e instanceof DefinitionError || e instanceof SourceError) throw e;
      throw new SourceError("STATSFS_EXPORT", `${quote(spec.path)}: cannot export: ${errText(e)}`, { cause: e });
    }
  }

  /**
   * Unmaps and closes the file (releasing the lock); with `unlink`, also deletes the path if it
   * still names this file. The store must have moved off {@link view} first. Idempotent.
   */
  remove(unlink: boolean): void {
    if (this.#removed) return;
    this.#removed = true;
    if (unlink) {
      try {
        if (statSync(this.path).ino === this.#ino) unlinkSync(this.path);
      } catch {
        // already gone
      }
    }
    unmapFile(this.#mapping);
    closeSync(this.#fd);
  }
}
