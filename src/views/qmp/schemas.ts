/**
 * @module views/qmp/schemas
 * query-stats-schemas as QEMU builds it from KVM descriptors: one StatsSchema per provider and
 * target (the first file of each speaks for all), `unit` absent for plain numbers, `base` (10 or
 * 2) only when the exponent is not 0, `bucket-size` only for linear histograms. Like QEMU, a
 * descriptor whose type, unit or base QAPI cannot name is left out of the schema (its values are
 * still served). Order: providers and targets as the files come, statistics in schema order.
 */
import type { StatDescriptor } from "../../model/descriptor.js";
import { StatBase, StatType, StatUnit, TYPE_MAX, typeName, UNIT_MAX, unitName } from "../../model/flags.js";
import type { StatsFile } from "../../model/stats-file.js";

/** A StatsSchemaValue, members in QAPI order (which fixes QEMU's output order). */
export type SchemaValue = Record<string, string | number>;

/** A descriptor as QEMU's StatsSchemaValue, or undefined when QAPI cannot express it. */
export function schemaValueOf(d: StatDescriptor): SchemaValue | undefined {
  if (d.type < 0 || d.type > TYPE_MAX || d.unit < 0 || d.unit > UNIT_MAX) return undefined;
  const v: SchemaValue = { name: d.name, type: typeName(d.type) };
  if (d.unit !== StatUnit.None) v.unit = unitName(d.unit);
  if (d.exponent !== 0) {
    if (d.base === StatBase.Pow10) v.base = 10;
    else if (d.base === StatBase.Pow2) v.base = 2;
    else return undefined;
  }
  v.exponent = d.exponent;
  if (d.type === StatType.LinearHistogram) v["bucket-size"] = d.bucketSize;
  return v;
}

/** The query-stats-schemas return value. */
export function schemaResults(files: readonly StatsFile[], provider?: string): Record<string, unknown>[] {
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  for (const f of files) {
    const { provider: p, target } = f.identity;
    if (provider !== undefined && p !== provider) continue;
    const key = `${p}\0${target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const stats = f.schema.descriptors.map(schemaValueOf).filter((v) => v !== undefined);
    out.push({ provider: p, target, stats });
  }
  return out;
}
