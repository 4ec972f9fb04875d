/**
 * @module providers/shm
 * `shm:NAME[?dir=D&instances=auto|all|none&grace=S]`: a source tree exported by statsfs producers
 * (src/producer), read from its live files: one directory per registered tree, one bundle file
 * per process (and per sharded source) in it, holding every source and label set of the tree
 * (codec/bundle.ts, bundle-reader.ts). `shm:` alone reads every exported tree; `NAME` may be a
 * path (`app/http`) to read a subtree. The directory defaults to $STATSFS_DIR or /dev/shm/statsfs.
 *
 * Every source shows as one merged stats file (`statsfs/<path>`: its processes' values and its
 * subordinates' aggregates, as in-process readers see them), followed by the per-process files
 * themselves (`statsfs-<instance>/<path>`; by default only where a source has more than one).
 *
 * Each poll rescans the trees' directories: a new file joins, a removed one leaves, and a file
 * renamed over (a restarted producer, or one whose bundle ran out of room) is re-opened. A
 * directory is re-listed only when it changed (see {@link listDirCached}: every create, rename
 * and unlink in it moves its mtime/ctime); an unchanged one costs one stat. Each open bundle
 * costs one pread per poll (header and values) plus its table when its generation moved, so a
 * source or label set added after the first poll shows at the next; a reader never decodes
 * values with a table of another generation. Each poll also asks every open file whether its
 * producer still lives (its flock); files of producers that are gone, and files that are not
 * readable exports, are left out and reported in {@link ShmSource.members}.
 *
 * Root reads directories other users write, so nothing is looked up by a path twice: each
 * directory is held by an fd opened O_DIRECTORY | O_NOFOLLOW relative to its parent's (a link in
 * place of a directory is never followed; src/sys/dirfd.ts), and each file is opened relative to
 * that fd and checked on what was opened (format/entry.ts).
 */
