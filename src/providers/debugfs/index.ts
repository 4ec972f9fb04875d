/**
 * @module providers/debugfs
 * `debugfs:[DIR]`: KVM's debugfs text files, the ones kvm_stat reads — one value per file,
 * per VM directory `<pid>-<fd>/` (holding the VM's statistics and its vCPUs' summed), as one
 * stats file per VM with id `debugfs-<pid>` (labels pid, route=debugfs). DIR is debugfs's kvm
 * directory (default /sys/kernel/debug/kvm), or one `<pid>-<fd>` directory; any directory in
 * that layout works (tests use a crafted one). Each file's kind comes from this kernel's own
 * binary stats descriptors by name (see kernel-schema.ts); histogram files are left out, since
 * debugfs shows only their first bucket, and so are files whose name the kernel does not know
 * as a statistic (`pid`, `tsc-offset`, `mmu_rmaps_stat`). Without /dev/kvm the kinds come from the
 * kernel's schema recorded in kvm-stats.ts, so a gauge such as `pages_4k` stays a gauge (its falls
 * are signed changes, not counter resets) wherever statsfs runs.
 *
 * Under lockdown=integrity every writable debugfs file refuses to open (EPERM), which is all of
 * KVM's counters: such files are reported, the route then being unusable (see FACTS.md).
 */

import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from "node:fs";
import { basename, join } from "node:path";
import { Closable } from "../../closable.js";
import { SourceError } from "../../errors.js";
import { layOut, type StatDescriptor } from "../../model/descriptor.js";
import { isHistogram, StatType } from "../../model/flags.js";
import { makeIdentity, type StatsIdentity } from "../../model/identity.js";
import { printable } from "../../model/printable.js";
import type { StatsSchema } from "../../model/stats-file.js";
import { LocalSource, type LocalStatsFile } from "../local-source.js";
import { checkQueryKeys } from "../query.js";
import { kernelDescriptors } from "./kernel-schema.js";

export const DEBUGFS_KVM_DIR = "/sys/kernel/debug/kvm";

const VM_DIR = /^(\d+)-(\d+)$/;
const NON_STATS = new Set(["pid", "mmu_rmaps_stat"]);

/** The lockdown mode in force (`integrity`, `confidentiality`), or undefined when none or unknown. */
export function lockdownMode(): string | undefined {
  try {
    const m = /\[(\w+)\]/.exec(readFileSync("/sys/kernel/security/lockdown", "utf8"));
    return m && m[1] !== "none" ? m[1] : undefined;
  } catch {
    return undefined;
  }
}

