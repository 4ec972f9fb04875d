/**
 * @module providers/file/pread-fd
 * A {@link Pread} over an open file descriptor (fs.readSync with a position is pread(2)).
 */
import { fstatSync, readSync } from "node:fs";
import type { Pread } from "../../codec/pread.js";

/** Pread over `fd`. Regular files report their size; kernel stats fds (size 0) report none. */
export function fdPread(fd: number): Pread {
  const st = fstatSync(fd);
  const size = st.isFile() && st.size > 0 ? st.size : undefined;
  return {
    size,
    pread: (buf, pos) => readSync(fd, buf, 0, buf.length, pos),
  };
}
