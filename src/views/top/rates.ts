/**
 * @module views/top/rates
 * What `top` shows for a group of stats files (one provider and target): per statistic, the
 * current value summed over the group, its change per second since the previous poll, and the
 * per-file rates. Cumulative stats and histograms (total samples) show rates; instant and peak
 * stats show their value.
 */

import type { StatDescriptor } from "../../model/descriptor.js";
import { StatType, StatUnit } from "../../model/flags.js";
import type { StatsFile } from "../../model/stats-file.js";
import { totalValue } from "../../model/value.js";

/** One row of a group. */
export interface RateRow {
  readonly stat: StatDescriptor;
  /** Sum over the group's files (histograms: total samples; booleans: how many are true). */
  readonly value: bigint;
  /** Change per second of `value`, or undefined on the first frame and for gauges. */
  readonly rate: number | undefined;
  /** Per-file change per second (or value for gauges), in file order. */
  readonly perFile: readonly (number | bigint | undefined)[];
}

/** Files sharing a provider and target, shown together. */
export interface RateGroup {
  readonly title: string;
  readonly files: readonly StatsFile[];
  readonly rows: readonly RateRow[];
}

/** Whether a statistic is shown as a rate (counters and histogram sample counts). */
export function showsRate(d: StatDescriptor): boolean {
  return d.type === StatType.Cumulative || d.type === StatType.LinearHistogram || d.type === StatType.Log2Histogram;
}

const statTotal = (d: StatDescriptor, data: BigUint64Array) =>
  d.unit === StatUnit.Boolean ? (totalValue(d, data) !== 0n ? 1n : 0n) : totalValue(d, data);

/** Groups files by provider and target, in first-seen order. */
export function groupFiles(files: readonly StatsFile[]): StatsFile[][] {
  const groups = new Map<string, StatsFile[]>();
  for (const f of files) {
    const key = `${f.identity.provider}\0${f.identity.target}\0${f.schema.descriptors.length}`;
    const g = groups.get(key);
    if (g) g.push(f);
    else groups.set(key, [f]);
  }
  return [...groups.values()];
}

/**
 * Rows for one group. `prev` maps a file to its data at the previous poll (same files);
 * `seconds` is the time between the two polls.
 */
export function rateGroup(
  files: readonly StatsFile[],
  prev: ReadonlyMap<StatsFile, BigUint64Array> | undefined,
  seconds: number,
): RateGroup {
  const first = files[0];
  if (!first) return { title: "", files, rows: [] };
  const { provider, target } = first.identity;
  const title = files.length === 1 ? `${provider} ${target} ${first.identity.id}` : `${provider} ${target} x${files.length}`;
  const rows = first.schema.descriptors.map((d): RateRow => {
    let value = 0n;
    let delta: bigint | undefined = 0n;
    const perFile = files.map((f) => {
      const now = statTotal(d, f.data);
      value += now;
      if (!showsRate(d)) return now;
      const before = prev?.get(f);
      if (!before || delta === undefined) {
        delta = undefined;
        return undefined;
      }
      const dv = now - statTotal(d, before);
      delta += dv;
      return Number(dv) / seconds;
    });
    const rate = showsRate(d) && delta !== undefined && seconds > 0 ? Number(delta) / seconds : undefined;
    return { stat: d, value, rate, perFile };
  });
  return { title, files, rows };
}
