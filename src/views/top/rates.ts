/**
 * @module views/top/rates
 * What `top` shows of a sample: files grouped by what they are (provider, target, the labels
 * that name their owner such as a VM's pid or a producer's source), and per statistic — found
 * by name in each file's own schema, never at another file's offsets — the group's value, its
 * change per second, and each file's. Cumulative stats and histograms (total samples) show
 * rates; instant and peak stats show their value. A group's value is what `read` shows
 * summed over its files (peaks: the maximum; booleans: how many are true).
 */

import type { StatDescriptor } from "../../model/descriptor.js";
import { StatType, StatUnit } from "../../model/flags.js";
import { totalValue } from "../../model/value.js";
import { rate, type Sample, type SampledFile } from "../sampler/index.js";

/** One row of a group. */
export interface RateRow {
  /** The statistic as the group's first file that has it describes it. */
  readonly stat: StatDescriptor;
  /** Over the group's files that have it: sum (peaks: max; booleans: count of true; histograms: samples). */
  readonly value: bigint;
  /** Change per second of `value`, or undefined on the first frame and for gauges. */
  readonly rate: number | undefined;
  /** Per-file change per second (or value for gauges), in file order; undefined where a file lacks it. */
  readonly perFile: readonly (number | bigint | undefined)[];
}

/** Files of one kind and owner, shown together. */
export interface RateGroup {
  readonly key: string;
  readonly title: string;
  readonly files: readonly SampledFile[];
  readonly rows: readonly RateRow[];
}

/** Whether a statistic is shown as a rate (counters and histogram sample counts). */
export function showsRate(d: StatDescriptor): boolean {
  return d.type === StatType.Cumulative || d.type === StatType.LinearHistogram || d.type === StatType.Log2Histogram;
}

/** Labels that tell files of one group apart (not part of the group's key). */
const PER_FILE = new Set(["vcpu", "instance", "shard", "qom_path"]);

const byName = new WeakMap<readonly StatDescriptor[], Map<string, StatDescriptor>>();

/** A file's descriptor named `name`, or undefined. */
export function statNamed(descriptors: readonly StatDescriptor[], name: string): StatDescriptor | undefined {
  let m = byName.get(descriptors);
  if (!m) {
    m = new Map(descriptors.map((d) => [d.name, d]));
    byName.set(descriptors, m);
  }
  return m.get(name);
}

/** The group a file belongs to: provider, target, which labels it has, and its owner's labels. */
export function groupKey(f: SampledFile): string {
  const { provider, target, labels } = f.file.identity;
  const names = Object.keys(labels).sort().join(",");
  const owner = Object.entries(labels)
    .filter(([k]) => !PER_FILE.has(k) && k !== "provider" && k !== "target")
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
  return `${provider}\0${target}\0${names}\0${owner}`;
}

function groupTitle(files: readonly SampledFile[]): string {
  const first = files[0]?.file.identity;
  if (!first) return "";
  const { provider, target, labels, id } = first;
  const owner = ["guest", "pid", "source", "member", "route"].filter((k) => labels[k] !== undefined).map((k) => `${k} ${labels[k]}`);
  const which = files.length === 1 ? (owner.length ? owner.join(" ") : id) : [...owner, `x${files.length}`].join(" ");
  return `${provider} ${target} ${which}`;
}

/** Groups a sample's files, in first-seen order. */
export function groupSample(sample: Sample): RateGroup[] {
  const groups = new Map<string, SampledFile[]>();
  for (const f of sample.files) {
    const k = groupKey(f);
    const g = groups.get(k);
    if (g) g.push(f);
    else groups.set(k, [f]);
  }
  return [...groups].map(([key, files]) => rateGroup(key, files, sample.seconds));
}

const fileTotal = (d: StatDescriptor, data: BigUint64Array) =>
  d.unit === StatUnit.Boolean ? (totalValue(d, data) !== 0n ? 1n : 0n) : totalValue(d, data);

/** Rows for one group: every statistic any of its files has, in first-seen schema order. */
export function rateGroup(key: string, files: readonly SampledFile[], seconds: number): RateGroup {
  const names: StatDescriptor[] = [];
  const seen = new Set<string>();
  for (const f of files)
    for (const d of f.file.schema.descriptors)
      if (!seen.has(d.name)) {
        seen.add(d.name);
        names.push(d);
      }
  const rows = names.map((stat): RateRow => {
    let value = 0n;
    let moving: number | undefined = 0;
    let any = false;
    const perFile = files.map((f) => {
      const d = statNamed(f.file.schema.descriptors, stat.name);
      if (!d) return undefined;
      const now = fileTotal(d, f.data);
      if (!any) value = now;
      else value = d.type === StatType.Peak ? (now > value ? now : value) : value + now;
      any = true;
      if (!showsRate(d)) return now;
      const r = rate(d, f, seconds);
      moving = r === undefined || moving === undefined ? undefined : moving + r;
      return r;
    });
    return { stat, value, rate: showsRate(stat) ? moving : undefined, perFile };
  });
  return { key, title: groupTitle(files), files, rows };
}
