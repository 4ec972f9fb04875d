/**
 * @module sys/dirfd
 * Working inside a directory by its file descriptor, never by a path re-resolved later: the
 * *at(2) calls Node lacks (openat, mkdirat, unlinkat, symlinkat, renameat, through koffi like
 * src/sys/libc.ts) and, for the read-only steps Node already does well, Node's own calls on
 * `/proc/self/fd/<dirfd>/<name>`: the kernel resolves `/proc/self/fd/<dirfd>` to the very
 * directory the fd holds (a "magic link", not a path lookup), then looks `name` up in it — the
 * same lookup as fstatat/readlinkat relative to the fd. Every `name` here is one component: a
 * name with `/`, or `.`/`..`, is refused, so nothing ever leaves the directory held.
 *
 * Errors are Node-like (`code`, `syscall`, `path`), so callers handle them as Node's own.
 */
import { type BigIntStats, closeSync, type Dirent, fstatSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import { constants } from "node:os";
import { ffi } from "./ffi.js";
import { errnoName, libc } from "./libc.js";

const osErrno = constants.errno;

/** open(2) flags (x86-64 and arm64 values). */
export const O_RDONLY = 0;
export const O_WRONLY = 0o1;
export const O_NOCTTY = 0o400;
export const O_NONBLOCK = 0o4000;
export const O_DIRECTORY = 0o200000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
/** unlinkat(2): remove a directory (as rmdir). */
export const AT_REMOVEDIR = 0x200;
/** The current directory for *at(2) calls: a relative path resolves against the process's cwd. */
export const AT_FDCWD = -100;

interface Bound {
  openat(dirfd: number, name: string, flags: number, mode: number): number;
  mkdirat(dirfd: number, name: string, mode: number): number;
  unlinkat(dirfd: number, name: string, flags: number): number;
  symlinkat(target: string, dirfd: number, name: string): number;
  renameat(olddirfd: number, oldname: string, newdirfd: number, newname: string): number;
  errno(): number;
}

let bound: Bound | undefined;

function bind(): Bound {
  if (bound) return bound;
  const c = libc();
  const { lib } = ffi();
  const openat = lib.func("int openat(int dirfd, const char *path, int flags, ...)");
  const mkdirat = lib.func("int mkdirat(int dirfd, const char *path, uint32_t mode)");
  const unlinkat = lib.func("int unlinkat(int dirfd, const char *path, int flags)");
  const symlinkat = lib.func("int symlinkat(const char *target, int dirfd, const char *path)");
  const renameat = lib.func("int renameat(int olddirfd, const char *oldpath, int newdirfd, const char *newpath)");
  bound = {
    openat: (d, n, f, m) => openat(d, n, f, "uint32_t", m) as number,
    mkdirat: (d, n, m) => mkdirat(d, n, m) as number,
    unlinkat: (d, n, f) => unlinkat(d, n, f) as number,
    symlinkat: (t, d, n) => symlinkat(t, d, n) as number,
    renameat: (od, on, nd, nn) => renameat(od, on, nd, nn) as number,
    errno: () => c.errno(),
  };
  return bound;
}

/** A Node-like error for `errno` of `syscall` on `path`. */
function fail(errno: number, syscall: string, path: string): never {
  const code = errnoName(errno);
  throw Object.assign(new Error(`${code}: ${libc().strerror(errno)}, ${syscall} '${path}'`), { code, errno: -errno, syscall, path });
}

/** Refuses anything but one plain directory entry name. */
export function checkName(name: string): void {
  if (name === "" || name === "." || name === ".." || name.includes("/") || name.includes("\0")) {
    throw Object.assign(new Error(`EINVAL: not a single file name, '${name}'`), { code: "EINVAL", path: name });
  }
}

/** `/proc/self/fd/<dirfd>/<name>` (or the directory itself): see the module comment. */
export function atPath(dirfd: number, name?: string): string {
  if (name === undefined) return `/proc/self/fd/${dirfd}`;
  checkName(name);
  return `/proc/self/fd/${dirfd}/${name}`;
}

/** openat(2) of one name in `dirfd` (close-on-exec added). Returns the fd. */
export function openAt(dirfd: number, name: string, flags: number, mode = 0): number {
  checkName(name);
  const b = bind();
  const fd = b.openat(dirfd, name, flags | O_CLOEXEC, mode);
  if (fd < 0) fail(b.errno(), "openat", name);
  return fd;
}

/**
 * Opens a path as a directory without following a symbolic link at its last component
 * (O_DIRECTORY | O_NOFOLLOW): the start of a walk by fds. Earlier components are the caller's
 * choice (a path whose parents only root can change).
 */
export function openDirPath(path: string): number {
  const b = bind();
  const fd = b.openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) failDir(b.errno(), "open", path, path);
  return fd;
}

