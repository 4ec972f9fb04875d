/**
 * @module providers/proc
 * The few /proc reads host enumeration (host/) and trace: need, each returning undefined (never
 * throwing) when the process is gone or the entry may not be read: fd links, threads and their
 * names, the start time (to tell a reused pid), the executable, the argv, and the path of a Unix
 * socket an fd holds and the listening state of each (via /proc/net/unix).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** `/proc` (overridable for tests with STATSFS_PROC). */
export const PROC = process.env.STATSFS_PROC || "/proc";

/** The process ids under /proc, ascending. */
export function listPids(): number[] {
  try {
    return readdirSync(PROC)
      .filter((n) => /^\d+$/.test(n))
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** Every fd of `pid` and what its link says, or an errno code (`EACCES`, `ENOENT`). */
export function fdLinks(pid: number): Map<number, string> | string {
  let names: string[];
  try {
    names = readdirSync(`${PROC}/${pid}/fd`);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? "error";
  }
  const out = new Map<number, string>();
  for (const n of names) {
    try {
      out.set(Number(n), readlinkSync(`${PROC}/${pid}/fd/${n}`));
    } catch {
      // closed meanwhile
    }
  }
  return out;
}

/** A small /proc file as text, or undefined. */
export function readProc(path: string): string | undefined {
  try {
    return readFileSync(`${PROC}/${path}`, "utf8");
  } catch {
    return undefined;
  }
}

/** Field 22 of /proc/PID/stat (start time in clock ticks since boot): with the pid, a process's identity. */
export function startTime(pid: number): string | undefined {
  const stat = readProc(`${pid}/stat`);
  if (stat === undefined) return undefined;
  const rest = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return rest[19];
}

/** The process's argv, or undefined. */
export function cmdline(pid: number): string[] | undefined {
  const text = readProc(`${pid}/cmdline`);
  if (text === undefined) return undefined;
  const argv = text.split("\0");
  if (argv[argv.length - 1] === "") argv.pop();
  return argv;
}

/** The executable's path (without a " (deleted)" suffix), or undefined. */
export function exePath(pid: number): string | undefined {
  try {
    return readlinkSync(`${PROC}/${pid}/exe`).replace(/ \(deleted\)$/, "");
  } catch {
    return undefined;
  }
}

/** The process's threads: tid and name (comm). */
export function threads(pid: number): { tid: number; comm: string }[] {
  let names: string[];
  try {
    names = readdirSync(`${PROC}/${pid}/task`);
  } catch {
    return [];
  }
  const out: { tid: number; comm: string }[] = [];
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    out.push({ tid: Number(n), comm: (readProc(`${pid}/task/${n}/comm`) ?? "").trim() });
  }
  return out.sort((a, b) => a.tid - b.tid);
}

/**
 * The thread's current system call and first two arguments (`/proc/PID/task/TID/syscall`), or
 * undefined (running in user space, or not readable).
 */
export function currentSyscall(pid: number, tid: number): { nr: number; a0: bigint; a1: bigint } | undefined {
  const text = readProc(`${pid}/task/${tid}/syscall`);
  if (text === undefined) return undefined;
  const f = text.trim().split(" ");
  if (f.length < 3 || !/^\d+$/.test(f[0] as string)) return undefined;
  try {
    return { nr: Number(f[0]), a0: BigInt(f[1] as string), a1: BigInt(f[2] as string) };
  } catch {
    return undefined;
  }
}

/** One line of /proc/net/unix: a Unix socket's inode, bound path (as given to bind) and state. */
export interface UnixSocketEntry {
  readonly inode: string;
  readonly path: string;
  /** Listening (flag __SO_ACCEPTCON, 0x10000): a server socket, not a connection. */
  readonly listening: boolean;
  /** State 03: connected. */
  readonly connected: boolean;
}

/** The bound Unix sockets of this network namespace (from /proc/net/unix), or undefined. */
export function unixSockets(): UnixSocketEntry[] | undefined {
  const table = readProc("net/unix");
  if (table === undefined) return undefined;
  const out: UnixSocketEntry[] = [];
  for (const line of table.split("\n").slice(1)) {
    // Num RefCount Protocol Flags Type St Inode Path
    const m = /^\s*[0-9a-f]+: [0-9A-F]+ [0-9A-F]+ ([0-9A-F]+) [0-9A-F]+ ([0-9A-F]+) +(\d+)(?: (.*))?$/.exec(line);
    if (!m) continue;
    const flags = Number.parseInt(m[1] as string, 16);
    out.push({ inode: m[3] as string, path: m[4] ?? "", listening: (flags & 0x10000) !== 0, connected: m[2] === "03" });
  }
  return out;
}
