/**
 * @module providers/shm
 * `shm:NAME[?dir=D&instances=auto|all|none]`: a source tree exported by statsfs producers
 * (src/producer), read from its live files: one directory per source, one file per process
 * (and thread shard) in it. `shm:` alone reads every exported tree; `NAME` may be a path
 * (`app/http`) to read a subtree. The directory defaults to $STATSFS_DIR or /dev/shm/statsfs.
 *
 * Every source shows as one merged stats file (`statsfs/<path>`: its processes' values and its
 * subordinates' aggregates, as in-process readers see them), followed by the per-process files
 * themselves (`statsfs-<instance>/<path>`; by default only where a source has more than one).
 *
 * Each poll rescans the tree: a new file joins, a removed one leaves, and a file renamed over
 * (a restarted producer, or one that added values) is re-opened and its schema re-read; a
 * reader never decodes a new data block with an old schema.
 */
import { type Dirent, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { SourceError, UsageError } from "../../errors.js";
import type { StatsFile } from "../../model/stats-file.js";
import { AggregatePlan, type InstanceInput, type NodeInput } from "../aggregate/plan.js";
import { PlanSource } from "../aggregate/plan-source.js";
import { defaultDir, parseShardFileName } from "./format/paths.js";
import { InstanceFile } from "./instance-file.js";

/** When per-process files are listed beside the merged ones. */
export type InstancesMode = "auto" | "all" | "none";

interface ScanNode {
  readonly path: string[];
  readonly files: InstanceFile[];
  readonly children: ScanNode[];
}

/** The exported files (with their inodes) and sub-directories of `dir`; one stat per file. */
function listDir(dir: string): { files: { name: string; ino: number }[]; dirs: string[] } {
  const files: { name: string; ino: number }[] = [];
  const dirs: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return { files, dirs }; // removed while we looked
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory()) dirs.push(e.name);
    else if (e.isFile() && parseShardFileName(e.name)) {
      try {
        files.push({ name: e.name, ino: statSync(join(dir, e.name)).ino });
      } catch {
        // gone between readdir and stat
      }
    }
  }
  return { files, dirs };
}

/** Groups a node's files into instances (a process and its thread shards). */
function instancesOf(files: readonly InstanceFile[]): InstanceInput[] {
  const groups = new Map<string, InstanceFile[]>();
  for (const f of files) {
    const p = parseShardFileName(f.path.slice(f.path.lastIndexOf("/") + 1));
    const key = p?.instance ?? f.path;
    const g = groups.get(key) ?? [];
    g.push(f);
    groups.set(key, g);
  }
  const out: InstanceInput[] = [];
  for (const g of groups.values()) {
    const first = g[0] as InstanceFile;
    // Shards must share the schema; any that does not stands alone.
    const same = g.filter((f) => f.schema.dataSize === first.schema.dataSize && f.values.length === first.values.length);
    const rest = g.filter((f) => !same.includes(f));
    out.push(instanceOf(first, same));
    for (const f of rest) out.push(instanceOf(f, [f]));
  }
  return out;
}

function instanceOf(first: InstanceFile, shards: readonly InstanceFile[]): InstanceInput {
  return {
    values: first.values,
    shards: shards.map((f) => f.u32),
    zero: (word, size) => {
      for (const f of shards) f.zero(word, size);
    },
  };
}

/** The `shm:` source. */
export class ShmSource extends PlanSource {
  readonly uri: string;
  readonly dir: string;
  readonly #path: readonly string[];
  readonly #mode: InstancesMode;
  #open = new Map<string, InstanceFile>();
  #signature = "";
  #files: readonly StatsFile[] = [];

