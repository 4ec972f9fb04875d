/**
 * @module views/top/events
 * kvm_stat's view of a sample: per group of files (one VM's vCPUs, one VM's VM-wide file, one
 * producer source …) one *event* per statistic name with its Total, its delta since the
 * previous sample and, for drilldown, the same per file (a vCPU). Statistics are found by name
 * in each file's own schema. Totals of counters and histograms (sample counts) count from the
 * sampler's baseline (`r`), or are the statistics' own values without one — what `read` shows.
 * Instant, peak and boolean statistics show their current value (booleans: how many are true).
 */

import { type Amount, amountOf, larger, minus, plus } from "../../model/amount.js";
import type { StatDescriptor } from "../../model/descriptor.js";
import { StatType, StatUnit } from "../../model/flags.js";
import type { Labels } from "../../model/identity.js";
import { isCompanion, labelSetText, producerRole, sourceText, viewPlan } from "../../sample/producer.js";
import { delta, type Sample, type SampledFile, since } from "../../sample/sampler.js";
import type { Selector } from "../../sample/select.js";
import { groupKey, statNamed } from "./groups.js";

/** How a row is shown: counts (%Total, CurAvg/s), times (human units, s/s), or current values. */
export type EventKind = "count" | "time" | "gauge";

/** One file's part of an event (drilldown). */
export interface EventPart {
  readonly label: string;
  readonly total: Amount;
  /** Change since the previous sample; undefined for a new file. */
  readonly delta: Amount | undefined;
}

/** One statistic of a group. */
export interface EventRow {
  readonly name: string;
  readonly stat: StatDescriptor;
  readonly kind: EventKind;
  /** Counters: since the baseline, summed; gauges: the value now (peaks: max). Exact (model/amount). */
  readonly total: Amount;
  /** Summed change since the previous sample (gauges: signed); undefined when no file had a previous sample. */
  readonly delta: Amount | undefined;
  /** Histograms: per-bucket counts since the baseline, summed over the group's files. */
  readonly buckets?: readonly bigint[] | undefined;
  /** Per-file parts, when asked for (drilldown). */
  readonly parts?: readonly EventPart[] | undefined;
  /** Counts in sums across groups (`b`, Totals of several groups): no file of the group holds it inside another's aggregate (sample/producer). */
  readonly tallied: boolean;
  /** Summed in the group's Total row: a count (no histogram sample count, time, gauge or aggregate companion). */
  readonly counted: boolean;
}

/** Files of one kind and owner. */
export interface EventGroup {
  readonly key: string;
  readonly title: string;
  /** Labels of the group's first file (owner: pid, guest, member, source …). */
  readonly labels: Labels;
  readonly files: readonly SampledFile[];
  readonly rows: readonly EventRow[];
  /** Seconds between the previous sample and this one. */
  readonly seconds: number;
}

/** Options of {@link eventGroups}. */
export interface EventOptions {
  readonly selector?: Selector | undefined;
  /** kvm_stat's -f: a regular expression matched at the start of each name. */
  readonly fields?: RegExp | undefined;
  /** Only files of this pid (label `pid`). */
  readonly pid?: string | undefined;
  /** Compute per-file parts (drilldown). */
  readonly parts?: boolean | undefined;
}

/** A row's kind from its descriptor. */
export function eventKind(d: StatDescriptor): EventKind {
  if (d.type === StatType.Instant || d.type === StatType.Peak || d.unit === StatUnit.Boolean) return "gauge";
  if (d.unit === StatUnit.Seconds && d.type === StatType.Cumulative) return "time";
  return "count";
}

