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

/** An error like Node's for a path that exists and is not a directory. */
function notDirectory(path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`ENOTDIR: not a directory, '${path}'`), { code: "ENOTDIR", path });
}

/**
 * Creates `dir` and its missing parents, one mkdir(2) per component, top down (at most 64
 * levels). Not mkdirSync({ recursive: true }): that retries forever at 100% CPU where mkdir
 * fails with ENOENT below a parent that exists (procfs, as in /proc/x). Throws Node's error;
 * its `path` names the component that failed (a non-directory in the way is ENOTDIR).
 */
export function makeDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = dir; missing.length < 64; d = dirname(d)) {
    let isDir: boolean;
    try {
      isDir = statSync(d).isDirectory();
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOENT" && code !== "ENOTDIR") throw e;
      missing.push(d);
      if (dirname(d) === d) break;
      continue;
    }
    if (isDir) break;
    throw notDirectory(d);
  }
  for (const d of missing.reverse()) {
    try {
      mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      if (!statSync(d).isDirectory()) throw notDirectory(d);
    }
  }
}
