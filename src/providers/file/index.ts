/**
 * @module providers/file
 * `file:PATH` (or a plain path) and `fd:N`: binary stats files. A directory reads as all the
 * stats files in it, in name order.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { SourceError, UsageError } from "../../errors.js";
import { readInt } from "../../model/read-int.js";
import { LocalSource } from "../local-source.js";
import { FdStatsFile, located, openReadOnly } from "./fd-file.js";

/** Opens one binary stats file by path. */
export function openStatsPath(path: string): FdStatsFile {
  return new FdStatsFile(openReadOnly(path), path, true);
}

/**
 * The stats files `file:PATH` names: PATH itself, or every regular file of the directory PATH
 * in name order (dot files left out). A directory without any is an input error.
 */
export function statsPaths(path: string): string[] {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw located(e, path);
  }
  if (!isDir) return [path];
  const paths = readdirSync(path)
    .filter((n) => !n.startsWith("."))
    .sort()
    .map((n) => join(path, n))
    .filter(isFile);
  if (paths.length === 0) throw new SourceError("STATSFS_SOURCE", `${path}: directory holds no stats files`);
  return paths;
}

/** Opens a file, or every regular file in a directory, as one source. */
export function openFileSource(uri: string, path: string): LocalSource {
  const files: FdStatsFile[] = [];
  try {
    for (const p of statsPaths(path)) files.push(openStatsPath(p));
  } catch (e) {
    for (const f of files) f.close();
    throw e;
  }
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
  const fd = readInt(arg, 0, 999_999_999);
  if (fd === undefined) throw new UsageError(`${uri}: fd must be a non-negative integer`);
  return fd;
}

/** `fd:N`: a stats fd inherited from the parent process (not closed by us). */
export function openFdSource(uri: string, arg: string): LocalSource {
  return new LocalSource(uri, [new FdStatsFile(parseFd(uri, arg), `fd ${arg}`, false)]);
}
