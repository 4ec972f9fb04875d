/**
 * @module providers/shm/lock
 * Who is alive: a producer holds an exclusive flock(2) on each of its exported files for as
 * long as it lives (the kernel drops it when the process ends, however it ends: exit, SIGTERM,
 * SIGKILL). A reader that can take a shared lock, even for an instant, is looking at a dead
 * producer's file.
 */
import { SystemError } from "../../errors.js";
import { oneLine } from "../../model/text.js";
import { EWOULDBLOCK, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, libc } from "../../sys/libc.js";

export { EWOULDBLOCK, LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN };

/** flock(2): 0 on success, else the errno. Throws a SystemError (STATSFS_FFI) when libc cannot load. */
export function flock(fd: number, op: number): number {
  let c: ReturnType<typeof libc>;
  try {
    c = libc();
  } catch (e) {
    throw new SystemError("STATSFS_FFI", oneLine(`flock: ${e instanceof Error ? e.message : String(e)}`), { cause: e });
  }
  return c.flock(fd, op) === 0 ? 0 : c.errno();
}

/** Whether a live producer holds `fd`'s file (its exclusive lock); false when nobody does. */
export function heldByProducer(fd: number): boolean {
  const r = flock(fd, LOCK_SH | LOCK_NB);
  if (r === 0) {
    flock(fd, LOCK_UN);
    return false;
  }
  return r === EWOULDBLOCK;
}