import { type Dirent, lstatSync } from "node:fs";
import { join } from "node:path";
import { SourceError, UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import type { StatsFile } from "../../model/stats-file.js";
import { quote } from "../../model/text.js";
import { closeQuietly, type EntryStat, fstatBig, lstatAt, openDirAt, openDirPath, readdirFd } from "../../sys/dirfd.js";
import { AggregatePlan, type InstanceInput, type NodeInput } from "../aggregate/plan.js";
import { PlanSource } from "../aggregate/plan-source.js";
import { located } from "../file/fd-file.js";
import { checkQueryKeys } from "../query.js";
import type { MemberStatus } from "../source.js";
import { BundleReader, EntryFile, isUnsettled } from "./bundle-reader.js";
import { openEntry } from "./format/entry.js";
import { defaultDir, parseShardFileName } from "./format/paths.js";
import { heldByProducer } from "./lock.js";

/** When per-process files are listed beside the merged ones. */
export type InstancesMode = "auto" | "all" | "none";

/** A source of the tree as the last poll found it: its entries (one per process and shard) and its subordinates. */
interface ScanNode {
  readonly path: readonly string[];
  readonly files: EntryFile[];
  readonly children: ScanNode[];
}

/** One exported name in a directory: a regular file or a producer's link (see format/entry.ts). */
interface Listed {
  readonly name: string;
  readonly path: string;
  /**
   * The directory entry's own inode (lstat: a link's, not its target's — no walk through
   * /proc per poll). A rename over the name gives a new one.
   */
  readonly ino: string;
  readonly link: boolean;
}

/** A directory's exported names and sub-directories. */
interface Listing {
  readonly files: readonly Listed[];
  readonly dirs: readonly string[];
}

/** The exported names (with their entries' inodes) and sub-directories of the directory `fd` holds (`dir`); one lstat per name. */
function listDir(fd: number, dir: string): Listing {
  const files: Listed[] = [];
  const dirs: string[] = [];
  let entries: Dirent[];
  try {
    entries = readdirFd(fd);
  } catch {
    return { files, dirs }; // removed while we looked
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    if (e.isDirectory()) dirs.push(e.name);
    else if (parseShardFileName(e.name)) {
      const path = join(dir, e.name);
      const link = e.isSymbolicLink();
      try {
        files.push({ name: e.name, path, ino: entryKey(lstatAt(fd, e.name)), link });
      } catch {
        // removed between readdir and lstat
      }
    }
  }
  return { files, dirs };
}

/**
 * A directory of the tree held open across polls (while its name keeps naming the same inode),
 * so every name in it is looked up relative to the directory checked, never by a path again.
 */
interface DirHandle {
  readonly fd: number;
  readonly dev: bigint;
  readonly ino: bigint;
  readonly uid: bigint;
}

/**
 * The directory `name` of `parent` (or, without a parent, the export directory at `path`), never
 * through a symbolic link: the handle of the previous poll when the name still names its inode
 * (one lstat), else opened now (O_DIRECTORY | O_NOFOLLOW relative to the parent's fd). Returns it
 * with its current stat, or undefined when it is gone or not a directory.
 */
function holdDir(
  parent: DirHandle | undefined,
  name: string,
  path: string,
  before: ReadonlyMap<string, DirHandle>,
  after: Map<string, DirHandle>,
): { h: DirHandle; st: EntryStat } | undefined {
  let st: EntryStat;
  try {
    st = parent ? lstatAt(parent.fd, name) : lstatSync(path, { bigint: true });
  } catch {
    return undefined;
  }
  if (!st.isDirectory()) return undefined;
  const old = before.get(path);
  if (old && old.ino === st.ino && old.dev === st.dev) {
    after.set(path, old);
    return { h: old, st };
  }
  let fd: number;
  try {
    fd = parent ? openDirAt(parent.fd, name) : openDirPath(path);
  } catch {
    return undefined;
  }
  const f = fstatBig(fd);
  const h: DirHandle = { fd, dev: f.dev, ino: f.ino, uid: f.uid };
  after.set(path, h);
  return { h, st: f };
}

/** A listing kept with the directory's inode and change times when it was taken. */
interface CachedListing extends Listing {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
}

/**
 * How long after its last change a directory's listing may be kept while its times stay the
 * same. The kernel stamps directory times from a coarse clock (one tick: at most 10 ms at
 * HZ=100; tmpfs, ext4, xfs, btrfs keep the nanoseconds): a change in the same tick as the
 * listing can leave the times as they were, so a listing taken that close to the directory's
 * last change is not kept and the next poll lists the directory again. A file system whose
 * times are whole seconds (both times without a fraction) waits longer than its granularity.
 * The times and the clock are this host's: exports live on a local file system (/dev/shm).
 */
const SETTLED_NS = 100_000_000n;
const SETTLED_COARSE_NS = 3_000_000_000n;
const SECOND_NS = 1_000_000_000n;

/**
 * `dir`'s listing: the one from an earlier poll (`before`) when the directory's inode, mtime
 * and ctime are unchanged (a create, rename or unlink of a name in it changes both times),
 * else listed now. Listings worth keeping go into `after` (only directories still visited).
 */
function listDirCached(
  held: { h: DirHandle; st: EntryStat } | undefined,
  dir: string,
  now: bigint,
  before: ReadonlyMap<string, CachedListing>,
  after: Map<string, CachedListing>,
): Listing {
  if (!held) {
    dirListings.count++;
    return { files: [], dirs: [] }; // removed while we looked
  }
  const { h, st } = held;
  const c = before.get(dir);
  if (c && c.ino === st.ino && c.dev === st.dev && c.mtimeNs === st.mtimeNs && c.ctimeNs === st.ctimeNs) {
    after.set(dir, c);
    return c;
  }
  const l = listDir(h.fd, dir);
  dirListings.count++;
  const changed = st.mtimeNs > st.ctimeNs ? st.mtimeNs : st.ctimeNs;
  const coarse = st.mtimeNs % SECOND_NS === 0n && st.ctimeNs % SECOND_NS === 0n;
  if (now - changed > (coarse ? SETTLED_COARSE_NS : SETTLED_NS)) {
    after.set(dir, { ...l, dev: st.dev, ino: st.ino, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs });
  }
  return l;
}

/** @internal Directories listed (or found missing) since the process started: for tests, and to tell a poll that changed nothing. */
export const dirListings = { count: 0 };

/** Groups a node's entries into instances (a process and its thread shards). */
function instancesOf(files: readonly EntryFile[]): InstanceInput[] {
  const groups = new Map<string, EntryFile[]>();
  for (const f of files) {
    if (f.values.length === 0) continue;
    const g = groups.get(f.instance) ?? [];
    g.push(f);
    groups.set(f.instance, g);
  }
  const out: InstanceInput[] = [];
  for (const g of groups.values()) {
    g.sort((a, b) => a.entry.shard - b.entry.shard);
    const first = g[0] as EntryFile;
    // Shards must share the schema; any that does not stands alone.
    const same = g.filter((f) => f.schema.dataSize === first.schema.dataSize && f.values.length === first.values.length);
    const rest = g.filter((f) => !same.includes(f));
    out.push(instanceOf(first, same));
    for (const f of rest) out.push(instanceOf(f, [f]));
  }
  return out;
}

function instanceOf(first: EntryFile, shards: readonly EntryFile[]): InstanceInput {
  return {
    values: first.values,
    shards: shards.map((f) => f.u32),
    zero: (word, size) => {
      for (const f of shards) f.zero(word, size);
    },
  };
}

/** An entry's identity across polls: inode and change time (a reused inode number has a new change time). */
function entryKey(st: { readonly ino: bigint; readonly ctimeNs?: bigint | undefined }): string {
  return `${st.ino}:${st.ctimeNs ?? ""}`;
}

/** Why a listed name is not read: its producer is gone, or it is not a readable export. */
interface Skipped {
  readonly ino: string;
  readonly state: "gone" | "failed";
  readonly reason: string;
  /** When this entry was first found in this state (ms since the epoch). */
  readonly since: number;
  /** When to try it again (ms since the epoch): a bundle whose generation did not settle; otherwise not until it changes. */
  readonly retry?: number;
}

/** How long a bundle whose generation did not settle is left alone before it is tried again. */
const UNSETTLED_RETRY_MS = 1000;

/** How long a dead producer's file is reported as a `gone` member before it is ignored (until pruned): 5 minutes. */
export const DEFAULT_GONE_GRACE_MS = 300_000;

/**
 * The `shm:` source. Only live producers' files are read: a file whose producer is gone (its
 * lock is free, or its link dangles) shows as a member in state `gone` and counts nowhere —
 * not in the merged files' totals, not as a per-process file — until it is pruned. A file that
 * is not a readable export (foreign, corrupt, another id) is skipped, reported as a member in
 * state `failed` whose reason names what is wrong (the CLI prints it as one warning line);
 * the others keep reading.
 */
export class ShmSource extends PlanSource {
  readonly uri: string;
  readonly dir: string;
  readonly #path: readonly string[];
  readonly #mode: InstancesMode;
  readonly #grace: number;
  #open = new Map<string, BundleReader>();
  #skipped = new Map<string, Skipped>();
  #listings = new Map<string, CachedListing>();
  #handles = new Map<string, DirHandle>();
  #signature = "";
  #files: readonly StatsFile[] = [];
  #entryFiles = new Set<EntryFile>();
  #members: readonly MemberStatus[] = [];

  constructor(uri: string, dir: string, path: readonly string[], mode: InstancesMode, graceMs = DEFAULT_GONE_GRACE_MS) {
    super();
    this.uri = uri;
    this.dir = dir;
    this.#path = path;
    this.#mode = mode;
    this.#grace = graceMs;
    // The export directory (never a symbolic link) and the named tree's directory in it, by fds.
    let fd: number | undefined;
    let looped = false;
    try {
      fd = openDirPath(dir.replace(/(.)\/+$/, "$1"));
      if (path[0] !== undefined) {
        const next = openDirAt(fd, path[0]);
        closeQuietly(fd);
        fd = next;
      }
    } catch (e) {
      looped = (e as NodeJS.ErrnoException).code === "ELOOP";
      closeQuietly(fd);
      fd = undefined;
    }
    const nothing = () => {
      const what = path.length ? `"${path.join("/")}" in ${dir}` : dir;
      return new SourceError(
        "STATSFS_SOURCE",
        looped
          ? `${uri}: ${what} is a symbolic link (shm: never follows one in an export directory)`
          : path.length
            ? `${uri}: nothing exported as ${what}`
            : `${uri}: ${dir} is not a directory`,
      );
    };
    if (fd === undefined) throw nothing();
    closeQuietly(fd);
    this.pollSync();
    // A subtree must be in some file (of a live or a gone producer).
    if (path.length > 1 && this.#files.length === 0 && this.#members.every((m) => m.state === "ok")) {
      this.release();
      throw nothing();
    }
  }

  get files(): readonly StatsFile[] {
    return this.#files;
  }

  /** Whether a live producer's file was read at the last poll (the service runs). */
  get live(): boolean {
    return this.#open.size > 0;
  }

  /** Every exported file seen at the last poll: `ok` (a live producer's), `gone` (its producer ended), `failed` (skipped). */
  get members(): readonly MemberStatus[] {
    return this.#members;
  }

  #skip(l: Listed, state: Skipped["state"], reason: string, members: MemberStatus[], skipped: Map<string, Skipped>, retry?: number): void {
    const prev = this.#skipped.get(l.path);
    const now = Date.now();
    const since = prev && prev.ino === l.ino && prev.state === state ? prev.since : now;
    skipped.set(l.path, { ino: l.ino, state, reason, since, ...(retry !== undefined ? { retry } : {}) });
    // A dead producer's file is reported for a grace period, then ignored: it costs nothing and
    // says nothing more until `prune` removes it (a restart with the same instance replaces it).
    if (state !== "gone" || now - since <= this.#grace) members.push({ uri: l.path, state, reason });
  }

  /** The open, live, polled bundle for `l` (a name in the directory `h`), or undefined (recorded as skipped) when it cannot be read. */
  #fileFor(l: Listed, h: DirHandle, members: MemberStatus[], skipped: Map<string, Skipped>, retries = 3): BundleReader | undefined {
    const before = this.#skipped.get(l.path);
    if (before && before.ino === l.ino && (before.retry === undefined || Date.now() < before.retry)) {
      this.#skip(l, before.state, before.reason, members, skipped, before.retry);
      return undefined;
    }
    let f = this.#open.get(l.path);
    let fresh = false;
    if (!f || f.entryKey !== l.ino) {
      f = undefined;
      let entry: ReturnType<typeof openEntry>;
      try {
        entry = openEntry(h.fd, l.name, h.uid);
      } catch (e) {
        this.#skip(l, "failed", reasonOf(located(e, l.path), l.path), members, skipped);
        return undefined;
      }
      if (!entry) return undefined; // removed or replaced meanwhile: the next poll sees it
      const at: Listed = { ...l, ino: entryKey(entry) };
      if (entry.kind === "gone") {
        this.#skip(at, "gone", entry.why, members, skipped);
        return undefined;
      }
      if (entry.kind === "foreign") {
        this.#skip(at, "failed", `not a statsfs export (${entry.why})`, members, skipped);
        return undefined;
      }
      const shard = parseShardFileName(l.name) as { instance: string; shard: number };
      try {
        f = new BundleReader(entry.fd, l.path, at.ino, shard.instance);
      } catch (e) {
        this.#skip(at, "failed", reasonOf(e, l.path), members, skipped, isUnsettled(e) ? Date.now() + UNSETTLED_RETRY_MS : undefined);
        return undefined;
      }
      fresh = true;
    }
    if (!heldByProducer(f.fd)) {
      if (this.#open.get(l.path) !== f) f.close();
      // A producer replacing its bundle (out of room) renames the new one over it, then lets
      // the old one go: if the name names another file now, read that one.
      if (retries > 0) {
        let again: ReturnType<typeof openEntry>;
        try {
          again = openEntry(h.fd, l.name, h.uid);
        } catch {
          again = undefined;
        }
        if (again?.kind === "open") {
          const other = fstatBig(again.fd).ino !== BigInt(f.ino);
          closeQuietly(again.fd);
          if (other) {
            if (this.#open.get(l.path) === f) {
              this.#open.delete(l.path);
              f.close();
            }
            return this.#fileFor({ ...l, ino: entryKey(again) }, h, members, skipped, retries - 1);
          }
        }
      }
      this.#skip(l, "gone", "producer gone (no process holds its lock)", members, skipped);
      return undefined;
    }
    if (!fresh) {
      try {
        f.poll();
      } catch (e) {
        // A writer too busy to let the table be read this time: keep the last table and values
        // (a counter never goes back) and say so; anything else leaves the file out.
        if (isUnsettled(e)) {
          members.push({ uri: l.path, state: "failed", reason: reasonOf(e, l.path) });
          return f;
        }
        this.#skip(l, "failed", reasonOf(e, l.path), members, skipped);
        return undefined;
      }
    }
    members.push({ uri: l.path, state: "ok" });
    return f;
  }

  /** Lists the trees' directories, opens and polls every live bundle in them. */
  #scan(): { bundles: BundleReader[]; members: MemberStatus[] } {
    // The clock is read before any stat and listing, so a listing kept was taken after it.
    const now = BigInt(Date.now()) * 1_000_000n;
    const seen = new Map<string, BundleReader>();
    const skipped = new Map<string, Skipped>();
    const members: MemberStatus[] = [];
    const before = this.#listings;
    const listings = new Map<string, CachedListing>();
    const handlesBefore = this.#handles;
    const handles = new Map<string, DirHandle>();
    const hold = (parent: DirHandle | undefined, name: string, dir: string) => holdDir(parent, name, dir, handlesBefore, handles);
    const visit = (held: ReturnType<typeof hold>, dir: string): void => {
      const { files } = listDirCached(held, dir, now, before, listings);
      if (!held) return;
      for (const l of files) {
        const f = this.#fileFor(l, held.h, members, skipped);
        if (f) seen.set(l.path, f);
      }
    };
    try {
      const dir = this.dir.replace(/(.)\/+$/, "$1");
      const top = hold(undefined, "", dir);
      const root = this.#path[0];
      if (root !== undefined) {
        const sub = join(dir, root);
        visit(top ? hold(top.h, root, sub) : undefined, sub);
      } else {
        for (const d of listDirCached(top, dir, now, before, listings).dirs) {
          const sub = join(dir, d);
          visit(top ? hold(top.h, d, sub) : undefined, sub);
        }
      }
    } catch (e) {
      for (const f of seen.values()) if (this.#open.get(f.path) !== f) f.close();
      throw e;
    } finally {
      for (const [p, h] of handlesBefore) if (handles.get(p) !== h) closeQuietly(h.fd);
      this.#handles = handles;
    }
    for (const [p, f] of this.#open) if (seen.get(p) !== f) f.close();
    this.#open = seen;
    this.#skipped = skipped;
    this.#listings = listings;
    return { bundles: [...seen.values()], members };
  }

  /** The trees the bundles' entries describe (only under the named path), parents before children. */
  #tree(bundles: readonly BundleReader[]): ScanNode[] {
    const nodes = new Map<string, ScanNode>();
    const roots: ScanNode[] = [];
    const want = this.#path;
    const nodeOf = (path: readonly string[]): ScanNode => {
      const key = path.join("/");
      let n = nodes.get(key);
      if (!n) {
        n = { path, files: [], children: [] };
        nodes.set(key, n);
        if (path.length <= Math.max(1, want.length)) roots.push(n);
        else nodeOf(path.slice(0, -1)).children.push(n);
      }
      return n;
    };
    for (const b of bundles) {
      for (const f of b.files) {
        const p = f.entry.path;
        if (p.length < want.length || want.some((w, i) => p[i] !== w)) continue;
        nodeOf(p).files.push(f);
      }
    }
    return roots;
  }

  /** Rescans the trees, re-reads every bundle and recomputes the merged files. */
  protected refresh(): void {
    const { bundles, members } = this.#scan();
    this.#members = members;
    // The trees are the same while the same bundles are open with the same tables.
    const sig = bundles.map((b) => `${b.path}:${b.entryKey}:${b.tableVersion}`).join("\n");
    if (sig !== this.#signature) {
      this.#signature = sig;
      const roots = this.#tree(bundles);
      const toInput = (n: ScanNode): NodeInput => ({ path: n.path, instances: instancesOf(n.files), children: n.children.map(toInput) });
      this.plan = new AggregatePlan(roots.map(toInput));
      const merged = new Map(this.plan.files.map((f) => [f.identity.path, f]));
      const files: StatsFile[] = [];
      const entryFiles = new Set<EntryFile>();
      const list = (n: ScanNode) => {
        const m = merged.get(`/${n.path.join("/")}`);
        if (m) files.push(m);
        const own = n.files.filter((f) => f.values.length > 0);
        const show = this.#mode === "all" || (this.#mode === "auto" && own.length > 1);
        if (show) {
          files.push(...own);
          for (const f of own) entryFiles.add(f);
        }
        for (const c of n.children) list(c);
      };
      for (const r of roots) list(r);
      this.#files = files;
      this.#entryFiles = entryFiles;
    }
    this.plan.evaluate();
  }

  /** A process's own file (per-process, `statsfs-<instance>/…`) shown by this source, if `file` is one. */
  #instanceFile(file: StatsFile): EntryFile | undefined {
    return file instanceof EntryFile && this.#entryFiles.has(file) ? file : undefined;
  }

  /** Writing 0 resets a value of a merged file (every process's) or of one process's own file. */
  override write(file: StatsFile, name: string, value: bigint | number): void {
    const f = this.#instanceFile(file);
    if (!f) {
      super.write(file, name, value);
      return;
    }
    const v = f.values.find((x) => x.name === name);
    if (!v) throw new UsageError(`no statistic ${quote(name)} in ${f.identity.id}`);
    if (value !== 0 && value !== 0n) throw new UsageError(`${f.identity.id} ${name}: only 0 can be written (a reset)`);
    if (!v.writable) throw new UsageError(`${f.identity.id} ${name}: value is not writable`);
    f.zero(v.word, v.size);
  }

  override writable(file: StatsFile, name: string): boolean {
    const f = this.#instanceFile(file);
    if (!f) return super.writable(file, name);
    return f.values.find((x) => x.name === name)?.writable === true;
  }

  protected override release(): void {
    for (const f of this.#open.values()) f.close();
    this.#open.clear();
    this.#listings.clear();
    for (const h of this.#handles.values()) closeQuietly(h.fd);
    this.#handles.clear();
  }
}

/** One line for why `path` cannot be read (the path itself is named by the caller). */
function reasonOf(e: unknown, path: string): string {
  const text = e instanceof Error ? e.message : String(e);
  return printable(text.startsWith(`${path}: `) ? text.slice(path.length + 2) : text);
}

/** Opens `shm:NAME?dir=D&instances=auto|all|none`. */
export async function openShmSource(uri: string, rest: string, q: URLSearchParams): Promise<ShmSource> {
  checkQueryKeys(printable(uri), q, ["dir", "instances", "grace"], "shm:");
  const dir = q.get("dir") || defaultDir();
  const mode = (q.get("instances") ?? "auto") as InstancesMode;
  if (mode !== "auto" && mode !== "all" && mode !== "none") throw new UsageError(`${uri}: instances must be auto, all or none`);
  const path = rest.split("/").filter((s) => s !== "");
  if (path.some((s) => s === "." || s === "..")) throw new UsageError(`${uri}: "." and ".." are not source names`);
  const grace = q.get("grace");
  if (grace !== null && !/^\d{1,7}$/.test(grace)) throw new UsageError(`${uri}: grace must be a number of seconds (0 to 9999999)`);
  return new ShmSource(uri, dir, path, mode, grace === null ? DEFAULT_GONE_GRACE_MS : Number(grace) * 1000);
}
