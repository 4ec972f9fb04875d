/**
 * @module providers/shm/format/paths
 * Where exported files live and what they are called. One directory per registered tree; in it
 * one bundle file (codec/bundle.ts) per producer instance (process), holding every source and
 * label set of the tree, plus one per sharded source holding its thread shards:
 *
 *   <dir>/<root>/<instance>.stats        the tree's sources and label sets, written by one process
 *   <dir>/<root>/<instance>~<n>.stats    the n-th sharded source's shards (n ≥ 1)
 *
 * A root name longer than 200 bytes would get the directory name `{#<digest>}`
 * ({@link dirName}; source names are shorter). `<dir>` defaults to $STATSFS_DIR or
 * /dev/shm/statsfs; `<instance>` to the process id. Entries carry their source paths, shards and
 * schemas; a per-process file shows as {@link producerFileId} (`statsfs-<instance>[~<k>]/<root>/<sub>…`,
 * src/model/identity.ts). Temporary files start with `.` and are skipped by every reader.
 *
 * A file is either a regular file or a symbolic link to `/proc/<pid>/fd/<n>`: the producer's
 * sealed memfd (see src/producer/export/mapped-file.ts), readable as a regular file by anyone
 * allowed to open that process's fds.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { DefinitionError } from "../../../errors.js";
import { describe, quote } from "../../../model/text.js";

/** The default export directory: $STATSFS_DIR, else /dev/shm/statsfs. */
export function defaultDir(): string {
  return process.env.STATSFS_DIR || "/dev/shm/statsfs";
}

/** Checks an export directory: a non-empty string without NUL bytes. `what` names it in errors. */
export function checkDir(dir: string, what = "export dir"): void {
  if (typeof dir !== "string" || dir === "") throw new DefinitionError(`${what} must be a non-empty path, not ${describe(dir)}`);
  if (dir.includes("\0")) throw new DefinitionError(`${what} ${quote(dir)} contains a NUL byte`);
}

/** Longest source-name segment used as a directory name as is (NAME_MAX is 255 bytes). */
export const MAX_DIR_NAME = 200;

/**
 * The directory name of one path segment: the segment itself, or for a longer one (a label
 * set with long values) `{#<first 40 hex digits of its SHA-256>}`. The file inside still
 * carries the whole segment in its id, which readers check against this digest.
 */
export function dirName(segment: string): string {
  if (Buffer.byteLength(segment) <= MAX_DIR_NAME) return segment;
  return `{#${createHash("sha256").update(segment).digest("hex").slice(0, 40)}}`;
}

/** Whether a directory name is a digest of a longer segment ({@link dirName}). */
export function isDigestDirName(name: string): boolean {
  return /^\{#[0-9a-f]{40}\}$/.test(name);
}

/** The directory of a source given its path (root first). */
export function nodeDir(dir: string, path: readonly string[]): string {
  return join(dir, ...path.map(dirName));
}

/** The file name of an instance's shard. */
export function shardFileName(instance: string, shard: number): string {
  return shard === 0 ? `${instance}.stats` : `${instance}~${shard}.stats`;
}

/** Instance and shard of a file name, or undefined for names that are not exported files. */
export function parseShardFileName(name: string): { instance: string; shard: number } | undefined {
  const m = /^([^.~/][^./~]*)(?:~(\d+))?\.stats$/.exec(name);
  if (!m) return undefined;
  return { instance: m[1] as string, shard: m[2] === undefined ? 0 : Number(m[2]) };
}

/** `/proc/<pid>/fd/<n>`: where a producer's memfd is reached (the target of its exported link). */
export const PROC_FD_LINK = /^\/proc\/(\d+)\/fd\/(\d+)$/;
/** The name producers give their memfds (shown as `/memfd:statsfs (deleted)` in /proc/PID/fd). */
export const MEMFD_NAME = "statsfs";
