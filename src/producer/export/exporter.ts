/**
 * @module producer/export/exporter
 * Keeps a registered source tree exported as bundle files (codec/bundle.ts, bundle-file.ts) in
 * the tree's directory `<dir>/<root>/`: one file per process for every source and label set of
 * the tree (`<instance>.stats`), plus one per sharded source holding its thread shards
 * (`<instance>~<n>.stats`: worker threads map it, so it never moves under them). A source that
 * joins the tree is appended, one that gains values gets a new region, one that leaves is
 * marked removed — each one generation of the file; a file out of room is rebuilt twice as
 * large and renamed over. Files and fds per process: O(1) per tree, whatever the label sets.
 *
 * Root reads these directories, and other users share the machine, so the tree is made and
 * walked by fds: every directory is created mode 0700 (its owner's alone: readers run as that
 * user or as root), opened O_DIRECTORY | O_NOFOLLOW relative to its parent's fd (a symbolic
 * link in its place is refused, never followed) and must be owned by this process's user and
 * writable by no one else; a directory another user made or can write is refused in one line.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { DefinitionError, SourceError } from "../../errors.js";
import { describe, isRecord, quote, sysReason } from "../../model/text.js";
import { checkDir, defaultDir, dirName, nodeDir, shardFileName } from "../../providers/shm/format/paths.js";
import { closeQuietly, fstatBig, mkdirAt, openDirAt, openDirPath, unlinkAt } from "../../sys/dirfd.js";
import { makeDirs } from "../../sys/fs.js";
import type { Source, TreeObserver } from "../source.js";
import { bumpTreeVersion } from "../source.js";
import type { ShardView } from "../store.js";
import { BundleFile, type EntrySpec } from "./bundle-file.js";
import { checkInstance, defaultInstance } from "./paths.js";

/** Where and as whom to export. */
export interface ExportOptions {
  /** Export directory (default $STATSFS_DIR or /dev/shm/statsfs). */
  readonly dir?: string;
  /**
   * This producer's name among those exporting the same source (default: the process id).
   * A stable name (e.g. a cluster worker number) makes a restarted process replace its
   * predecessor's files instead of adding new ones.
   */
  readonly instance?: string;
  /**
   * Accepted for compatibility (a multiple of 8 from 48 to 4096, default 48): bundle files size
   * each schema's names to fit, and carry source paths of any length.
   */
  readonly nameSize?: number;
}

/** Mode of every export directory a producer creates: its owner's alone. */
export const EXPORT_DIR_MODE = 0o700;

/** The errno code of a failed call, if any. */
const codeOf = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/**
 * Refuses the directory held by `fd` (shown as `path`) unless this process's user owns it and
 * no other user can write to it: anyone who can write there could plant a link that makes this
 * producer (or root reading it) act elsewhere.
 */
function checkOwned(fd: number, path: string): void {
  const st = fstatBig(fd);
  const uid = process.geteuid?.() ?? 0;
  if (st.uid !== BigInt(uid)) {
    throw new SourceError(
      "STATSFS_EXPORT",
      `export directory ${quote(path)} is owned by uid ${st.uid}, not by this process's uid ${uid}: refusing to export into a directory another user controls (give each user its own export dir)`,
    );
  }
  if ((st.mode & 0o022n) !== 0n) {
    throw new SourceError(
      "STATSFS_EXPORT",
      `export directory ${quote(path)} is writable by other users (mode ${(st.mode & 0o7777n).toString(8).padStart(4, "0")}): refusing to export into it (make it 0700)`,
    );
  }
}

/** One line for a directory that could not be opened or made. */
function dirError(e: unknown, path: string, dir: string): Error {
  if (e instanceof SourceError || e instanceof DefinitionError) return e;
  const code = codeOf(e);
  if (code === "ENOTDIR") return new DefinitionError(`export path ${quote(path)} exists and is not a directory`);
  if (code === "ELOOP") {
    return new SourceError("STATSFS_EXPORT", `export directory ${quote(path)} is a symbolic link: refusing to follow it`, { cause: e });
  }
  const what = path === dir ? quote(dir) : `${quote(dir)}: cannot create ${quote(path)}`;
  return new SourceError("STATSFS_EXPORT", `export directory ${what}: ${sysReason(e)}`, { cause: e });
}

/**
 * Creates (mode 0700, parents as the umask allows) and opens the export directory `dir`: never
 * a symbolic link, owned by this process's user, writable by no one else. Returns its fd. A
 * non-directory in the way is a {@link DefinitionError}; any other failure a {@link SourceError}
 * naming the component that could not be made.
 */
