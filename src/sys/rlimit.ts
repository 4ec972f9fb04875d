/**
 * @module sys/rlimit
 * getrlimit/setrlimit(2) for RLIMIT_NOFILE: tracepoint counters take one fd each, so the soft
 * limit is raised toward the hard limit when many are needed (as kvm_stat does).
 */
import { ffi } from "./ffi.js";

const RLIMIT_NOFILE = 7;

let bound: { get: (buf: Uint8Array) => number; set: (buf: Uint8Array) => number } | undefined;

function b(): NonNullable<typeof bound> {
  if (!bound) {
    const { lib } = ffi();
    const get = lib.func("int getrlimit(int resource, _Out_ uint8_t *rlim)");
    const set = lib.func("int setrlimit(int resource, const uint8_t *rlim)");
    bound = { get: (buf) => get(RLIMIT_NOFILE, buf) as number, set: (buf) => set(RLIMIT_NOFILE, buf) as number };
  }
  return bound;
}

/** The soft and hard limits on open fds. */
export function getNofile(): { soft: bigint; hard: bigint } {
  const buf = new Uint8Array(16);
  if (b().get(buf) !== 0) return { soft: 1024n, hard: 1024n };
  const v = new BigUint64Array(buf.buffer);
  return { soft: v[0] as bigint, hard: v[1] as bigint };
}

/**
 * Raises the soft limit on open fds to at least `want` (never above the hard limit, never
 * lowering it). Returns the soft limit in force afterwards.
 */
export function raiseNofile(want: number): bigint {
  const { soft, hard } = getNofile();
  const target = BigInt(want) > hard ? hard : BigInt(want);
  if (target <= soft) return soft;
  const buf = new Uint8Array(16);
  const v = new BigUint64Array(buf.buffer);
  v[0] = target;
  v[1] = hard;
  return b().set(buf) === 0 ? target : soft;
}