  constructor(uri: string, dir: string, path: readonly string[], mode: InstancesMode) {
    super();
    this.uri = uri;
    this.dir = dir;
    this.#path = path;
    this.#mode = mode;
    const top = join(dir, ...path);
    let isDir = false;
    try {
      isDir = statSync(top).isDirectory();
    } catch {
      // reported below
    }
    if (!isDir) {
      throw new SourceError(
        "STATSFS_SOURCE",
        path.length ? `${uri}: nothing exported as "${path.join("/")}" in ${dir}` : `${uri}: ${dir} is not a directory`,
      );
    }
    this.pollSync();
  }

  get files(): readonly StatsFile[] {
    return this.#files;
  }

  #scan(): ScanNode[] {
    const seen = new Map<string, InstanceFile>();
    const visit = (dir: string, path: string[]): ScanNode => {
      const { files, dirs } = listDir(dir);
      const node: ScanNode = { path, files: [], children: [] };
      for (const { name, ino } of files) {
        const p = join(dir, name);
        let f = this.#open.get(p);
        if (!f || f.ino !== ino) {
          try {
            f = new InstanceFile(p);
          } catch (e) {
            if ((e as { cause?: { code?: string } }).cause?.code === "ENOENT") continue;
            throw e;
          }
        }
        seen.set(p, f);
        node.files.push(f);
      }
      for (const d of dirs) node.children.push(visit(join(dir, d), [...path, d]));
      return node;
    };
    const top = join(this.dir, ...this.#path);
    let roots: ScanNode[];
    try {
      if (this.#path.length > 0) roots = [visit(top, [...this.#path])];
      else roots = listDir(top).dirs.map((d) => visit(join(top, d), [d]));
    } catch (e) {
      for (const f of seen.values()) if (this.#open.get(f.path) !== f) f.close();
      throw e;
    }
    for (const [p, f] of this.#open) if (seen.get(p) !== f) f.close();
    this.#open = seen;
    return roots;
  }

  /** Rescans the tree, re-reads every data block and recomputes the merged files. */
  protected refresh(): void {
    const roots = this.#scan();
    const sig = [...this.#open.values()].map((f) => `${f.path}:${f.ino}`).join("\n") + roots.map(dirsOf).join("\n");
    for (const f of this.#open.values()) f.poll();
    if (sig !== this.#signature) {
      this.#signature = sig;
      const toInput = (n: ScanNode): NodeInput => ({ path: n.path, instances: instancesOf(n.files), children: n.children.map(toInput) });
      this.plan = new AggregatePlan(roots.map(toInput));
      const merged = new Map(this.plan.files.map((f) => [f.identity.path, f]));
      const files: StatsFile[] = [];
      const list = (n: ScanNode) => {
        const m = merged.get(`/${n.path.join("/")}`);
        if (m) files.push(m);
        const show = this.#mode === "all" || (this.#mode === "auto" && n.files.length > 1);
        if (show) files.push(...n.files);
        for (const c of n.children) list(c);
      };
      for (const r of roots) list(r);
      this.#files = files;
    }
    this.plan.evaluate();
  }

  protected override release(): void {
    for (const f of this.#open.values()) f.close();
    this.#open.clear();
  }
}

function dirsOf(n: ScanNode): string {
  return `${n.path.join("/")};${n.children.map(dirsOf).join(";")}`;
}

/** Opens `shm:NAME?dir=D&instances=auto|all|none`. */
export async function openShmSource(uri: string, rest: string, q: URLSearchParams): Promise<ShmSource> {
  const dir = q.get("dir") || defaultDir();
  const mode = (q.get("instances") ?? "auto") as InstancesMode;
  if (mode !== "auto" && mode !== "all" && mode !== "none") throw new UsageError(`${uri}: instances must be auto, all or none`);
  for (const k of q.keys()) if (k !== "dir" && k !== "instances") throw new UsageError(`${uri}: unknown option "${k}"`);
  const path = rest.split("/").filter((s) => s !== "");
  if (path.some((s) => s === "." || s === "..")) throw new UsageError(`${uri}: "." and ".." are not source names`);
  return new ShmSource(uri, dir, path, mode);
}
