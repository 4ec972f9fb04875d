/**
 * @module sys/memfd
 * memfd_create(2) and file seals (fcntl F_ADD_SEALS / F_GET_SEALS), which Node lacks: memory
 * with a file descriptor that the kernel can forbid anyone — root included — to shrink or
 * grow. Loaded lazily through koffi like src/sys/libc.ts; failures are {@link SystemError}s.
 */
import { SystemError } from "../errors.js";
import { ffi } from "./ffi.js";
import { errnoName, libc } from "./libc.js";

/** memfd_create flags. */
export const MFD_CLOEXEC = 0x1;
export const MFD_ALLOW_SEALING = 0x2;
/** Seals (fcntl F_ADD_SEALS). */
export const F_SEAL_SEAL = 0x1;
export const F_SEAL_SHRINK = 0x2;
export const F_SEAL_GROW = 0x4;
export const F_SEAL_WRITE = 0x8;
const F_ADD_SEALS = 1033;
const F_GET_SEALS = 1034;

interface Bound {
  memfdCreate(name: string, flags: number): number;
  fcntlInt(fd: number, cmd: number, arg: number): number;
  errno(): number;
}

let bound: Bound | undefined;

function bind(): Bound {
  if (bound) return bound;
  const c = libc();
  const { lib } = ffi(); // koffi and libc.so.6, or STATSFS_FFI once
  const memfd = lib.func("int memfd_create(const char *name, unsigned int flags)");
  const fcntl = lib.func("int fcntl(int fd, int cmd, ...)");
  bound = {
    memfdCreate: (name, flags) => memfd(name, flags) as number,
    fcntlInt: (fd, cmd, arg) => fcntl(fd, cmd, "int", arg) as number,
    errno: () => c.errno(),
  };
  return bound;
}

function fail(what: string, b: Bound): never {
  const e = b.errno();
  throw new SystemError("STATSFS_MEMFD", `${what}: ${libc().strerror(e)} (${errnoName(e)})`);
}

/** A new memfd (close-on-exec, sealable) named `name`; returns the fd. */
export function memfdCreate(name: string): number {
  const b = bind();
  const fd = b.memfdCreate(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) fail(`memfd_create ${JSON.stringify(name)}`, b);
  return fd;
}

/** Adds seals to a memfd. */
export function addSeals(fd: number, seals: number): void {
  const b = bind();
  if (b.fcntlInt(fd, F_ADD_SEALS, seals) !== 0) fail(`fcntl F_ADD_SEALS on fd ${fd}`, b);
}

/** The seals of `fd` (a file that is no memfd reports F_SEAL_SEAL on tmpfs, or fails). */
export function getSeals(fd: number): number {
  const b = bind();
  const r = b.fcntlInt(fd, F_GET_SEALS, 0);
  if (r < 0) fail(`fcntl F_GET_SEALS on fd ${fd}`, b);
  return r;
}