/** Opens the sub-directory `name` of `dirfd`, refusing a symbolic link (ELOOP) or a non-directory (ENOTDIR). */
export function openDirAt(dirfd: number, name: string): number {
  checkName(name);
  const b = bind();
  const fd = b.openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0);
  if (fd < 0) failDir(b.errno(), "openat", name, atPath(dirfd, name));
  return fd;
}

/** The kernel says ENOTDIR for a symbolic link opened O_DIRECTORY | O_NOFOLLOW: say ELOOP for it. */
function failDir(errno: number, syscall: string, name: string, lookup: string): never {
  if (errnoName(errno) === "ENOTDIR") {
    let link = false;
    try {
      link = lstatSync(lookup).isSymbolicLink();
    } catch {
      // gone meanwhile
    }
    if (link) fail(osErrno.ELOOP, syscall, name);
  }
  fail(errno, syscall, name);
}

/** mkdirat(2). */
export function mkdirAt(dirfd: number, name: string, mode: number): void {
  checkName(name);
  const b = bind();
  if (b.mkdirat(dirfd, name, mode) !== 0) fail(b.errno(), "mkdirat", name);
}

/** unlinkat(2) of a file, link or (with `dir`) an empty directory named in `dirfd`. */
export function unlinkAt(dirfd: number, name: string, dir = false): void {
  checkName(name);
  const b = bind();
  if (b.unlinkat(dirfd, name, dir ? AT_REMOVEDIR : 0) !== 0) fail(b.errno(), "unlinkat", name);
}

/** symlinkat(2): a link `name` in `dirfd` holding `target`. */
export function symlinkAt(target: string, dirfd: number, name: string): void {
  checkName(name);
  const b = bind();
  if (b.symlinkat(target, dirfd, name) !== 0) fail(b.errno(), "symlinkat", name);
}

/** renameat(2) within one directory held by `dirfd`. */
export function renameAt(dirfd: number, from: string, to: string): void {
  checkName(from);
  checkName(to);
  const b = bind();
  if (b.renameat(dirfd, from, dirfd, to) !== 0) fail(b.errno(), "renameat", to);
}

/** lstat of `name` in `dirfd` (a link's own inode; never followed). */
export function lstatAt(dirfd: number, name: string): BigIntStats {
  return lstatSync(atPath(dirfd, name), { bigint: true });
}

/** readlinkat(2) of `name` in `dirfd`. */
export function readlinkAt(dirfd: number, name: string): string {
  return readlinkSync(atPath(dirfd, name));
}

/** The entries of the directory `dirfd` holds (without `.`/`..`). */
export function readdirFd(dirfd: number): Dirent[] {
  return readdirSync(atPath(dirfd), { withFileTypes: true });
}

/** fstat of an fd, bigint. */
export function fstatBig(fd: number): BigIntStats {
  return fstatSync(fd, { bigint: true });
}

/** Closes an fd, ignoring errors (cleanup paths). */
export function closeQuietly(fd: number | undefined): void {
  if (fd === undefined) return;
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
