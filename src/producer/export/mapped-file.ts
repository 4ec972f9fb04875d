/**
 * @module producer/export/mapped-file
 * One exported stats file: header, id and descriptors written once, then the data block mapped
 * shared and writable so that the hot path's stores are what every reader's pread returns.
 *
 * The memory is a memfd sealed against shrinking and growing (F_SEAL_SHRINK | F_SEAL_GROW |
 * F_SEAL_SEAL), mode 0600: no process — root included — can truncate it, so the producer's
 * stores can never fault (a truncated shared file mapping raises SIGBUS on the next store).
 * The export path is a symbolic link to `/proc/<pid>/fd/<n>`, which any process allowed to
 * open the producer's fds (its user, or root) reads as a regular file; `truncate` or `: >` on
 * it fail with EPERM. When the producer ends, however it ends, the link dangles: readers
 * report the producer as gone and `statsfs prune` removes the link.
 *
 * Restart and schema-change safety: a file is never modified outside its data block. A new
 * file (first export, a restart under the same instance name, or new values) is written in
 * full into a new memfd, sealed, mapped, locked (flock LOCK_EX, held while the producer lives)
 * and its link rename(2)d over the old one. A reader holding the old fd keeps a complete,
 * consistent old file (frozen at its last values); a reader that opens the path gets the new
 * one; readers that poll a path re-read the schema when its inode changes. The lock tells a
 * dead producer's file (replaceable) from a live one's (refused). Every name is made, renamed
 * and removed relative to the fd of its directory (exporter.ts holds the tree by fds), and an
 * existing entry is opened and checked as readers do (format/entry.ts), never by a path.
 */
import { closeSync, fchmodSync, writeSync } from "node:fs";
import { readSchema } from "../../codec/reader.js";
import { encodedLayout, encodeStatsFile } from "../../codec/writer.js";
import { DefinitionError, SourceError } from "../../errors.js";
import { makeDescriptor, type StatDescriptor } from "../../model/descriptor.js";
import { oneLine, quote } from "../../model/text.js";
import { fdPread } from "../../providers/file/pread-fd.js";
import { openEntry } from "../../providers/shm/format/entry.js";
import { MEMFD_NAME } from "../../providers/shm/format/paths.js";
import { encodeTrailer } from "../../providers/shm/format/trailer.js";
import { fstatBig, readlinkAt, renameAt, symlinkAt, unlinkAt } from "../../sys/dirfd.js";
import { addSeals, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, memfdCreate } from "../../sys/memfd.js";
import { byteLength, type ValueSlot } from "../definition.js";
import { type ShardView, viewOf } from "../store.js";
import { EWOULDBLOCK, type FileMapping, flock, LOCK_EX, LOCK_NB, mapFile, unmapFile } from "./libc.js";

let tmpCounter = 0;

/** What to write. */
export interface MappedFileSpec {
  /** The source's directory, held by an fd (see exporter.ts): every name is made in it. */
  readonly dirfd: number;
  /** Final path of the file (for messages and readers). */
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
      encoding: v.encoding,
      ...(v.bounds !== undefined ? { bounds: v.bounds } : {}),
    }),
  );
}

function errText(e: unknown): string {
  return oneLine(e instanceof Error ? e.message.replace(/^[A-Z]+: /, "") : String(e));
}

/** The file name of an export path (its last component). */
function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Refuses to replace the entry `name` of `dirfd` (shown as `path`) unless it is a stats file
 * this producer wrote (same id) and no live process holds it. The entry is opened and checked as
 * readers do (providers/shm/format/entry.ts).
 */
