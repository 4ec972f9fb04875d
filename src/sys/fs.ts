/**
 * @module sys/fs
 * File-system steps that Node's own helpers get wrong for us: opening a path without blocking
 * on a FIFO, and creating directories without mkdirSync({ recursive })'s endless retry on
 * procfs.
 */
import { closeSync, constants, fstatSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";

/**
 * Opens `path` read-only without blocking (a FIFO would block open(2) until a writer came, and
 * no signal handler could run meanwhile). FIFOs and sockets are refused: they are not files
 * one can pread. Returns the fd; errors are Node's (with `code`).
 */
export function openForPread(path: string): number {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const st = fstatSync(fd);
  if (st.isFIFO() || st.isSocket()) {
    closeSync(fd);
    throw Object.assign(new Error(`ESPIPE: not a file that can be read at an offset (a ${st.isFIFO() ? "FIFO" : "socket"})`), {
      code: "ESPIPE",
    });
  }
  return fd;
}

/**
 * Creates `dir` and its missing parents, one level at a time (at most 64 levels). EEXIST is
 * fine when the path is a directory; any other failure is thrown (Node's error, with `code`).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; missing.length < 64; d = dirname(d)) {
    try {
      if (statSync(d).isDirectory()) break;
      throw Object.assign(new Error(`ENOTDIR: not a directory, '${d}'`), { code: "ENOTDIR" });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    }
    missing.push(d);
    if (dirname(d) === d) break;
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST" || !statSync(d).isDirectory()) throw e;
    }
  }
}
