/**
 * @module sys/mount
 * mount(2), umount2(2), poll(2) and read(2) through koffi, for the FUSE filesystem: Node has none of
 * them. Loaded lazily like sys/libc (a load failure is one SystemError `STATSFS_FFI`); every
 * call returns the libc result and the errno of a failure, never throws for a failed call.
 */
import { ffi } from "./ffi.js";
import { errnoName, libc } from "./libc.js";

/** mount(2) flags. */
export const MS_NOSUID = 2;
export const MS_NODEV = 4;
/** umount2(2): detach now, clean up when the last user leaves. */
export const MNT_DETACH = 2;
/** poll(2) events. */
export const POLLIN = 0x1;

/** A call's result: 0 (or a count) on success, else -1 with errno. */
export interface CallResult {
  readonly result: number;
  readonly errno: number;
}

/** The bound calls. */
export interface MountCalls {
  mount(source: string, target: string, fstype: string, flags: number, data: string): CallResult;
  umount2(target: string, flags: number): CallResult;
  /** poll(2) on one fd: the revents (0 on timeout), or -1 with errno. */
  pollOne(fd: number, events: number, timeoutMs: number): CallResult & { readonly revents: number };
  /** read(2) into `buf`: the byte count, or -1 with errno (no exception: EAGAIN is the common case). */
  read(fd: number, buf: Uint8Array): CallResult;
  /** "<message> (<ERRNO>)" for an errno. */
  describe(errno: number): string;
}

let bound: MountCalls | undefined;

/** The bindings, loading koffi and libc on first use (sys/ffi). Throws SystemError `STATSFS_FFI`. */
export function mountCalls(): MountCalls {
  if (bound) return bound;
  const { koffi, lib } = ffi();
  const c = libc();
  const mount = lib.func("int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)");
  const umount2 = lib.func("int umount2(const char *target, int flags)");
  const poll = lib.func("int poll(void *fds, unsigned long nfds, int timeout)");
  const read = lib.func("long read(int fd, void *buf, unsigned long count)");
  const pfd = new Uint8Array(8);
  const pv = new DataView(pfd.buffer);
  const result = (r: number): CallResult => ({ result: r, errno: r < 0 ? koffi.errno() : 0 });
  bound = {
    mount: (s, t, f, fl, d) => result(mount(s, t, f, fl, d) as number),
    umount2: (t, fl) => result(umount2(t, fl) as number),
    pollOne(fd, events, timeoutMs) {
      pv.setInt32(0, fd, true);
      pv.setInt16(4, events, true);
      pv.setInt16(6, 0, true);
      const r = result(poll(pfd, 1, timeoutMs) as number);
      return { ...r, revents: r.result > 0 ? pv.getInt16(6, true) : 0 };
    },
    read: (fd, buf) => result(Number(read(fd, buf, buf.byteLength))),
    describe: (errno) => `${c.strerror(errno)} (${errnoName(errno)})`,
  };
  return bound;
}
