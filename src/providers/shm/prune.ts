/**
 * @module providers/shm/prune
 * Removing what dead producers left behind: links to the memfd of a process that is gone
 * (see format/entry.ts), and regular export files nobody holds (a producer holds an exclusive
 * flock on each of its files for as long as it lives). Readers already show these as `gone`
 * and count them nowhere; pruning only tidies the directory. Live producers' files are never
 * touched, nor anything that is not a statsfs export.
 */
import { closeSync, type Dirent, fstatSync, openSync, readdirSync, readlinkSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { DefinitionError } from "../../errors.js";
import { describe, isRecord } from "../../model/text.js";
import { classifyEntry } from "./format/entry.js";
import { checkDir, defaultDir, parseShardFileName } from "./format/paths.js";
import { flock, LOCK_EX, LOCK_NB } from "./lock.js";

/** What to prune. */
export interface PruneOptions {
  /** Export directory (default $STATSFS_DIR or /dev/shm/statsfs). */
  readonly dir?: string;
  /** Only this exported tree (a top-level source name); default every tree. */
  readonly name?: string;
}

/** Whether no live producer holds the file at `path`; unlinks it if so. */
function pruneFile(path: string): boolean {
  const entry = classifyEntry(path);
  if (!entry || entry.kind === "foreign") return false;
  if (entry.kind === "dangling") {
    try {
      if (readlinkSync(path) !== entry.target) return false; // replaced meanwhile
      unlinkSync(path);
      return true;
    } catch {
      return false;
    }
  }
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    if (flock(fd, LOCK_EX | LOCK_NB) !== 0) return false;
    // Still the file we locked (not replaced by a restarted producer meanwhile)?
    if (statSync(path).ino !== fstatSync(fd).ino) return false;
    unlinkSync(path);
    return true;
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
}

function walk(dir: string, removed: string[], top: boolean): void {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p, removed, false);
    else if ((e.isFile() || e.isSymbolicLink()) && parseShardFileName(e.name) && pruneFile(p)) removed.push(p);
  }
  if (!top) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty: live producers' files, or sources that still exist
    }
  }
}

/**
 * Deletes the exported files of producers that are gone, then the directories left empty.
 * Returns the deleted files. Files of live producers are never touched.
 */
export function pruneExports(options: PruneOptions = {}): string[] {
  if (!isRecord(options)) throw new DefinitionError(`pruneExports options must be an object, not ${describe(options)}`);
  const dir = options.dir ?? defaultDir();
  checkDir(dir, options.dir === undefined && process.env.STATSFS_DIR ? "$STATSFS_DIR" : "export dir");
  if (options.name !== undefined) {
    const parts = typeof options.name === "string" ? options.name.split("/") : [];
    if (parts.length === 0 || parts.some((p) => p === "" || p === "." || p === ".." || p.includes("\0"))) {
      throw new DefinitionError(
        `pruneExports: source name ${describe(options.name)} must be a path of source names (e.g. "http" or "app/http")`,
      );
    }
  }
  const removed: string[] = [];
  walk(options.name === undefined ? dir : join(dir, options.name), removed, options.name === undefined);
  return removed;
}
