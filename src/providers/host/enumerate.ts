/**
 * @module providers/host/enumerate
 * Every KVM VM on this host: each process holding an `anon_inode:kvm-vm` fd, with its vCPU
 * fds (`anon_inode:kvm-vcpu:N`), the stats fds it keeps open (`anon_inode:kvm-vm-stats`,
 * `anon_inode:kvm-vcpu-stats:N`), its vCPU threads, executable and command line (guest name,
 * uuid, monitors for QEMU; the QMP sockets of a `statsfs serve`), and its debugfs `<pid>-<fd>` directories. Never throws: a process
 * that exits mid-scan is left out, and what cannot be read is a one-line note on that VM.
 *
 * vCPU threads come from debugfs `vcpuN/pid` (read-only, so it opens under lockdown), else
 * QEMU's thread names (`CPU N/KVM`, with `-name debug-threads=on`), else a thread that is in
 * ioctl(vcpu fd, KVM_RUN) right now.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { MAX_UNIX_PATH } from "../../qmp/address.js";
import {
  cmdline,
  currentSyscall,
  exePath,
  fdLinks,
  listPids,
  PROC,
  readProc,
  startTime,
  threads,
  type UnixSocketEntry,
  unixSockets,
} from "../proc.js";
import { type MonitorSpec, parseQemuCommandLine, parseStatsfsServe, type QemuCommandLine } from "./cmdline.js";

/** Where debugfs keeps KVM's directories when mounted. */
export const DEBUGFS_KVM = "/sys/kernel/debug/kvm";

const SYS_IOCTL = 16;
const KVM_RUN = 0xae80n;

/** A monitor from the command line, resolved to a socket path where it can be. */
export interface HostMonitor {
  readonly spec: MonitorSpec;
  /** The Unix socket's bound path (from `path=`, or the socket an `fd=` names), as /proc/net/unix shows it. */
  readonly path?: string;
  /** Where to connect to it (through the VM process's `/proc/PID/root` or `/proc/PID/cwd`). */
  readonly connect?: string;
  /** Why it cannot be used (HMP, client mode, TCP not tried, fd not a bound socket). */
  readonly problem?: string;
}

/** One VMM process and its VM. */
export interface HostVm {
  readonly pid: number;
  /** `pid@starttime`: the same number later is another process. */
  readonly key: string;
  readonly exe?: string;
  /** The executable's base name (or the process name). */
  readonly vmm: string;
  readonly argv: readonly string[];
  readonly qemu?: QemuCommandLine;
  readonly guest?: string;
  readonly uuid?: string;
  readonly vmFds: readonly number[];
  /** vCPU fds by vCPU index. */
  readonly vcpuFds: ReadonlyMap<number, number>;
  readonly vmStatsFds: readonly number[];
  /** vCPU stats fds by vCPU index. */
  readonly vcpuStatsFds: ReadonlyMap<number, number>;
  /** vCPU index → thread id, where known. */
  readonly vcpuThreads: ReadonlyMap<number, number>;
  /** Every thread of the process. */
  readonly threads: readonly number[];
  readonly monitors: readonly HostMonitor[];
  /** Existing debugfs `<pid>-<fd>` directories of its VMs. */
  readonly debugfsDirs: readonly string[];
  /** One-line notes on what could not be read. */
  readonly notes: readonly string[];
}

/** Options of {@link enumerateVms}. */
export interface EnumerateOptions {
  /** Only these pids (others are not even scanned). */
  readonly pids?: ReadonlySet<number> | undefined;
  /** debugfs's kvm directory (default {@link DEBUGFS_KVM}). */
  readonly debugfs?: string | undefined;
  /**
   * How to find candidate processes: `auto` (default) lists debugfs's kvm directory when it is
   * mounted (one `<pid>-<fd>` directory per VM: one readdir instead of every process's fds) and
   * scans all of /proc otherwise; `proc` always scans /proc.
   */
  readonly scan?: "auto" | "proc" | undefined;
  /** Called for processes whose fds may not be read (e.g. EACCES), to report them. */
  readonly onUnreadable?: ((pid: number, why: string) => void) | undefined;
}

/** Whether any process on this host holds a KVM VM (a cheap scan that stops at the first). */
export function hostHasVms(): boolean {
  for (const pid of debugfsPids() ?? listPids()) {
    const links = fdLinks(pid);
    if (typeof links === "string") continue;
    for (const l of links.values()) if (l === "anon_inode:kvm-vm") return true;
  }
  return false;
}

