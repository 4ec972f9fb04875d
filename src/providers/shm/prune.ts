/**
 * @module providers/shm/prune
 * Removing what dead producers left behind: links to the memfd of a process that is gone
 * (see format/entry.ts), and regular export files nobody holds (a producer holds an exclusive
 * flock on each of its files for as long as it lives). Readers already show these as `gone`
 * and count them nowhere; pruning only tidies the directory. Live producers' files are never
 * touched, nor anything that is not a statsfs export.
 *
 * Root prunes directories other users can write, so the walk never leaves the export directory:
 * it holds each directory by an fd opened O_DIRECTORY | O_NOFOLLOW relative to its parent's fd
 * (a symbolic link swapped in for a directory is refused, never followed), lists and deletes
 * names relative to the fd it checked (unlinkat), opens files only as format/entry.ts does (no
 * FIFO can block it) and re-checks a name's inode just before deleting it, so a name swapped
 * meanwhile is left alone.
 */
import { join } from "node:path";
import { DefinitionError, SourceError } from "../../errors.js";
import { describe, isRecord, sysReason } from "../../model/text.js";
import { closeQuietly, fstatBig, lstatAt, openDirAt, openDirPath, readdirFd, unlinkAt } from "../../sys/dirfd.js";
import { openEntry } from "./format/entry.js";
import { checkDir, defaultDir, parseShardFileName } from "./format/paths.js";
import { flock, LOCK_EX, LOCK_NB } from "./lock.js";

/** What to prune. */
export interface PruneOptions {
  /** Export directory (default $STATSFS_DIR or /dev/shm/statsfs). */
  readonly dir?: string;
  /** Only this exported tree (a top-level source name); default every tree. */
  readonly name?: string;
}

/** Deepest tree walked (source paths are short; a deeper tree is someone else's). */
const MAX_DEPTH = 64;

/** Whether the entry `name` of `dirfd` still is the inode `ino` (not swapped meanwhile). */
function still(dirfd: number, name: string, ino: bigint, dev: bigint): boolean {
  try {
    const st = lstatAt(dirfd, name);
    return st.ino === ino && st.dev === dev;
  } catch {
    return false;
  }
}

/** Unlinks the export `name` of `dirfd` when no live producer holds it; whether it did. */
function pruneEntry(dirfd: number, name: string, dirUid: bigint, dirDev: bigint): boolean {
  let entry: ReturnType<typeof openEntry>;
  try {
    entry = openEntry(dirfd, name, dirUid);
  } catch {
    return false;
  }
  if (!entry || entry.kind === "foreign") return false;
  if (entry.kind === "gone") {
    if (!still(dirfd, name, entry.ino, dirDev)) return false;
    try {
      unlinkAt(dirfd, name);
      return true;
    } catch {
      return false;
    }
  }
  try {
    if (flock(entry.fd, LOCK_EX | LOCK_NB) !== 0) return false; // a live producer's
    // Still the entry we opened (not replaced by a restarted producer meanwhile)?
    if (!still(dirfd, name, entry.ino, dirDev)) return false;
    unlinkAt(dirfd, name);
    return true;
  } catch {
    return false;
  } finally {
    closeQuietly(entry.fd);
  }
}

/** Prunes the directory held by `dirfd` (shown as `where`); removes its empty sub-directories. */
function walk(dirfd: number, where: string, removed: string[], depth: number): void {
  let st: ReturnType<typeof fstatBig>;
  let entries: ReturnType<typeof readdirFd>;
  try {
    st = fstatBig(dirfd);
    entries = readdirFd(dirfd);
  } catch {
    return;
  }
  for (const e of entries) {
    if (e.name.startsWith(".")) continue;
    const p = join(where, e.name);
    if (e.isDirectory()) {
      if (depth >= MAX_DEPTH) continue;
      let sub: number;
      try {
        sub = openDirAt(dirfd, e.name); // a link swapped in: ELOOP, skipped
      } catch {
        continue;
      }
      try {
        walk(sub, p, removed, depth + 1);
        const s = fstatBig(sub);
        // Remove it if it is empty now and still the directory walked.
        if (still(dirfd, e.name, s.ino, s.dev)) unlinkAt(dirfd, e.name, true);
      } catch {
        // not empty: live producers' files, or sources that still exist
      } finally {
        closeQuietly(sub);
      }
    } else if (parseShardFileName(e.name) && pruneEntry(dirfd, e.name, st.uid, st.dev)) {
      removed.push(p);
    }
  }
}

/**
 * Deletes the exported files of producers that are gone, then the directories left empty.
 * Returns the deleted files. Files of live producers are never touched. The export directory
 * itself must not be a symbolic link; under it, none is followed.
 */
export function pruneExports(options: PruneOptions = {}): string[] {
  if (!isRecord(options)) throw new DefinitionError(`pruneExports options must be an object, not ${describe(options)}`);
  const dir = options.dir ?? defaultDir();
  checkDir(dir, options.dir === undefined && process.env.STATSFS_DIR ? "$STATSFS_DIR" : "export dir");
  let parts: string[] = [];
  if (options.name !== undefined) {
    parts = typeof options.name === "string" ? options.name.split("/") : [];
    if (parts.length === 0 || parts.some((p) => p === "" || p === "." || p === ".." || p.includes("\0"))) {
      throw new DefinitionError(
        `pruneExports: source name ${describe(options.name)} must be a path of source names (e.g. "http" or "app/http")`,
      );
    }
  }
  const removed: string[] = [];
  let fd: number | undefined;
  let at = dir;
  try {
    fd = openDirPath(dir.replace(/(.)\/+$/, "$1"));
    for (const part of parts) {
      at = join(at, part);
      const next = openDirAt(fd, part);
      closeQuietly(fd);
      fd = next;
    }
  } catch (e) {
    closeQuietly(fd);
    throw new SourceError("STATSFS_SOURCE", `prune: ${at}: ${pruneReason(e)}`, { cause: e });
  }
  try {
    walk(fd, parts.length ? join(dir, ...parts) : dir, removed, parts.length);
    if (parts.length > 0) {
      // The named tree itself goes too when nothing is left in it.
      let parent: number | undefined;
      try {
        parent = openDirPath(dir.replace(/(.)\/+$/, "$1"));
        for (const part of parts.slice(0, -1)) {
          const next = openDirAt(parent, part);
          closeQuietly(parent);
          parent = next;
        }
        const s = fstatBig(fd);
        const last = parts[parts.length - 1] as string;
        if (still(parent, last, s.ino, s.dev)) unlinkAt(parent, last, true);
      } catch {
        // not empty, or changed meanwhile
      } finally {
        closeQuietly(parent);
      }
    }
  } finally {
    closeQuietly(fd);
  }
  return removed;
}

function pruneReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ELOOP") return "is a symbolic link (prune never follows one)";
  if (code === "ENOTDIR") return "is not a directory";
  if (code === "ENOENT") return "no such directory";
  return sysReason(e);
}
