/**
 * @module codec/pread
 * The only I/O the codec needs: a positioned read. A Buffer, an fd, a mapped file or a network
 * snapshot all fit behind it.
 */

/** Something that can be read at any offset, like pread(2). */
export interface Pread {
  /** Reads up to `buf.length` bytes at `pos` into `buf`; returns the count (0 at or past the end). */
  pread(buf: Uint8Array, pos: number): number;
  /** The total size when known; undefined for kernel stats fds (whose fstat size is 0). */
  readonly size?: number | undefined;
}

/** A Pread over bytes in memory. */
export function bytesPread(bytes: Uint8Array): Pread {
  return {
    size: bytes.length,
    pread(buf, pos) {
      if (pos >= bytes.length) return 0;
      const n = Math.min(buf.length, bytes.length - pos);
      buf.set(bytes.subarray(pos, pos + n));
      return n;
    },
  };
}