/** Short label of a file inside its group: `vcpu 3`, an instance, or the id's last part. */
export function partLabel(f: SampledFile): string {
  const { vcpu, instance, shard } = f.file.identity.labels;
  if (vcpu !== undefined) return `vcpu ${vcpu}`;
  if (instance !== undefined) return shard === undefined ? `instance ${instance}` : `instance ${instance}~${shard}`;
  const role = producerRole(f.file.identity);
  if (role && Object.keys(role.labelSet).length > 0) return `{${labelSetText(role.labelSet)}}`;
  const source = f.file.identity.labels.source;
  if (source !== undefined) return sourceText(source);
  const id = f.file.identity.id;
  return id.slice(id.lastIndexOf("/") + 1);
}

/** The group title: provider, target, owner (guest, pid, route, member, source) and the file count. */
export function eventTitle(files: readonly SampledFile[]): string {
  const first = files[0]?.file.identity;
  if (!first) return "";
  const { provider, target, labels } = first;
  const parts = [provider, target];
  if (labels.guest !== undefined) parts.push(labels.guest);
  for (const k of ["pid", "route", "vmm", "source", "member"])
    if (labels[k] !== undefined) parts.push(`${k} ${k === "source" ? sourceText(labels[k] as string) : labels[k]}`);
  if (files.length > 1) parts.push(target === "vcpu" ? `${files.length} vCPUs` : `${files.length} files`);
  else if (labels.vcpu !== undefined) parts.push(`vcpu ${labels.vcpu}`);
  else if (labels.instance !== undefined) parts.push(`instance ${labels.instance}`);
  return parts.join("  ");
}

function fileValue(d: StatDescriptor, f: SampledFile, kind: EventKind): Amount {
  return kind === "gauge" ? amountOf(d, f.data) : since(d, f);
}

function fileDelta(d: StatDescriptor, f: SampledFile, kind: EventKind): Amount | undefined {
  if (kind !== "gauge") return delta(d, f);
  return f.prev ? minus(amountOf(d, f.data), amountOf(d, f.prev)) : undefined;
}

/** How a group's files relate to the rest of the sample (sample/producer). */
export interface GroupContext {
  /** The files whose parts stand for a file in drilldown (a producer's per-process files). */
  readonly partsOf?: ((f: SampledFile) => readonly SampledFile[]) | undefined;
  /** Whether a file's statistic counts in sums across groups. */
  readonly tallied?: ((f: SampledFile, name: string) => boolean) | undefined;
}

/** One group's rows: every wanted statistic any of its files has, in first-seen schema order. */
export function eventGroup(
  key: string,
  files: readonly SampledFile[],
  seconds: number,
  o: EventOptions = {},
  ctx: GroupContext = {},
): EventGroup {
  const stats: StatDescriptor[] = [];
  const seen = new Set<string>();
  for (const f of files)
    for (const d of f.file.schema.descriptors) {
      if (seen.has(d.name)) continue;
      seen.add(d.name);
      if (o.selector && !o.selector.name(d.name)) continue;
      if (o.fields && !o.fields.test(d.name)) continue;
      stats.push(d);
    }
  // A producer file below another file of this group, whose statistic that file's aggregate
  // already holds, is not added to the group's total again (its drilldown still shows it).
  const roles = files.map((f) => producerRole(f.file.identity));
  const below = files.map((_, i) => {
    const r = roles[i];
    return r !== undefined && roles.some((a, j) => j !== i && a?.member === r.member && r.path.startsWith(`${a.path}/`));
  });
  const rows = stats.map((stat): EventRow => {
    const kind = eventKind(stat);
    const hist = stat.type === StatType.LinearHistogram || stat.type === StatType.Log2Histogram;
    let total: Amount = 0n;
    let dsum: Amount | undefined;
    let any = false;
    let tallied = true;
    const buckets = hist ? new Array<bigint>(stat.size).fill(0n) : undefined;
    const parts: EventPart[] | undefined = o.parts ? [] : undefined;
    for (const [fi, f] of files.entries()) {
      const d = statNamed(f.file.schema.descriptors, stat.name);
      if (!d) continue;
      const held = ctx.tallied !== undefined && !ctx.tallied(f, stat.name);
      if (held && below[fi]) continue;
      if (held) tallied = false;
      const v = fileValue(d, f, kind);
      total = !any ? v : d.type === StatType.Peak ? larger(total, v) : plus(total, v);
      any = true;
      const dv = fileDelta(d, f, kind);
      if (dv !== undefined) dsum = plus(dsum ?? 0n, dv);
      if (buckets && d.size === buckets.length) {
        const i0 = d.offset >>> 3;
        for (let i = 0; i < d.size; i++) {
          const now = f.data[i0 + i] ?? 0n;
          const b = f.base ? (f.base[i0 + i] ?? 0n) : 0n;
          buckets[i] = (buckets[i] ?? 0n) + (now >= b ? now - b : now);
        }
      }
      if (!parts) continue;
      const behind = ctx.partsOf?.(f) ?? [];
      if (behind.length === 0) parts.push({ label: partLabel(f), total: v, delta: dv });
      for (const p of behind) {
        const pd = statNamed(p.file.schema.descriptors, stat.name);
        if (pd) parts.push({ label: partLabel(p), total: fileValue(pd, p, kind), delta: fileDelta(pd, p, kind) });
      }
    }
    const counted = kind === "count" && !hist && !isCompanion(stat.name);
    return { name: stat.name, stat, kind, total, delta: dsum, buckets, parts, tallied, counted };
  });
  const labels = files[0]?.file.identity.labels ?? {};
  return { key, title: eventTitle(files), labels, files, rows, seconds };
}