/** Scans /proc for every VM. */
export function enumerateVms(options: EnumerateOptions = {}): HostVm[] {
  const out: HostVm[] = [];
  const fromDebugfs = options.pids || (options.scan ?? "auto") !== "auto" ? undefined : debugfsPids();
  const pids = options.pids ? [...options.pids].sort((a, b) => a - b) : (fromDebugfs ?? listPids());
  for (const pid of pids) {
    const links = fdLinks(pid);
    if (typeof links === "string") {
      if (links === "ENOENT") continue;
      options.onUnreadable?.(pid, `/proc/${pid}/fd: ${links}`);
      // debugfs says this process holds a VM: list it, with what cannot be read.
      if (fromDebugfs) {
        const vm = unreadable(pid, links, options.debugfs ?? DEBUGFS_KVM);
        if (vm) out.push(vm);
      }
      continue;
    }
    const vm = describe(pid, links, options.debugfs ?? DEBUGFS_KVM);
    if (vm) out.push(vm);
  }
  return out;
}

/** The pids that own a VM directory in debugfs, or undefined when debugfs is not mounted. */
export function debugfsPids(dir: string = DEBUGFS_KVM): number[] | undefined {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return undefined;
  }
  const pids = new Set<number>();
  for (const n of names) {
    const m = /^(\d+)-\d+$/.exec(n);
    if (m) pids.add(Number(m[1]));
  }
  return [...pids].sort((a, b) => a - b);
}

const VCPU = /^anon_inode:kvm-vcpu:(\d+)$/;
const VCPU_STATS = /^anon_inode:kvm-vcpu-stats:(\d+)$/;

/** The VM of `pid` from its fd links, or undefined when it holds none (or exited meanwhile). */
export function describe(pid: number, links: ReadonlyMap<number, string>, debugfs: string): HostVm | undefined {
  const vmFds: number[] = [];
  const vcpuFds = new Map<number, number>();
  const vmStatsFds: number[] = [];
  const vcpuStatsFds = new Map<number, number>();
  for (const [fd, link] of [...links].sort((a, b) => a[0] - b[0])) {
    if (link === "anon_inode:kvm-vm") vmFds.push(fd);
    else if (link === "anon_inode:kvm-vm-stats") vmStatsFds.push(fd);
    else {
      let m = VCPU.exec(link);
      if (m) {
        vcpuFds.set(Number(m[1]), fd);
        continue;
      }
      m = VCPU_STATS.exec(link);
      if (m && !vcpuStatsFds.has(Number(m[1]))) vcpuStatsFds.set(Number(m[1]), fd);
    }
  }
  if (vmFds.length === 0) return undefined;
  const start = startTime(pid);
  if (start === undefined) return undefined; // exited mid-scan
  const notes: string[] = [];
  const argv = cmdline(pid) ?? [];
  if (argv.length === 0) notes.push(`/proc/${pid}/cmdline: not readable`);
  const exe = exePath(pid);
  const comm = (readProc(`${pid}/comm`) ?? "").trim();
  const vmm = exe !== undefined ? basename(exe) : comm || "unknown";
  const isQemu = /qemu/.test(vmm) || /qemu/.test(basename(argv[0] ?? ""));
  const qemu = isQemu ? parseQemuCommandLine(argv) : undefined;
  const debugfsDirs = vmFds.map((fd) => join(debugfs, `${pid}-${fd}`)).filter((d) => existsSync(d));
  const tasks = threads(pid);
  const vcpuThreads = findVcpuThreads(pid, tasks, vcpuFds, debugfsDirs);
  const specs = qemu?.monitors ?? parseStatsfsServe(argv);
  const table = specs.length > 0 ? unixSockets() : undefined;
  const monitors = specs.map((spec) => resolveMonitor(spec, pid, links, table));
  const vm: {
    -readonly [K in keyof HostVm]: HostVm[K];
  } = {
    pid,
    key: `${pid}@${start}`,
    vmm,
    argv,
    vmFds,
    vcpuFds,
    vmStatsFds,
    vcpuStatsFds,
    vcpuThreads,
    threads: tasks.map((t) => t.tid),
    monitors,
    debugfsDirs,
    notes,
  };
  if (exe !== undefined) vm.exe = exe;
  if (qemu) {
    vm.qemu = qemu;
    if (qemu.guest !== undefined) vm.guest = qemu.guest;
    if (qemu.uuid !== undefined) vm.uuid = qemu.uuid;
  }
  return vm;
}

function listDir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** A VM known from debugfs whose /proc/PID/fd may not be read. */
function unreadable(pid: number, code: string, debugfs: string): HostVm | undefined {
  const start = startTime(pid);
  if (start === undefined) return undefined;
  const exe = exePath(pid);
  const comm = (readProc(`${pid}/comm`) ?? "").trim();
  return {
    pid,
    key: `${pid}@${start}`,
    vmm: exe !== undefined ? basename(exe) : comm || "unknown",
    argv: cmdline(pid) ?? [],
    vmFds: [],
    vcpuFds: new Map(),
    vmStatsFds: [],
    vcpuStatsFds: new Map(),
    vcpuThreads: new Map(),
    threads: threads(pid).map((t) => t.tid),
    monitors: [],
    debugfsDirs: listDir(DEBUGFS_KVM)
      .filter((n) => n.startsWith(`${pid}-`))
      .map((n) => join(debugfs, n))
      .filter((d) => existsSync(d)),
    notes: [`/proc/${pid}/fd: ${code} (its fds and vCPUs cannot be read)`],
  };
}

