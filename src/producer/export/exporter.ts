/**
 * @module producer/export/exporter
 * Keeps a registered source tree exported: one mapped file per source (per thread shard) under
 * the export directory, created when a source joins the tree, re-created (new file, rename)
 * when a source gains values, and unlinked when it leaves. Sources without values get only
 * their directory, so readers see the tree.
 *
 * Root reads these directories, and other users share the machine, so the tree is made and
 * walked by fds: every directory is created mode 0700 (its owner's alone: readers run as that
 * user or as root), opened O_DIRECTORY | O_NOFOLLOW relative to its parent's fd (a symbolic
 * link in its place is refused, never followed) and must be owned by this process's user and
 * writable by no one else; a directory another user made or can write is refused in one line.
 */
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { MAX_NAME_SIZE } from "../../codec/layout.js";
import { DefinitionError, SourceError } from "../../errors.js";
import { producerFileId } from "../../model/identity.js";
import { describe, isRecord, quote, sysReason } from "../../model/text.js";
import { checkDir, defaultDir, dirName, nodeDir, shardFileName } from "../../providers/shm/format/paths.js";
import { closeQuietly, fstatBig, mkdirAt, openDirAt, openDirPath, unlinkAt } from "../../sys/dirfd.js";
import { makeDirs } from "../../sys/fs.js";
import { byteLength } from "../definition.js";
import type { Source, TreeObserver } from "../source.js";
import { bumpTreeVersion } from "../source.js";
import { MappedStatsFile } from "./mapped-file.js";
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
   * Smallest name_size of the files (default 48, the kernel's; a multiple of 8). A file whose id
   * (or a value name) needs more gets the next multiple of 8 that fits it, up to 4096.
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

/** Exports one registered tree. */
export class Exporter implements TreeObserver {
  readonly dir: string;
  readonly instance: string;
  readonly nameSize: number;
  readonly root: Source;
  readonly #files = new Map<Source, MappedStatsFile[]>();
  readonly #dirs = new Map<Source, string>();
  /** The export directory, held from the first export until {@link close}. */
  #rootFd: number | undefined;

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
    this.#exportTree(this.root);
  }

  /** The files of a source (for tests and tools). */
  filesOf(s: Source): readonly string[] {
    return (this.#files.get(s) ?? []).map((f) => f.path);
  }

  /** The directory of a source. */
  dirOf(s: Source): string | undefined {
    return this.#dirs.get(s);
  }

  /** The name_size a file with id `id` gets: the configured one, or the multiple of 8 that fits. */
  nameSizeFor(id: string): number {
    return Math.max(this.nameSize, Math.ceil((byteLength(id) + 1) / 8) * 8);
  }

  #validate(top: Source, prefix: readonly string[]): void {
    const walk = (s: Source, path: readonly string[]) => {
      const p = [...path, s.name];
      const id = producerFileId(this.instance, Math.max(0, s.store.shardCount - 1), p);
      if (this.nameSizeFor(id) > MAX_NAME_SIZE) {
        throw new DefinitionError(
          `source ${quote(p.join("/"))}: exported id ${quote(id)} is ${byteLength(id)} bytes; a stats file's name_size allows ${MAX_NAME_SIZE - 1}`,
        );
      }
      if (s.store.shared && !s.store.files) {
        throw new DefinitionError(`source ${quote(p.join("/"))} was shared with worker threads before it was exported; export it first`);
      }
      for (const c of s.subordinates) walk(c, p);
    };
    walk(top, prefix);
  }

  #exportTree(top: Source): void {
    const done: Source[] = [];
    try {
      for (const s of subtree(top)) {
        this.#exportNode(s, false);
        done.push(s);
      }
    } catch (e) {
      for (const s of done.reverse()) this.#unexportNode(s);
      throw e;
    }
    bumpTreeVersion();
  }

  #root(): number {
    this.#rootFd ??= openExportDir(this.dir);
    return this.#rootFd;
  }

  /** The directory of `s` (made if missing), opened by fds from the export directory; the caller closes it. */
  #openDir(s: Source, create: boolean): number {
    return openSourceDir(this.#root(), this.dir, s.path, create);
  }

  #exportNode(s: Source, replacing: boolean): void {
    const dir = nodeDir(this.dir, s.path);
    const dirfd = this.#openDir(s, true);
    try {
      this.#exportFiles(s, dir, dirfd, replacing);
    } finally {
      closeQuietly(dirfd);
    }
  }

  #exportFiles(s: Source, dir: string, dirfd: number, replacing: boolean): void {
    this.#dirs.set(s, dir);
    const store = s.store;
    if (store.words === 0) return;
    const old = this.#files.get(s);
    const files: MappedStatsFile[] = [];
    try {
      for (let k = 0; k < store.shardCount; k++) {
        files.push(
          MappedStatsFile.create({
            dirfd,
            path: join(dir, shardFileName(this.instance, k)),
            id: producerFileId(this.instance, k, s.path),
            values: s.values,
            words: store.words,
            nameSize: this.nameSizeFor(producerFileId(this.instance, k, s.path)),
            data: store.shards[k]?.b,
            replacing,
          }),
        );
      }
    } catch (e) {
      for (const f of files) f.remove(replacing ? undefined : dirfd);
      throw e;
    }
    store.place(
      files.map((f) => f.view),
      store.words,
    );
    store.files = files.map((f) => ({ path: f.path, length: f.length, dataOffset: f.dataOffset }));
    this.#files.set(s, files);
    // The old files were renamed over: unmap them, unlinking nothing.
    for (const f of old ?? []) f.remove();
  }

  #unexportNode(s: Source): void {
    const files = this.#files.get(s);
    if (files) {
      s.store.toHeap();
      s.store.files = undefined;
      let dirfd: number | undefined;
      try {
        dirfd = this.#openDir(s, false);
      } catch {
        // the directory is gone or no longer ours: unlink nothing
      }
      for (const f of files) f.remove(dirfd);
      closeQuietly(dirfd);
      this.#files.delete(s);
    }
    const dir = this.#dirs.get(s);
    this.#dirs.delete(s);
    if (dir) {
      let parent: number | undefined;
      try {
        parent = s.path.length > 1 ? openSourceDir(this.#root(), this.dir, s.path.slice(0, -1), false) : this.#root();
        unlinkAt(parent, dirName(s.name), true);
      } catch {
        // other producers' files (or subordinates) are still there
      } finally {
        if (parent !== this.#rootFd) closeQuietly(parent);
      }
    }
  }

  #unexportTree(top: Source): void {
    for (const s of subtree(top).reverse()) this.#unexportNode(s);
    bumpTreeVersion();
  }

  willAdd(parent: Source, child: Source): void {
    this.#validate(child, parent.path);
  }
  added(child: Source): void {
    this.#exportTree(child);
  }
  removing(child: Source): void {
    this.#unexportTree(child);
  }
  changed(node: Source): void {
    this.#exportNode(node, this.#files.has(node));
    bumpTreeVersion();
  }
  willShare(_node: Source): void {}

  /** Removes every file of the tree. Idempotent. */
  close(): void {
    this.#unexportTree(this.root);
    closeQuietly(this.#rootFd);
    this.#rootFd = undefined;
  }
}
