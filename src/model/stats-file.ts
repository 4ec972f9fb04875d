/**
 * @module model/stats-file
 * The one abstraction every provider yields and every view consumes: a *stats file* — an
 * identity, a schema read once, and a data block of u64 values refreshed on every poll.
 */
import type { StatDescriptor } from "./descriptor.js";
import type { StatsIdentity } from "./identity.js";

/** The schema of a stats file: read once per file. */
export interface StatsSchema {
  readonly descriptors: readonly StatDescriptor[];
  /** Size in bytes of the data block (a multiple of 8). */
  readonly dataSize: number;
  /** Size of each name field in the binary layout (the kernel uses 48). */
  readonly nameSize: number;
}

/** A stats file: identity, schema, and the latest values (updated in place by its source). */
export interface StatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  /** The data block as u64 words, `schema.dataSize / 8` long; a descriptor's values start at offset/8. */
  readonly data: BigUint64Array;
  /**
   * The file's bytes in the kernel's binary layout, readable at any offset like pread(2) — a
   * declared capability of files backed by a real stats fd or file (absent elsewhere; views
   * that need bytes encode the file instead).
   */
  readonly raw?: RawBytes | undefined;
}

/** Positioned reads of a file's bytes (the codec's Pread shape). */
export interface RawBytes {
  /** Reads up to `buf.length` bytes at `pos`; returns the count (0 at or past the end). */
  pread(buf: Uint8Array, pos: number): number;
  /** The total size when known; undefined for kernel stats fds. */
  readonly size?: number | undefined;
}

/** A copy of a stats file's values at one moment, for views that compare two polls. */
export interface Snapshot {
  readonly file: StatsFile;
  readonly data: BigUint64Array;
  /** Monotonic time of the poll, in milliseconds (performance.now()). */
  readonly time: number;
}

/** Takes a snapshot of a file's current values (copying the data block). */
export function snapshotOf(file: StatsFile, time: number): Snapshot {
  return { file, data: file.data.slice(), time };
}

/** Index in the data words of a descriptor's first value. */
export function wordIndex(d: StatDescriptor): number {
  return d.offset >>> 3;
}
