/**
 * @module views/text/values
 * A human table of one snapshot: per stats file, each statistic with its type and value in its
 * unit. Histograms show their non-zero buckets as `[i]=count`.
 */

import type { StatDescriptor } from "../../model/descriptor.js";
import { encodingName, isHistogram, StatType, StatUnit, typeName } from "../../model/flags.js";
import { linearBucket, log2Bucket } from "../../model/histogram.js";
import { printable } from "../../model/printable.js";
import type { StatsFile } from "../../model/stats-file.js";
import { formatScaled, unitLabel } from "../../model/units.js";
import { numberText, statValue } from "../../model/value.js";
import { idText, producerRole, sourceText } from "../../sample/producer.js";
import { type StatsFilter, selectStats } from "../qapi/filter.js";
import { renderTable } from "./table.js";

/**
 * A histogram bucket's range in the statistic's unit, so nobody needs to know whether buckets
 * count from 0 or 1: `[256 ns, 512 ns)`, the open last bucket `[2.147 s, ∞)`.
 */
export function bucketText(d: StatDescriptor, i: number): string {
  if (d.type === StatType.BoundsHistogram) {
    // prom-client's buckets: (previous bound, bound], in the value's unit.
    const b = d.bounds ?? [];
    const u = unitLabel(d.unit, d.base, d.exponent);
    const f = (x: number | undefined, none: string) => (x === undefined ? none : `${numberText(x)}${u ? ` ${u}` : ""}`);
    return `(${f(b[i - 1], "-∞")}, ${f(b[i], "∞")}${i < b.length ? "]" : ")"}`;
  }
  const b = d.type === StatType.LinearHistogram ? linearBucket(i, d.size, d.bucketSize) : log2Bucket(i, d.size);
  const f = (v: bigint) => formatScaled(v, d.unit, d.base, d.exponent);
  return `[${f(b.low)}, ${b.high === undefined ? "∞" : f(b.high)})`;
}

/** A value as text: digits (a double exactly), yes/no, or the non-zero buckets of a list with their ranges. */
export function valueText(d: StatDescriptor, data: BigUint64Array): string {
  const v = statValue(d, data);
  if (typeof v === "boolean") return v ? "yes" : "no";
  if (!Array.isArray(v)) return numberText(v);
  if (!isHistogram(d.type)) return v.map(numberText).join(" ");
  const nz = v.flatMap((x, i) => (x !== 0n ? [`${bucketText(d, i)}=${numberText(x)}`] : []));
  return nz.length ? nz.join(" ") : `(${v.length} buckets, all 0)`;
}

/** The unit column of a statistic. */
export function unitText(d: StatDescriptor): string {
  const raw = d.unit === StatUnit.Boolean ? "bool" : unitLabel(d.unit, d.base, d.exponent);
  const label = d.encoding !== 0 && !isHistogram(d.type) ? `${raw}${raw ? " " : ""}(${encodingName(d.encoding)})` : raw;
  return isHistogram(d.type) && label ? `${label} buckets` : label;
}

/** The snapshot of every selected file as text. */
export function valuesTable(files: readonly StatsFile[], filter: StatsFilter): string {
  const blocks = selectStats(files, filter).map(({ file, stats }) => {
    const { id, provider, target, path } = file.identity;
    const role = producerRole(file.identity);
    // A producer file by its source as humans read it (label sets decoded), others by id, provider, target and path.
    const head = role
      ? printable(`${idText(file.identity)} (${provider} ${target} ${sourceText(role.path)})`)
      : printable(`${id} (${provider} ${target}${path !== undefined && path !== id ? ` ${path}` : ""})`);
    const rows = stats.map((d) => [`  ${printable(d.name)}`, typeName(d.type), valueText(d, file.data), unitText(d)]);
    return `${head}\n${renderTable([["  name", "type", "value", "unit"], ...rows])}`;
  });
  return blocks.join("\n");
}
