/**
 * @module sys/libc
 * Lazily loaded koffi bindings for the few libc calls Node lacks: open, close, ioctl (variadic),
 * mmap, munmap, flock, gettid, tgkill, and errno → message. Used by the KVM layer and by the
 * producer's live-file exporter.
 *
 * koffi is a native addon; it is loaded on the first call to {@link libc}, never at import time,
 * so every other part of statsfs keeps working on machines where it cannot load. A load failure
 * is remembered and rethrown as one {@link SystemError} with code `STATSFS_FFI`.
 */

import { createRequire } from "node:module";
import { constants as osConstants } from "node:os";
import { SystemError } from "../errors.js";

type Koffi = typeof import("koffi");

/** open(2) flags used here. */
export const O_RDWR = 0x2;
/** open(2): close on exec. */
export const O_CLOEXEC = 0x80000;
/** mmap(2) protection: readable. */
export const PROT_READ = 0x1;
/** mmap(2) protection: writable. */
export const PROT_WRITE = 0x2;
/** mmap(2): shared mapping (how kvm_run is mapped). */
export const MAP_SHARED = 0x01;
/** mmap(2): private mapping. */
export const MAP_PRIVATE = 0x02;
/** mmap(2): not backed by a file (guest RAM). */
export const MAP_ANONYMOUS = 0x20;
/** mmap(2): don't reserve swap space. */
export const MAP_NORESERVE = 0x4000;

/** flock(2) operations. */
export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;
/** errno of a non-blocking flock that would block. */
export const EWOULDBLOCK = 11;

/** A mapping made by {@link Libc.mmap}: its address as a bigint and an ArrayBuffer over it. */
export interface Mapping {
  /** The opaque koffi pointer (pass it back to munmap). */
  readonly ptr: unknown;
  /** The start address, e.g. for kvm_userspace_memory_region.userspace_addr. */
  readonly address: bigint;
  /** Length in bytes. */
  readonly length: number;
  /** The mapped memory, without copy. Do not touch it after munmap. */
  readonly bytes: ArrayBuffer;
}

/** The bound calls. Every call returns the raw libc result; use {@link Libc.check} on it. */
export interface Libc {
  /** open(2); returns the fd or -1. */
  open(path: string, flags: number): number;
  /** close(2); returns 0 or -1. */
  close(fd: number): number;
  /** ioctl(2) with no argument or an integer argument (passed as unsigned long). */
  ioctlInt(fd: number, request: number, arg?: number | bigint): number;
  /** ioctl(2) with a pointer argument; the kernel reads and/or writes `buf` in place. */
  ioctlPtr(fd: number, request: number, buf: Uint8Array): number;
  /** mmap(2); throws SystemError `STATSFS_MMAP` on MAP_FAILED. `what` names the mapping in the error. */
  mmap(length: number, prot: number, flags: number, fd: number, what: string): Mapping;
  /** munmap(2); returns 0 or -1. */
  munmap(mapping: Mapping): number;
  /** flock(2); returns 0 or -1. */
  flock(fd: number, operation: number): number;
  /** gettid(2): the calling thread's kernel thread id. */
  gettid(): number;
  /** tgkill(2): sends `sig` to thread `tid` of process `tgid`; returns 0 or -1. */
  tgkill(tgid: number, tid: number, sig: number): number;
  /** The errno of the last call on this thread. */
  errno(): number;
  /** A short lower-case message for an errno, e.g. "permission denied". */
  strerror(errno: number): string;
  /** "<strerror> (<ERRNO>)" for the errno of the last call, e.g. "permission denied (EACCES)". */
  lastError(): string;
}

let bound: Libc | undefined;
let loadError: SystemError | undefined;

/** Returns the bindings, loading koffi and libc.so.6 on first use. Throws SystemError `STATSFS_FFI`. */
export function libc(): Libc {
  if (bound) return bound;
  if (loadError) throw loadError;
  try {
    bound = bind(createRequire(import.meta.url)("koffi") as Koffi);
    return bound;
  } catch (err) {
    const why = err instanceof Error ? err.message.split("\n")[0] : String(err);
    loadError = new SystemError("STATSFS_FFI", `cannot load the koffi FFI module: ${why}`, {
      cause: err,
    });
    throw loadError;
  }
}

/** Errno names by number, from Node's table (e.g. 13 → "EACCES"). */
const errnoNames = new Map<number, string>(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));

/** Returns the errno's symbolic name, e.g. "EACCES", or "errno N". */
export function errnoName(errno: number): string {
  return errnoNames.get(errno) ?? `errno ${errno}`;
}

function bind(koffi: Koffi): Libc {
  const lib = koffi.load("libc.so.6");
  const open = lib.func("int open(const char *path, int flags)");
  const close = lib.func("int close(int fd)");
  const ioctl = lib.func("int ioctl(int fd, unsigned long request, ...)");
  const mmap = lib.func("void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)");
  const munmap = lib.func("int munmap(void *addr, size_t length)");
  const strerror = lib.func("const char *strerror(int errnum)");
  const gettid = lib.func("int gettid(void)");
  const tgkill = lib.func("int tgkill(int tgid, int tid, int sig)");
  const flock = lib.func("int flock(int fd, int operation)");
  const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

  const self: Libc = {
    open: (path, flags) => open(path, flags) as number,
    close: (fd) => close(fd) as number,
    ioctlInt: (fd, request, arg = 0) => ioctl(fd, request, "unsigned long", arg) as number,
    ioctlPtr: (fd, request, buf) => ioctl(fd, request, "void *", buf) as number,
    mmap(length, prot, flags, fd, what) {
      const ptr: unknown = mmap(null, length, prot, flags, fd, 0);
      const address = ptr === null ? 0n : koffi.address(ptr);
      if (address === MAP_FAILED || address === 0n) {
        const e = koffi.errno();
        throw new SystemError("STATSFS_MMAP", `${what}: mmap failed: ${self.strerror(e)}`);
      }
      return { ptr, address, length, bytes: koffi.view(ptr, length) };
    },
    munmap: (m) => munmap(m.ptr, m.length) as number,
    flock: (fd, operation) => flock(fd, operation) as number,
    gettid: () => gettid() as number,
    tgkill: (tgid, tid, sig) => tgkill(tgid, tid, sig) as number,
    errno: () => koffi.errno(),
    strerror(errno) {
      const text = strerror(errno) as string | null;
      if (!text) return errnoName(errno);
      return text.charAt(0).toLowerCase() + text.slice(1);
    },
    lastError() {
      const e = koffi.errno();
      return `${self.strerror(e)} (${errnoName(e)})`;
    },
  };
  return self;
}
