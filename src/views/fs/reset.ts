/**
 * @module views/fs/reset
 * Which statistics of a stats file may be reset by writing zero, and how: what the source
 * declares (`capabilities.reset` with `writable()` per statistic, and `write()` to do it —
 * producer values declared writable, and aggregates whose every value behind is). Everything
 * else (KVM fds, QMP, binary files, the host) is read-only.
 */
import type { StatsFile } from "../../model/stats-file.js";
import type { StatsSource } from "../../providers/source.js";

/** Resets statistic `index` of a file to zero; throws when the source refuses. */
export type Resetter = () => void;

/** How to reset statistic `index` of `file` from `source`, or undefined when it cannot be reset. */
export function resetterOf(source: StatsSource, file: StatsFile, index: number): Resetter | undefined {
  const d = file.schema.descriptors[index];
  if (!d || !source.capabilities.reset || !source.write || !source.writable) return undefined;
  if (!source.writable(file, d.name)) return undefined;
  return () => source.write?.(file, d.name, 0n);
}