export function openExportDir(dir: string): number {
  const path = dir.replace(/(.)\/+$/, "$1");
  let fd: number | undefined;
  try {
    makeDirs(dirname(path));
    try {
      mkdirSync(path, EXPORT_DIR_MODE);
    } catch (e) {
      if (codeOf(e) !== "EEXIST") throw e;
    }
    fd = openDirPath(path);
    checkOwned(fd, path);
    return fd;
  } catch (e) {
    closeQuietly(fd);
    const err = e as NodeJS.ErrnoException;
    throw dirError(e, codeOf(e) === "ELOOP" || !err.path || err.path.startsWith("/proc/self/fd/") ? path : err.path, path);
  }
}

/**
 * Opens the directory of the source path `names` under the export directory `rootFd` (shown as
 * `dir`), creating each missing component (mode 0700) when `create`, each opened relative to the
 * one before and checked as {@link checkOwned}. Returns its fd (the caller closes it).
 */
export function openSourceDir(rootFd: number, dir: string, segments: readonly string[], create: boolean): number {
  let fd: number | undefined;
  let at = dir;
  try {
    // A segment too long for a directory name (a long label set) is named by its digest.
    for (const name of segments.map(dirName)) {
      at = join(at, name);
      if (create) {
        try {
          mkdirAt(fd ?? rootFd, name, EXPORT_DIR_MODE);
        } catch (e) {
          if (codeOf(e) !== "EEXIST") throw e;
        }
      }
      const next = openDirAt(fd ?? rootFd, name);
      closeQuietly(fd);
      fd = next;
      checkOwned(fd, at);
    }
    if (fd === undefined) throw new DefinitionError("a source path has at least one name");
    return fd;
  } catch (e) {
    closeQuietly(fd);
    throw dirError(e, at, dir);
  }
}

function subtree(s: Source): Source[] {
  const out: Source[] = [s];
  for (const c of s.subordinates) out.push(...subtree(c));
  return out;
}

/** Whether a source keeps its thread shards in a file of its own. */
const sharded = (s: Source): boolean => s.store.shardCount > 1;

/** Exports one registered tree. */
export class Exporter implements TreeObserver {
  readonly dir: string;
  readonly instance: string;
  readonly nameSize: number;
  readonly root: Source;
  /** The export directory, held from the first export until {@link close}. */
  #rootFd: number | undefined;
  /** The tree's directory, held likewise. */
  #treeFd: number | undefined;
  /** The bundle of every source that is not sharded. */
  #main: BundleFile | undefined;
  /** Entry of each source in {@link #main}. */
  #index = new Map<Source, number>();
  /** The shard bundle of each sharded source. */
  readonly #shardFiles = new Map<Source, BundleFile>();
  #nextShardFile = 1;

  constructor(root: Source, options: ExportOptions = {}) {
    if (!isRecord(options)) throw new DefinitionError(`export options must be an object, not ${describe(options)}`);
    this.root = root;
    this.dir = options.dir ?? defaultDir();
    checkDir(this.dir, options.dir === undefined && process.env.STATSFS_DIR ? "$STATSFS_DIR" : "export dir");
    this.instance = options.instance ?? defaultInstance();
    checkInstance(this.instance);
    this.nameSize = options.nameSize ?? 48;
    if (!Number.isInteger(this.nameSize) || this.nameSize < 48 || this.nameSize > 4096 || this.nameSize % 8 !== 0) {
      throw new DefinitionError(`export nameSize must be a multiple of 8 from 48 to 4096 (got ${describe(this.nameSize)})`);
    }
  }

  /** Exports the whole tree; on failure removes what it made and rethrows. */
  start(): void {
    this.#validate(this.root, []);
    try {
      this.#rebuildMain();
      for (const s of subtree(this.root)) if (sharded(s)) this.#buildShards(s);
    } catch (e) {
      this.close();
      throw e;
    }
    bumpTreeVersion();
  }

  /** The files holding a source's values (its tree's bundle, or its shard bundle). */
  filesOf(s: Source): readonly string[] {
    const f = this.#shardFiles.get(s) ?? (this.#index.has(s) ? this.#main : undefined);
    return f ? [f.path] : [];
  }

  /** The directory of a source's files: its tree's. */
  dirOf(s: Source): string | undefined {
    return this.#index.has(s) || this.#shardFiles.has(s) ? this.#treeDir() : undefined;
  }

