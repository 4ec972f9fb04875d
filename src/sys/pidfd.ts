/**
 * @module sys/pidfd
 * pidfd_open(2) (syscall 434) and pidfd_getfd(2) (syscall 438) on x86-64: a handle on another
 * process that survives pid reuse, and a duplicate of one of its fds (as root, or with
 * PTRACE_MODE_ATTACH_REALCREDS over it). The duplicate is close-on-exec.
 */
import { SystemError } from "../errors.js";
import { ffi } from "./ffi.js";
import { libc } from "./libc.js";

const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

let syscall3: ((nr: number, a: number, b: number, c: number) => number) | undefined;

function call(nr: number, a: number, b: number, c: number): number {
  if (!syscall3) {
    const { lib } = ffi();
    const f = lib.func("long syscall(long number, long a, long b, long c)");
    syscall3 = (n, x, y, z) => Number(f(n, x, y, z));
  }
  return syscall3(nr, a, b, c);
}

/** A pidfd for `pid`; throws SystemError `STATSFS_PIDFD` with errno text in one line. */
export function pidfdOpen(pid: number): number {
  const fd = call(SYS_PIDFD_OPEN, pid, 0, 0);
  if (fd < 0) throw new SystemError("STATSFS_PIDFD", `pidfd_open(${pid}): ${libc().lastError()}`);
  return fd;
}

/** A duplicate of fd `target` of the process behind `pidfd`; throws SystemError `STATSFS_PIDFD`. */
export function pidfdGetfd(pidfd: number, target: number, where = `fd ${target}`): number {
  const fd = call(SYS_PIDFD_GETFD, pidfd, target, 0);
  if (fd < 0) throw new SystemError("STATSFS_PIDFD", `pidfd_getfd(${where}): ${libc().lastError()}`);
  return fd;
}