/** groupKey per identity object (a file keeps its identity object across polls). */
const groupKeys = new WeakMap<object, string>();

function groupOf(f: SampledFile): string {
  let k = groupKeys.get(f.file.identity);
  if (k === undefined) {
    k = groupKey(f);
    groupKeys.set(f.file.identity, k);
  }
  return k;
}

/**
 * Groups a sample's selected files (kvm_stat's -p and the shared selection), in source order.
 * Only the files views show are grouped (a producer's per-process files are its merged file's
 * drilldown parts: sample/producer).
 */
export function eventGroups(sample: Sample, o: EventOptions = {}): EventGroup[] {
  const plan = viewPlan(sample.files.map((f) => f.file));
  const shown = new Set(plan.shown);
  const sampled = new Map(sample.files.map((f) => [f.file, f]));
  const ctx: GroupContext = {
    // Drilldown of a producer source: its processes' and its label sets' values.
    partsOf: (f) => [...plan.partsOf(f.file), ...plan.labelSetsOf(f.file)].flatMap((p) => sampled.get(p) ?? []),
    tallied: (f, name) => plan.tallied(f.file, name),
  };
  const groups = new Map<string, SampledFile[]>();
  for (const f of sample.files) {
    // A label set is a part of its owner's rows (x), not a group of its own.
    if (!shown.has(f.file) || plan.labelledBy(f.file)) continue;
    if (o.selector && !o.selector.file(f.file)) continue;
    if (o.pid !== undefined && f.file.identity.labels.pid !== o.pid) continue;
    const k = groupOf(f);
    const g = groups.get(k);
    if (g) g.push(f);
    else groups.set(k, [f]);
  }
  return [...groups].map(([key, files]) => eventGroup(key, files, sample.seconds, o, ctx));
}

/**
 * The bucket holding the p-quantile (0 < p ≤ 1) of a histogram's counts: the first bucket at
 * which the running count reaches ⌈p·n⌉; undefined when the histogram is empty.
 */
export function quantileBucket(buckets: readonly bigint[], p: number): number | undefined {
  let n = 0n;
  for (const b of buckets) n += b;
  if (n === 0n) return undefined;
  // ⌈p·n⌉ in exact arithmetic with p to 1/1000.
  const want = (n * BigInt(Math.round(p * 1000)) + 999n) / 1000n;
  let run = 0n;
  for (let i = 0; i < buckets.length; i++) {
    run += buckets[i] ?? 0n;
    if (run >= want) return i;
  }
  return buckets.length - 1;
}
