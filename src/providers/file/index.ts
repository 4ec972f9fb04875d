/**
 * @module providers/file
 * `file:PATH` (or a plain path) and `fd:N`: binary stats files. A directory reads as all the
 * stats files in it, in name order.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { SourceError, UsageError } from "../../errors.js";
import { LocalSource } from "../local-source.js";
import { FdStatsFile, located, openReadOnly } from "./fd-file.js";

/** Opens one binary stats file by path. */
export function openStatsPath(path: string): FdStatsFile {
  return new FdStatsFile(openReadOnly(path), path, true);
}

/** Opens a file, or every regular file in a directory, as one source. */
export function openFileSource(uri: string, path: string): LocalSource {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw located(e, path);
  }
  if (!isDir) return new LocalSource(uri, [openStatsPath(path)]);
  const names = readdirSync(path)
    .filter((n) => !n.startsWith("."))
    .sort();
  const files: FdStatsFile[] = [];
  try {
    for (const n of names) {
      const p = join(path, n);
      if (isFile(p)) files.push(openStatsPath(p));
    }
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
  if (files.length === 0) throw new SourceError("STATSFS_SOURCE", `${path}: directory holds no stats files`);
  return new LocalSource(uri, files);
}

/** Whether `p` is a regular file (following links); errors name `p`. */
export function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch (e) {
    throw located(e, p);
  }
}

/** The fd number of `fd:N`, or a usage error naming the source. */
export function parseFd(uri: string, arg: string): number {
  if (!/^\d{1,9}$/.test(arg)) throw new UsageError(`${uri}: fd must be a non-negative integer`);
  return Number(arg);
}

/** `fd:N`: a stats fd inherited from the parent process (not closed by us). */
export function openFdSource(uri: string, arg: string): LocalSource {
  return new LocalSource(uri, [new FdStatsFile(parseFd(uri, arg), `fd ${arg}`, false)]);
}