/** One VM directory read as a stats file. */
export class DebugfsVmFile extends Closable implements LocalStatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  readonly dir: string;
  /** Files that refused to open, with errno codes. */
  readonly refused: readonly { name: string; code: string }[];
  readonly #fds: number[];
  readonly #buf = Buffer.alloc(32);

  private constructor(
    dir: string,
    identity: StatsIdentity,
    names: string[],
    fds: number[],
    kinds: ReadonlyMap<string, StatDescriptor>,
    refused: { name: string; code: string }[],
  ) {
    super();
    this.dir = dir;
    this.identity = identity;
    this.#fds = fds;
    this.refused = refused;
    const { descriptors, dataSize } = layOut(
      names.map((name) => {
        const k = kinds.get(name);
        return k ? { name, type: k.type, unit: k.unit, base: k.base, exponent: k.exponent } : { name, type: StatType.Cumulative };
      }),
    );
    this.schema = { descriptors, dataSize, nameSize: 48 };
    this.data = new BigUint64Array(dataSize / 8);
  }

  /** Opens the statistics files of VM directory `dir`. */
  static async open(dir: string, labels: Readonly<Record<string, string>> = {}): Promise<DebugfsVmFile> {
    const m = VM_DIR.exec(basename(dir));
    const pid = m ? (m[1] as string) : "0";
    const kinds = await kernelDescriptors();
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (e) {
      throw new SourceError("STATSFS_SOURCE", `debugfs ${printable(dir)}: ${(e as NodeJS.ErrnoException).code ?? "cannot read"}`);
    }
    const names: string[] = [];
    const fds: number[] = [];
    const refused: { name: string; code: string }[] = [];
    for (const name of entries) {
      if (NON_STATS.has(name) || !/^[a-z0-9_]{1,47}$/.test(name)) continue;
      const k = kinds.get(name);
      if (!k || isHistogram(k.type)) continue;
      const path = join(dir, name);
      try {
        if (!statSync(path).isFile()) continue;
      } catch {
        continue;
      }
      let fd: number;
      try {
        fd = openSync(path, "r");
      } catch (e) {
        refused.push({ name, code: (e as NodeJS.ErrnoException).code ?? "error" });
        continue;
      }
      names.push(name);
      fds.push(fd);
    }
    const identity = makeIdentity(`debugfs-${pid}`, "debugfs", "vm", { pid, ...labels, route: "debugfs" });
    const f = new DebugfsVmFile(dir, identity, names, fds, kinds, refused);
    f.poll();
    return f;
  }

  /** Why this directory cannot serve as a route (files refused), or undefined. */
  get problem(): string | undefined {
    if (this.refused.length === 0) return this.#fds.length === 0 ? `${this.dir}: no statistics files` : undefined;
    const lock = lockdownMode();
    const eperm = this.refused.filter((r) => r.code === "EPERM").length;
    if (eperm > 0 && lock) return `debugfs locked down (${lock}): ${eperm} of ${eperm + this.#fds.length} stat files refused`;
    const code = this.refused[0]?.code;
    return `${this.refused.length} of ${this.refused.length + this.#fds.length} stat files refused (${code}${code === "EPERM" ? ", as under kernel lockdown" : ""})`;
  }

  poll(): void {
    if (this.closed) throw new SourceError("STATSFS_CLOSED", `${this.identity.id}: closed`);
    const d = this.data;
    for (let i = 0; i < this.#fds.length; i++) {
      const v = readValue(this.#fds[i] as number, this.#buf);
      if (v !== undefined) d[i] = v;
    }
  }

  protected closing(): void {
    for (const fd of this.#fds) closeSync(fd);
  }
}

const U64_MAX = (1n << 64n) - 1n;

/** The decimal integer a debugfs file holds (read at offset 0), or undefined. */
function readValue(fd: number, buf: Buffer): bigint | undefined {
  let n: number;
  try {
    n = readSync(fd, buf, 0, buf.length, 0);
  } catch {
    return undefined;
  }
  const text = buf.toString("latin1", 0, n).trim();
  if (!/^-?\d{1,20}$/.test(text)) return undefined;
  const v = BigInt(text);
  return v < 0n ? v & U64_MAX : v > U64_MAX ? undefined : v;
}

/** The VM directories under `dir` (or `dir` itself when it is one). */
export function vmDirs(dir: string): string[] {
  if (VM_DIR.test(basename(dir))) return [dir];
  try {
    return readdirSync(dir)
      .filter((n) => VM_DIR.test(n))
      .sort()
      .map((n) => join(dir, n));
  } catch (e) {
    throw new SourceError("STATSFS_SOURCE", `debugfs:${printable(dir)}: ${(e as NodeJS.ErrnoException).code ?? "cannot read"}`);
  }
}

/** Opens `debugfs:[DIR]`. Refused files are left out; a directory where nothing opens is an error. */
export async function openDebugfsSource(uri: string, rest: string, query: URLSearchParams = new URLSearchParams()): Promise<LocalSource> {
  checkQueryKeys(printable(uri), query, [], "debugfs:");
  const dir = rest === "" ? DEBUGFS_KVM_DIR : rest;
  const files: DebugfsVmFile[] = [];
  try {
    for (const d of vmDirs(dir)) {
      const f = await DebugfsVmFile.open(d);
      if (f.schema.descriptors.length === 0) {
        const why = f.problem;
        f.close();
        throw new SourceError("STATSFS_SOURCE", `${printable(uri)}: ${why ?? `${printable(d)}: no statistics files`}`);
      }
      files.push(f);
    }
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
  const empty = `${printable(uri)}: no VM directories (<pid>-<fd>) in ${printable(dir)}: no KVM VM runs, or it is not KVM's debugfs directory`;
  return new LocalSource(uri, files, undefined, undefined, files.length === 0 ? empty : undefined);
}
