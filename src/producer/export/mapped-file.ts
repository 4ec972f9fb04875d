/**
 * @module producer/export/mapped-file
 * One exported file, mapped: a sealed memfd the producer writes through a shared, writable
 * mapping, published under the export directory as a link to `/proc/<pid>/fd/<n>`. What the
 * bytes mean is the bundle format's (codec/bundle.ts; written by bundle-file.ts).
 *
 * The memory is a memfd sized once and sealed against shrinking and growing (F_SEAL_SHRINK |
 * F_SEAL_GROW | F_SEAL_SEAL), mode 0600: no process — root included — can truncate it, so the
 * producer's stores can never fault (a truncated shared file mapping raises SIGBUS on the next
 * store). A bundle that needs more room is replaced by a new, larger file (never grown in place:
 * growing would need the GROW seal off, and a reader's view of the size would then change under
 * it). The link names the memfd to any process allowed to open the producer's fds (its user, or
 * root), which reads it as a regular file; `truncate` or `: >` on it fail with EPERM. When the
 * producer ends, however it ends, the link dangles: readers report the producer as gone and
 * `statsfs prune` removes the link.
 *
 * Publishing: a new file is filled completely (the caller's `fill`, values included) while
 * still unnamed, then sealed, locked (flock LOCK_EX, held while the producer lives) and its
 * link rename(2)d over the old one. A reader holding the old fd keeps a complete, consistent
 * old file (frozen at its last values); a reader that opens the path gets the new one. The lock
 * tells a dead producer's file (replaceable) from a live one's (refused). Every name is made,
 * renamed and removed relative to the fd of its directory (exporter.ts holds it), and an existing
 * entry is opened and checked as readers do (format/entry.ts), never by a path.
 */
import { closeSync, fchmodSync, ftruncateSync } from "node:fs";
import { BUNDLE_HEADER_SIZE, decodeBundleHeader } from "../../codec/bundle.js";
import { DefinitionError, SourceError } from "../../errors.js";
import { oneLine, quote } from "../../model/text.js";
import { fdPread } from "../../providers/file/pread-fd.js";
import { openEntry } from "../../providers/shm/format/entry.js";
import { MEMFD_NAME } from "../../providers/shm/format/paths.js";
import { fstatBig, readlinkAt, renameAt, symlinkAt, unlinkAt } from "../../sys/dirfd.js";
import { addSeals, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, memfdCreate } from "../../sys/memfd.js";
import { EWOULDBLOCK, type FileMapping, flock, LOCK_EX, LOCK_NB, mapFile, unmapFile } from "./libc.js";

let tmpCounter = 0;

/** What to publish. */
export interface MappedFileSpec {
  /** The file's directory, held by an fd (see exporter.ts): every name is made in it. */
  readonly dirfd: number;
  /** Final path of the file (for messages and readers). */
  readonly path: string;
  /** Size in bytes (fixed for the file's life). */
  readonly size: number;
  /** Writes the whole content into the new mapping before anyone can see it. */
  readonly fill: (bytes: Uint8Array) => void;
  /** Set when replacing a file this process holds (skips the ownership check). */
  readonly replacing?: boolean;
}

function errText(e: unknown): string {
  return oneLine(e instanceof Error ? e.message.replace(/^[A-Z]+: /, "") : String(e));
}

/** The file name of an export path (its last component). */
function nameOf(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/**
 * Refuses to replace the entry `name` of `dirfd` (shown as `path`) unless it is a statsfs bundle
 * and no live process holds it. The entry is opened and checked as readers do
 * (providers/shm/format/entry.ts).
 */
export function checkReplaceable(dirfd: number, path: string): void {
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
    const src = fdPread(fd);
    const head = new Uint8Array(BUNDLE_HEADER_SIZE);
    try {
      if (src.pread(head, 0) !== BUNDLE_HEADER_SIZE) throw new Error("short");
      decodeBundleHeader(head, src.size ?? 0);
    } catch {
      throw new DefinitionError(`export path ${quote(path)} exists and is not a statsfs export (not a statsfs bundle)`);
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

/** A published file, mapped shared and writable. */
export class MappedFile {
  readonly path: string;
  readonly length: number;
  /** The mapped bytes. Never touch them after {@link remove}. */
  readonly buffer: ArrayBuffer;
  /** The memfd (kept open while exported: the link names it). */
  readonly fd: number;
  readonly #mapping: FileMapping;
  /** What the link at {@link path} points to. */
  readonly #link: string;
  #removed = false;

  private constructor(path: string, fd: number, mapping: FileMapping, link: string) {
    this.path = path;
    this.fd = fd;
    this.#mapping = mapping;
    this.#link = link;
    this.length = mapping.length;
    this.buffer = mapping.buffer;
  }

  /** Makes, fills, seals, locks and publishes (renames into place) a new file. */
  static create(spec: MappedFileSpec): MappedFile {
    if (!spec.replacing) checkReplaceable(spec.dirfd, spec.path);
    const name = nameOf(spec.path);
    const tmp = `.${name}.${process.pid}.${tmpCounter++}.tmp`;
    let fd: number | undefined;
    let mapping: FileMapping | undefined;
    let linked = false;
    try {
      fd = memfdCreate(MEMFD_NAME);
      ftruncateSync(fd, spec.size);
      // Owner read-write (readers' resets, worker threads' shards), nobody else; sealed size.
      fchmodSync(fd, 0o600);
      addSeals(fd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
      mapping = mapFile(fd, spec.size, spec.path);
      spec.fill(new Uint8Array(mapping.buffer));
      if (flock(fd, LOCK_EX | LOCK_NB) !== 0) throw new SourceError("STATSFS_EXPORT", `${quote(spec.path)}: cannot lock the new file`);
      const link = `/proc/${process.pid}/fd/${fd}`;
      symlinkAt(link, spec.dirfd, tmp);
      linked = true;
      renameAt(spec.dirfd, tmp, name);
      return new MappedFile(spec.path, fd, mapping, link);
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
   * its name there if it still names this file. Every store must have moved off its memory
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
