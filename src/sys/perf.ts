/**
 * @module sys/perf
 * perf_event_open(2) (syscall 298 on x86-64) for tracepoint counters: a counting event (no
 * sampling, no ring buffer) on one thread, on any CPU, optionally in a group read with one
 * read(2) (PERF_FORMAT_GROUP), with an ftrace filter (PERF_EVENT_IOC_SET_FILTER) such as
 * `reason == 2`.
 */
import { readSync } from "node:fs";
import { PerfError } from "../errors.js";
import { ffi } from "./ffi.js";
import { errnoName, libc } from "./libc.js";

const SYS_PERF_EVENT_OPEN = 298;
const PERF_TYPE_TRACEPOINT = 2;
/** read_format: one read gives every member of the group. */
const PERF_FORMAT_GROUP = 1 << 3;
/** ioctl: attach an ftrace filter string. _IOW('$', 6, char *) */
const PERF_EVENT_IOC_SET_FILTER = 0x4008_2406;
/** perf_event_attr as of PERF_ATTR_SIZE_VER5 (older kernels accept it; newer ones zero the rest). */
const ATTR_SIZE = 112;
/** perf_event_open flags: close-on-exec. */
const PERF_FLAG_FD_CLOEXEC = 8;
/** attr flag bits (the u64 at offset 40). */
const EXCLUDE_HV = 1n << 6n;
const DISABLED = 1n;
/** ioctl: start counting (with PERF_IOC_FLAG_GROUP: the whole group at once). _IO('$', 0) */
const PERF_EVENT_IOC_ENABLE = 0x2400;
const PERF_IOC_FLAG_GROUP = 1;

let bound:
  | {
      open: (attr: Uint8Array, pid: number, cpu: number, group: number, flags: number) => number;
      setFilter: (fd: number, f: string) => number;
      enable: (fd: number) => number;
    }
  | undefined;

function b(): NonNullable<typeof bound> {
  if (!bound) {
    const { lib } = ffi();
    const sys = lib.func("long syscall(long number, const uint8_t *attr, int pid, int cpu, int group_fd, unsigned long flags)");
    const ioctl = lib.func("int ioctl(int fd, unsigned long request, ...)");
    bound = {
      open: (attr, pid, cpu, group, flags) => Number(sys(SYS_PERF_EVENT_OPEN, attr, pid, cpu, group, flags)),
      setFilter: (fd, f) => ioctl(fd, PERF_EVENT_IOC_SET_FILTER, "const char *", f) as number,
      enable: (fd) => ioctl(fd, PERF_EVENT_IOC_ENABLE, "unsigned long", PERF_IOC_FLAG_GROUP) as number,
    };
  }
  return bound;
}

/** A perf_event_open failure: `errno` tells paranoid (EACCES/EPERM) from EMFILE and others (class in errors.ts). */
export { PerfError };

/** Options of {@link openTracepointCounter}. */
export interface TracepointCounterOptions {
  /** The tracepoint's id (tracefs `events/<sys>/<name>/id`). */
  readonly id: number;
  /** The thread to count (a tid); the event counts on any CPU. */
  readonly tid: number;
  /** The group leader's fd, or -1 to make this one a leader. */
  readonly group?: number;
  /** An ftrace filter, e.g. `reason == 2`. */
  readonly filter?: string;
  /** Names the counter in errors. */
  readonly what: string;
  /** Open it stopped (a leader, so that the whole group starts together with {@link enableGroup}). */
  readonly disabled?: boolean;
}

/** Starts a group opened with a disabled leader: every member counts from the same moment. */
export function enableGroup(leader: number): void {
  if (b().enable(leader) !== 0) {
    const e = libc().errno();
    throw new PerfError(e, `perf enable: ${libc().strerror(e)} (${errnoName(e)})`);
  }
}

/** Opens a counting tracepoint event; a leader reads its whole group. Throws {@link PerfError}. */
export function openTracepointCounter(o: TracepointCounterOptions): number {
  const attr = new Uint8Array(ATTR_SIZE);
  const v = new DataView(attr.buffer);
  v.setUint32(0, PERF_TYPE_TRACEPOINT, true);
  v.setUint32(4, ATTR_SIZE, true);
  v.setBigUint64(8, BigInt(o.id), true);
  v.setBigUint64(32, BigInt(PERF_FORMAT_GROUP), true);
  v.setBigUint64(40, EXCLUDE_HV | (o.disabled ? DISABLED : 0n), true);
  const fd = b().open(attr, o.tid, -1, o.group ?? -1, PERF_FLAG_FD_CLOEXEC);
  if (fd < 0) {
    const e = libc().errno();
    throw new PerfError(e, `perf_event_open(${o.what}, tid ${o.tid}): ${libc().strerror(e)} (${errnoName(e)})`);
  }
  if (o.filter !== undefined && b().setFilter(fd, o.filter) !== 0) {
    const e = libc().errno();
    libc().close(fd);
    throw new PerfError(e, `perf filter "${o.filter}" (${o.what}): ${libc().strerror(e)} (${errnoName(e)})`);
  }
  return fd;
}

/**
 * Reads a group leader's counters into `out` (one u64 per member, leader first) using `buf`
 * (8 × (members + 1) bytes). Returns the member count the kernel reported.
 */
export function readGroup(fd: number, buf: Uint8Array, out: BigUint64Array): number {
  const n = readSync(fd, buf, 0, buf.length, null);
  if (n < 8) return 0;
  const words = new BigUint64Array(buf.buffer, buf.byteOffset, n >>> 3);
  const nr = Number(words[0]);
  const m = Math.min(nr, words.length - 1, out.length);
  for (let i = 0; i < m; i++) out[i] = words[i + 1] as bigint;
  return nr;
}