function findVcpuThreads(
  pid: number,
  tasks: readonly { tid: number; comm: string }[],
  vcpuFds: ReadonlyMap<number, number>,
  debugfsDirs: readonly string[],
): Map<number, number> {
  const out = new Map<number, number>();
  const own = new Set(tasks.map((t) => t.tid));
  for (const dir of debugfsDirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => /^vcpu\d+$/.test(n));
    } catch {
      continue;
    }
    for (const n of names) {
      try {
        const tid = Number(readFileSync(join(dir, n, "pid"), "utf8").trim());
        if (tid > 0 && own.has(tid)) out.set(Number(n.slice(4)), tid);
      } catch {
        // not readable
      }
    }
  }
  for (const t of tasks) {
    const m = /^CPU (\d+)\/KVM$/.exec(t.comm);
    if (m && !out.has(Number(m[1]))) out.set(Number(m[1]), t.tid);
  }
  if (out.size < vcpuFds.size) {
    const byFd = new Map([...vcpuFds].map(([i, fd]) => [BigInt(fd), i]));
    for (const t of tasks) {
      const sc = currentSyscall(pid, t.tid);
      if (!sc || sc.nr !== SYS_IOCTL || sc.a1 !== KVM_RUN) continue;
      const i = byFd.get(sc.a0);
      if (i !== undefined && !out.has(i)) out.set(i, t.tid);
    }
  }
  return out;
}

/**
 * True when a monitor socket cannot be trusted: the command line is the process's own claim, so
 * only a listening socket the VM process itself holds (its inode among `/proc/PID/fd`'s
 * `socket:[N]` links) bound to exactly that path (by /proc/net/unix, where the inode appears
 * once: a bound path with a newline cannot forge a line) is used.
 */
function notHeld(path: string, links: ReadonlyMap<number, string>, table: readonly UnixSocketEntry[] | undefined): boolean {
  if (table === undefined) return true;
  const held = new Set<string>();
  for (const l of links.values()) {
    const m = /^socket:\[(\d+)\]$/.exec(l);
    if (m) held.add(m[1] as string);
  }
  const seen = new Map<string, number>();
  for (const e of table) seen.set(e.inode, (seen.get(e.inode) ?? 0) + 1);
  return !table.some((e) => e.path === path && e.listening && held.has(e.inode) && seen.get(e.inode) === 1);
}

/** The text a monitor the VM process does not hold is reported with (ps shows it as `qmp: …`). */
export const NOT_HELD = "monitor not held by the VM process";

/**
 * Where to connect to a socket the VM process bound at `path`: through `/proc/PID/cwd` for a
 * relative path (never our own cwd) and `/proc/PID/root` for an absolute one (its mount
 * namespace's view), or the absolute path itself when the prefixed one does not fit sun_path.
 */
export function connectPath(pid: number, path: string): string {
  const via = path.startsWith("/") ? `${PROC}/${pid}/root${path}` : `${PROC}/${pid}/cwd/${path}`;
  return Buffer.byteLength(via) <= MAX_UNIX_PATH || !path.startsWith("/") ? via : path;
}

function resolveMonitor(
  spec: MonitorSpec,
  pid: number,
  links: ReadonlyMap<number, string>,
  table: readonly UnixSocketEntry[] | undefined,
): HostMonitor {
  if (spec.protocol !== "qmp") return { spec, problem: `${spec.via} is an HMP monitor (no query-stats)` };
  const e = spec.endpoint;
  if (e.kind === "unix") {
    if (!spec.server) return { spec, problem: `${spec.via}: QEMU connects out to ${e.path} (not a server)` };
    if (notHeld(e.path, links, table)) return { spec, problem: `${NOT_HELD} (${spec.via} ${e.path})` };
    return { spec, path: e.path, connect: connectPath(pid, e.path) };
  }
  if (e.kind === "fd") {
    const link = links.get(e.fd);
    const inode = link === undefined ? undefined : /^socket:\[(\d+)\]$/.exec(link)?.[1];
    const entry = inode === undefined ? undefined : table?.find((x) => x.inode === inode);
    const path = entry?.path;
    if (path === undefined || path === "" || path.startsWith("@"))
      return { spec, problem: `${spec.via}: fd ${e.fd} is not a bound Unix socket` };
    if (notHeld(path, links, table)) return { spec, problem: `${NOT_HELD} (${spec.via} fd ${e.fd} ${path})` };
    return { spec, path, connect: connectPath(pid, path) };
  }
  if (e.kind === "tcp") return { spec, problem: `${spec.via}: TCP monitor ${e.host}:${e.port} (only Unix sockets are tried)` };
  return { spec, problem: `${spec.via}: not a socket monitor (${e.text})` };
}
