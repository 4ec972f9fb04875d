/**
 * @module sys/dirfd
 * Working inside a directory by its file descriptor, never by a path re-resolved later: the
 * *at(2) calls Node lacks (openat, mkdirat, unlinkat, symlinkat, renameat, statx, through koffi
 * like src/sys/libc.ts) and, for the read-only steps Node already does well, Node's own calls on
 * `/proc/self/fd/<dirfd>/<name>`: the kernel resolves `/proc/self/fd/<dirfd>` to the very
 * directory the fd holds (a "magic link", not a path lookup), then looks `name` up in it — the
 * same lookup as fstatat/readlinkat relative to the fd. Every `name` here is one component: a
 * name with `/`, or `.`/`..`, is refused, so nothing ever leaves the directory held.
 *
 * Errors are Node-like (`code`, `syscall`, `path`), so callers handle them as Node's own.
 */
import {
  type BigIntStats,
  closeSync,
  type Dirent,
  constants as fsConstants,
  fstatSync,
  lstatSync,
  readdirSync,
  readlinkSync,
} from "node:fs";
import { constants } from "node:os";
import { ffi } from "./ffi.js";
import { errnoName, libc } from "./libc.js";

const osErrno = constants.errno;

/** open(2) flags: Node's where it has them, else the asm-generic values (x86-64, arm64). */
export const O_RDONLY = fsConstants.O_RDONLY;
export const O_NOCTTY = fsConstants.O_NOCTTY;
export const O_NONBLOCK = fsConstants.O_NONBLOCK;
export const O_DIRECTORY = fsConstants.O_DIRECTORY;
export const O_NOFOLLOW = fsConstants.O_NOFOLLOW;
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
  statx(dirfd: number, name: string, flags: number, mask: number, buf: Uint8Array): number;
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
  const statx = lib.func("int statx(int dirfd, const char *path, int flags, unsigned int mask, _Out_ uint8_t *buf)");
  bound = {
    openat: (d, n, f, m) => openat(d, n, f, "uint32_t", m) as number,
    mkdirat: (d, n, m) => mkdirat(d, n, m) as number,
    unlinkat: (d, n, f) => unlinkat(d, n, f) as number,
    symlinkat: (t, d, n) => symlinkat(t, d, n) as number,
    renameat: (od, on, nd, nn) => renameat(od, on, nd, nn) as number,
    statx: (d, n, f, m, b) => statx(d, n, f, m, b) as number,
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

/** What {@link lstatAt} tells of an entry: the fields of Node's BigIntStats used here, same encoding. */
export interface EntryStat {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mode: bigint;
  readonly uid: bigint;
  readonly nlink: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  isDirectory(): boolean;
  isFile(): boolean;
  isSymbolicLink(): boolean;
}

const AT_SYMLINK_NOFOLLOW = 0x100;
/** statx mask: type, mode, nlink, uid, gid, mtime, ctime, ino, size (STATX_BASIC_STATS without atime/blocks). */
const STATX_MASK = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x40 | 0x80 | 0x100 | 0x200;
const S_IFMT = 0o170000n;
const statxBuf = new Uint8Array(256);
const statxView = new DataView(statxBuf.buffer);

/** glibc's makedev, as Node reports st_dev. */
function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/**
 * lstat of `name` in `dirfd` (a link's own inode; never followed): statx(2) relative to the fd
 * (AT_SYMLINK_NOFOLLOW), one system call, no walk through /proc. Errors are Node-like.
 */
export function lstatAt(dirfd: number, name: string): EntryStat {
  checkName(name);
  const b = bind();
  if (b.statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_MASK, statxBuf) !== 0) fail(b.errno(), "statx", name);
  const v = statxView;
  const mode = BigInt(v.getUint16(28, true));
  const time = (at: number) => v.getBigInt64(at, true) * 1_000_000_000n + BigInt(v.getUint32(at + 8, true));
  const type = mode & S_IFMT;
  return {
    dev: makedev(v.getUint32(136, true), v.getUint32(140, true)),
    ino: v.getBigUint64(32, true),
    mode,
    uid: BigInt(v.getUint32(20, true)),
    nlink: BigInt(v.getUint32(16, true)),
    size: v.getBigUint64(40, true),
    mtimeNs: time(112),
    ctimeNs: time(96),
    isDirectory: () => type === 0o040000n,
    isFile: () => type === 0o100000n,
    isSymbolicLink: () => type === 0o120000n,
  };
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