export function checkReplaceable(dirfd: number, path: string, id: string): void {
  let entry: ReturnType<typeof openEntry>;
  try {
    entry = openEntry(dirfd, nameOf(path), fstatBig(dirfd).uid);
  } catch (e) {
    throw new DefinitionError(`export path ${quote(path)} exists and cannot be read: ${errText(e)}`);
  }
  if (!entry || entry.kind === "gone") return; // nothing there, or a producer that is gone
  if (entry.kind === "foreign") throw new DefinitionError(`export path ${quote(path)} exists and is not a statsfs export (${entry.why})`);
  const fd = entry.fd;
  try {
    let found: string;
    try {
      found = readSchema(fdPread(fd)).id;
    } catch {
      throw new DefinitionError(`export path ${quote(path)} exists and is not a statsfs export (not a stats file)`);
    }
    if (found !== id) {
      // A link whose pid was reused by another producer names that producer's file: stale.
      if (entry.link) return;
      throw new DefinitionError(`export path ${quote(path)} exists and is not ours (id ${quote(found)}, expected ${quote(id)})`);
    }
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
  /** The memfd (kept open while exported: the link names it). */
  readonly fd: number;
  readonly #mapping: FileMapping;
  /** What the link at {@link path} points to. */
  readonly #link: string;
  #removed = false;

  private constructor(path: string, fd: number, mapping: FileMapping, dataOffset: number, words: number, link: string) {
    this.path = path;
    this.fd = fd;
    this.#mapping = mapping;
    this.#link = link;
    this.dataOffset = dataOffset;
    this.length = mapping.length;
    this.view = viewOf(mapping.buffer, dataOffset, words);
  }

  /** Writes, maps, locks and publishes (renames into place) a new file. */
  static create(spec: MappedFileSpec): MappedStatsFile {
    if (byteLength(spec.id) >= spec.nameSize) {
      throw new DefinitionError(
        `stats file id ${quote(spec.id)} is ${byteLength(spec.id)} bytes; name_size ${spec.nameSize} allows ${spec.nameSize - 1} (use shorter source names or a larger nameSize)`,
      );
    }
    if (!spec.replacing) checkReplaceable(spec.dirfd, spec.path, spec.id);
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

    const name = nameOf(spec.path);
    const tmp = `.${name}.${process.pid}.${tmpCounter++}.tmp`;
    let fd: number | undefined;
    let mapping: FileMapping | undefined;
    let linked = false;
    try {
      fd = memfdCreate(MEMFD_NAME);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off, off);
      // Owner read-write (readers' resets, worker threads' shards), nobody else; sealed size.
      fchmodSync(fd, 0o600);
      addSeals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
      mapping = mapFile(fd, bytes.length, spec.path);
      if (flock(fd, LOCK_EX | LOCK_NB) !== 0) throw new SourceError("STATSFS_EXPORT", `${quote(spec.path)}: cannot lock the new file`);
      const link = `/proc/${process.pid}/fd/${fd}`;
      symlinkAt(link, spec.dirfd, tmp);
      linked = true;
      renameAt(spec.dirfd, tmp, name);
      return new MappedStatsFile(spec.path, fd, mapping, layout.dataOffset, spec.words, link);
    } catch (e) {
      if (mapping) unmapFile(mapping);
      if (fd !== undefined) closeSync(fd);
      if (linked) {
        try {
          unlinkAt(spec.dirfd, tmp);
        } catch {
          // already renamed or gone
        }
      }
      if (e instanceof DefinitionError || e instanceof SourceError) throw e;
      throw new SourceError("STATSFS_EXPORT", `${quote(spec.path)}: cannot export: ${errText(e)}`, { cause: e });
    }
  }

  /**
   * Unmaps and closes the file (releasing the lock); given the fd of its directory, also deletes
   * its name there if it still names this file. The store must have moved off {@link view}
   * first. Idempotent.
   */
  remove(dirfd?: number): void {
    if (this.#removed) return;
    this.#removed = true;
    if (dirfd !== undefined) {
      const name = nameOf(this.path);
      try {
        if (readlinkAt(dirfd, name) === this.#link) unlinkAt(dirfd, name);
      } catch {
        // already gone, or no longer our link
      }
    }
    unmapFile(this.#mapping);
    closeSync(this.fd);
  }
}
