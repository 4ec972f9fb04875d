/**
 * @module producer/export/exporter
 * Keeps a registered source tree exported: one mapped file per source (per thread shard) under
 * the export directory, created when a source joins the tree, re-created (new file, rename)
 * when a source gains values, and unlinked when it leaves. Sources without values get only
 * their directory, so readers see the tree.
 */
import { rmdirSync } from "node:fs";
import { join } from "node:path";
import { MAX_NAME_SIZE } from "../../codec/layout.js";
import { DefinitionError, SourceError } from "../../errors.js";
import { producerFileId } from "../../model/identity.js";
import { describe, isRecord, quote, sysReason } from "../../model/text.js";
import { checkDir, defaultDir, nodeDir, shardFileName } from "../../providers/shm/format/paths.js";
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

/**
 * Creates the export directory `dir` and its parents (src/sys/fs.ts makeDirs). A non-directory
 * in the way is a {@link DefinitionError}; any other failure a {@link SourceError} naming the
 * component that could not be made.
 */
export function makeDirectories(dir: string): void {
  try {
    makeDirs(dir);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const path = err.path ?? dir;
    if (err.code === "ENOTDIR") throw new DefinitionError(`export path ${quote(path)} exists and is not a directory`);
    const what = path === dir ? quote(dir) : `${quote(dir)}: cannot create ${quote(path)}`;
    throw new SourceError("STATSFS_EXPORT", `export directory ${what}: ${sysReason(e)}`, { cause: e });
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

  #exportNode(s: Source, replacing: boolean): void {
    const dir = nodeDir(this.dir, s.path);
    makeDirectories(dir);
    this.#dirs.set(s, dir);
    const store = s.store;
    if (store.words === 0) return;
    const old = this.#files.get(s);
    const files: MappedStatsFile[] = [];
    try {
      for (let k = 0; k < store.shardCount; k++) {
        files.push(
          MappedStatsFile.create({
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
      for (const f of files) f.remove(!replacing);
      throw e;
    }
    store.place(
      files.map((f) => f.view),
      store.words,
    );
    store.files = files.map((f) => ({ path: f.path, length: f.length, dataOffset: f.dataOffset }));
    this.#files.set(s, files);
    // The old files were renamed over: unmap them, unlinking nothing.
    for (const f of old ?? []) f.remove(true);
  }

  #unexportNode(s: Source): void {
    const files = this.#files.get(s);
    if (files) {
      s.store.toHeap();
      s.store.files = undefined;
      for (const f of files) f.remove(true);
      this.#files.delete(s);
    }
    const dir = this.#dirs.get(s);
    this.#dirs.delete(s);
    if (dir) {
      try {
        rmdirSync(dir);
      } catch {
        // other producers' files (or subordinates) are still there
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
  }
}
