/**
 * @module producer/export/libc
 * What exporting needs of libc (src/sys/libc.ts): a file's pages mapped shared and writable as
 * an ArrayBuffer the hot path writes into, and flock to tell who owns an exported file.
 * Failures are {@link SourceError}s with code `STATSFS_EXPORT`.
 */
import { SourceError } from "../../errors.js";
import { oneLine } from "../../model/text.js";
import { libc, MAP_SHARED, type Mapping, PROT_READ, PROT_WRITE } from "../../sys/libc.js";

export { EWOULDBLOCK, flock, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN } from "../../providers/shm/lock.js";

/** A shared, writable mapping of a whole file. */
export interface FileMapping {
  readonly mapping: Mapping;
  readonly length: number;
  /** The mapped bytes, without copy. Never touch it after {@link unmapFile}. */
  readonly buffer: ArrayBuffer;
}

function exportError(e: unknown, what: string): SourceError {
  const why = e instanceof Error ? e.message : String(e);
  return new SourceError("STATSFS_EXPORT", oneLine(why.startsWith(what) ? why : `${what}: ${why}`), { cause: e });
}

/** Maps `length` bytes of `fd` shared and writable. `what` names the file in errors. */
export function mapFile(fd: number, length: number, what: string): FileMapping {
  try {
    const mapping = libc().mmap(length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, what);
    return { mapping, length, buffer: mapping.bytes };
  } catch (e) {
    throw exportError(e, what);
  }
}

/** Unmaps a mapping made by {@link mapFile}. */
export function unmapFile(m: FileMapping): void {
  libc().munmap(m.mapping);
}
