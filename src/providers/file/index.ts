/**
 * @module providers/file
 * `file:PATH` (or a plain path) and `fd:N`: binary stats files. A directory reads as all the
 * stats files in it, in name order; one that cannot be read (junk, corrupt, unreadable) is left
 * out and reported as a `failed` member with its reason, as `shm:` does, while the others are
 * read. A directory with no readable stats file, or a single file that cannot be read, is an
 * error.
 */
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { SourceError, UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import { readInt } from "../../model/read-int.js";
import { LocalSource } from "../local-source.js";
import type { MemberStatus } from "../source.js";
import { FdStatsFile, located, openReadOnly } from "./fd-file.js";

/** Opens one binary stats file by path. */
export function openStatsPath(path: string): FdStatsFile {
  return new FdStatsFile(openReadOnly(path), path, true);
}

/**
 * What `file:PATH` names: PATH itself, or (`dir` true) the entries of the directory PATH in
 * name order, dot files left out (the caller keeps the regular files among them).
 */
export function statsPaths(path: string): { readonly dir: boolean; readonly paths: string[] } {
  let isDir: boolean;
  try {
    isDir = statSync(path).isDirectory();
  } catch (e) {
    throw located(e, path);
  }
  if (!isDir) return { dir: false, paths: [path] };
  const paths = readdirSync(path)
    .filter((n) => !n.startsWith("."))
    .sort()
    .map((n) => join(path, n));
  return { dir: true, paths };
}

/** Opens a file, or every regular file in a directory, as one source. */
export function openFileSource(uri: string, path: string): LocalSource {
  const { dir, paths } = statsPaths(path);
  if (!dir) return new LocalSource(uri, [openStatsPath(path)]);
  const files: FdStatsFile[] = [];
  const members: MemberStatus[] = [];
  for (const p of paths) {
    try {
      if (!isFile(p)) continue;
      files.push(openStatsPath(p));
      members.push({ uri: p, state: "ok" });
    } catch (e) {
      members.push({ uri: p, state: "failed", reason: reasonOf(e, p) });
    }
  }
  if (files.length === 0) {
    const failed = members.filter((m) => m.state === "failed");
    const first = failed[0];
    if (!first) throw new SourceError("STATSFS_SOURCE", `${path}: directory holds no stats files`);
    const more = failed.length > 1 ? `; and ${failed.length - 1} more` : "";
    throw new SourceError("STATSFS_SOURCE", `${path}: directory holds no readable stats file (${first.uri}: ${first.reason}${more})`);
  }
  return new LocalSource(uri, files, undefined, members);
}

/** One printable line for why the file `p` cannot be read (the path named by the caller). */
function reasonOf(e: unknown, p: string): string {
  const text = e instanceof Error ? e.message : String(e);
  return printable(text.startsWith(`${p}: `) ? text.slice(p.length + 2) : text);
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
