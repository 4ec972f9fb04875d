/**
 * @module producer/export/paths
 * The producer's side of export naming: instance names. The layout of an export directory
 * (one directory per source, one file per instance and shard) is the shm format's:
 * src/providers/shm/format/paths.ts.
 */
import { checkName } from "../definition.js";

/** The default instance name: the process id. */
export function defaultInstance(): string {
  return String(process.pid);
}

/** Checks an instance name (same rules as source names). */
export function checkInstance(instance: string): void {
  checkName(instance, "instance");
}