  #treeDir(): string {
    return nodeDir(this.dir, [this.root.name]);
  }

  #validate(top: Source, prefix: readonly string[]): void {
    const walk = (s: Source, path: readonly string[]) => {
      const p = [...path, s.name];
      if (s.store.shared && !s.store.files) {
        throw new DefinitionError(`source ${quote(p.join("/"))} was shared with worker threads before it was exported; export it first`);
      }
      for (const c of s.subordinates) walk(c, p);
    };
    walk(top, prefix);
  }

  #root(): number {
    this.#rootFd ??= openExportDir(this.dir);
    return this.#rootFd;
  }

  /** The tree's directory (made if missing), opened by fds from the export directory and held. */
  #tree(): number {
    this.#treeFd ??= openSourceDir(this.#root(), this.dir, [this.root.name], true);
    return this.#treeFd;
  }

  #mainPath(): string {
    return join(this.#treeDir(), shardFileName(this.instance, 0));
  }

  /** Builds the tree's bundle anew (first export, or out of room) and moves every store onto it. */
  #rebuildMain(): void {
    const specs: EntrySpec[] = [];
    const at = new Map<Source, number>();
    for (const s of subtree(this.root)) {
      if (sharded(s)) continue;
      const parent = s.parent ? at.get(s.parent) : undefined;
      at.set(s, specs.length);
      specs.push({ source: s, shard: 0, parent });
    }
    const old = this.#main;
    const file = BundleFile.build(this.#tree(), this.#mainPath(), specs, old !== undefined);
    specs.forEach((spec, i) => {
      const v = file.view(i);
      if (v) spec.source.store.place([v], spec.source.store.words);
    });
    this.#main = file;
    this.#index = at;
    // The old file was renamed over: unmap it, unlinking nothing.
    old?.remove();
  }

  /** Builds (or rebuilds) the shard bundle of a sharded source and moves its shards onto it. */
  #buildShards(s: Source): void {
    const store = s.store;
    const old = this.#shardFiles.get(s);
    const path = old ? old.path : join(this.#treeDir(), shardFileName(this.instance, this.#nextShardFile++));
    const specs: EntrySpec[] = Array.from({ length: store.shardCount }, (_, k) => ({ source: s, shard: k, parent: undefined }));
    const file = BundleFile.build(this.#tree(), path, specs, old !== undefined);
    if (store.words > 0) {
      store.place(
        specs.map((_, k) => file.view(k) as ShardView),
        store.words,
      );
    }
    const { fd } = file.file;
    const ino = fstatBig(fd).ino;
    store.files = specs.map((_, k) => ({ path: file.path, fd, ino, length: file.file.length, dataOffset: file.dataOffsetOf(k) }));
    this.#shardFiles.set(s, file);
    old?.remove();
  }

  #dropShards(s: Source): void {
    const f = this.#shardFiles.get(s);
    if (!f) return;
    s.store.toHeap();
    s.store.files = undefined;
    f.remove(this.#treeFd);
    this.#shardFiles.delete(s);
  }

  willAdd(parent: Source, child: Source): void {
    this.#validate(child, parent.path);
  }

  added(child: Source): void {
    const main = this.#main as BundleFile;
    let full = false;
    main.begin();
    try {
      for (const s of subtree(child)) {
        if (sharded(s)) {
          this.#buildShards(s);
          continue;
        }
        if (full) continue;
        const parent = s.parent ? this.#index.get(s.parent) : undefined;
        const i = main.tryAppend({ source: s, shard: 0, parent });
        if (i === undefined) {
          full = true;
          continue;
        }
        this.#index.set(s, i);
        const v = main.view(i);
        if (v) s.store.place([v], s.store.words);
      }
    } finally {
      main.end();
    }
    if (full) this.#rebuildMain();
    bumpTreeVersion();
  }

  removing(child: Source): void {
    const main = this.#main;
    main?.begin();
    try {
      for (const s of subtree(child).reverse()) {
        if (sharded(s)) {
          this.#dropShards(s);
          continue;
        }
        const i = this.#index.get(s);
        if (i === undefined) continue;
        s.store.toHeap();
        main?.kill(i);
        this.#index.delete(s);
      }
    } finally {
      main?.end();
    }
    bumpTreeVersion();
  }

  changed(node: Source): void {
    if (sharded(node)) this.#buildShards(node);
    else {
      const main = this.#main as BundleFile;
      const i = this.#index.get(node);
      let ok = false;
      main.begin();
      try {
        if (i !== undefined && main.tryUpdate(i)) {
          const v = main.view(i);
          if (v) node.store.place([v], node.store.words);
          ok = true;
        }
      } finally {
        main.end();
      }
      if (!ok) this.#rebuildMain();
    }
    bumpTreeVersion();
  }

  willShare(_node: Source): void {}

  /** Removes every file of the tree (their names too) and the tree's directory if empty. Idempotent. */
  close(): void {
    for (const s of subtree(this.root)) {
      if (this.#index.has(s) || this.#shardFiles.has(s)) s.store.toHeap();
      s.store.files = undefined;
    }
    for (const f of this.#shardFiles.values()) f.remove(this.#treeFd);
    this.#shardFiles.clear();
    this.#main?.remove(this.#treeFd);
    this.#main = undefined;
    this.#index = new Map();
    if (this.#treeFd !== undefined && this.#rootFd !== undefined) {
      try {
        unlinkAt(this.#rootFd, dirName(this.root.name), true);
      } catch {
        // other producers' files are still there
      }
    }
    closeQuietly(this.#treeFd);
    this.#treeFd = undefined;
    closeQuietly(this.#rootFd);
    this.#rootFd = undefined;
    bumpTreeVersion();
  }
}
