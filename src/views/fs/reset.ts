/**
 * @module views/fs/reset
 * Which statistics of a stats file may be reset by writing zero, and how. One place that
 * knows the ways a source offers it:
 *
 * - the file's own `reset(index)` (the stats-file capability: present = resettable);
 * - producer sources (in-process live trees and `shm:`), whose merged files take
 *   `source.write(file, name, 0)` for values declared writable (aggregates: every value
 *   behind them writable), and whose per-process files zero a writable value's words.
 *
 * Everything else (KVM fds, QMP, binary files) is read-only.
 */
import type { StatsFile } from "../../model/stats-file.js";
import type { StatsSource } from "../../providers/source.js";

/** Resets statistic `index` of a file to zero; throws when the source refuses. */
export type Resetter = () => void;

interface CapableFile {
  reset?(index: number): void;
  /** A producer's merged file: each statistic with the holders behind it. */
  stats?: readonly { readonly d: { readonly name: string }; readonly holders: readonly { readonly writable: boolean }[] }[];
  /** A producer's per-process file: its value slots, and how to zero words. */
  values?: readonly { readonly name: string; readonly writable: boolean; readonly word: number; readonly size: number }[];
  zero?(word: number, size: number): void;
}

interface WritableSource {
  write?(file: StatsFile, name: string, value: bigint): void;
}

/** How to reset statistic `index` of `file` from `source`, or undefined when it cannot be reset. */
export function resetterOf(source: StatsSource, file: StatsFile, index: number): Resetter | undefined {
  const f = file as StatsFile & CapableFile;
  if (typeof f.reset === "function") return () => f.reset?.(index);
  const d = file.schema.descriptors[index];
  if (!d) return undefined;
  const s = source as StatsSource & WritableSource;
  if (Array.isArray(f.stats) && typeof s.write === "function") {
    const stat = f.stats.find((x) => x.d.name === d.name);
    if (!stat || stat.holders.length === 0 || !stat.holders.every((h: { readonly writable: boolean }) => h.writable)) return undefined;
    return () => s.write?.(file, d.name, 0n);
  }
  if (Array.isArray(f.values) && typeof f.zero === "function") {
    const slot = f.values.find((v) => v.name === d.name);
    if (!slot?.writable) return undefined;
    return () => f.zero?.(slot.word, slot.size);
  }
  return undefined;
}
