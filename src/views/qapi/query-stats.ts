/**
 * @module views/qapi/query-stats
 * The query-stats and query-stats-schemas result shapes (qapi/stats.json), built from stats
 * files. Our additions: every StatsResult also carries "target" and "id". Histograms are in
 * bucket order 0..n−1 (QEMU 7.2 reverses them).
 */

import type { StatDescriptor } from "../../model/descriptor.js";
import { StatType, StatUnit, typeName, unitName } from "../../model/flags.js";
import type { StatsFile } from "../../model/stats-file.js";
import { baseRadix } from "../../model/units.js";
import { type StatValue, statValue } from "../../model/value.js";
import { type StatsFilter, selectStats } from "./filter.js";

/** One StatsResult. */
export interface StatsResult {
  provider: string;
  target: string;
  "qom-path"?: string;
  id: string;
  /** The file's identity labels (string values), in their canonical order. */
  labels: Record<string, string>;
  stats: { name: string; value: StatValue }[];
}

/** One StatsSchemaValue. */
export interface StatsSchemaValue {
  name: string;
  type: string;
  unit?: string;
  base?: number;
  exponent: number;
  "bucket-size"?: number;
}

/** One StatsSchema. */
export interface StatsSchemaResult {
  provider: string;
  target: string;
  stats: StatsSchemaValue[];
}

/** query-stats over files. */
export function queryStats(files: readonly StatsFile[], filter: StatsFilter): StatsResult[] {
  return selectStats(files, filter).map(({ file, stats }) => {
    const { provider, target, path, id, labels } = file.identity;
    const values = stats.map((d) => ({ name: d.name, value: statValue(d, file.data) }));
    return path === undefined
      ? { provider, target, id, labels: { ...labels }, stats: values }
      : { provider, target, "qom-path": path, id, labels: { ...labels }, stats: values };
  });
}

/**
 * A descriptor as a StatsSchemaValue, keys in QAPI order: unit absent for none, base only when
 * exponent ≠ 0, bucket-size only for linear histograms.
 */
export function schemaValue(d: StatDescriptor): StatsSchemaValue {
  const unit = d.unit !== StatUnit.None ? { unit: unitName(d.unit) } : {};
  const base = d.exponent !== 0 ? { base: baseRadix(d.base) ?? d.base } : {};
  const bucket = d.type === StatType.LinearHistogram ? { "bucket-size": d.bucketSize } : {};
  return { name: d.name, type: typeName(d.type), ...unit, ...base, exponent: d.exponent, ...bucket };
}

/** query-stats-schemas: one schema per provider and target (the first file of each speaks). */
export function queryStatsSchemas(files: readonly StatsFile[], provider?: string): StatsSchemaResult[] {
  const seen = new Map<string, StatsSchemaResult>();
  for (const f of files) {
    const { provider: p, target } = f.identity;
    if (provider !== undefined && p !== provider) continue;
    const key = `${p}\0${target}`;
    if (!seen.has(key)) seen.set(key, { provider: p, target, stats: f.schema.descriptors.map(schemaValue) });
  }
  return [...seen.values()];
}
