/**
 * @module views/openmetrics/select
 * Which statistics are exposed, so that no series appears twice under a name whose `sum()`
 * would count it twice. Decided here (and in the README):
 *
 * - Producer sources (provider `statsfs`): a source's merged file (`statsfs/<path>`: every
 *   process's values) is exposed; a per-process file (label `instance`) is left out when the
 *   merged file of the same source is exposed, since it is already inside that sum.
 * - A producer parent's aggregate of its subordinates (a value that a source below it also
 *   has, and its `.min`/`.max`/`.avg`/`.count_zero`/`.sum` companions) is left out: PromQL
 *   aggregates over the subordinates' `source` label instead. A parent's own values are kept.
 *   Where every source below that has the value is a label set of the parent (`labels()`),
 *   the parent's own part is shown instead: its sum minus the label sets' (exact, modulo 2^64;
 *   bucket by bucket), the value as used without labels. The parent's value is always that sum
 *   there (the aggregation engine sums label sets in, whatever the value's declared
 *   aggregations), so the difference is never below zero nor above the parts' sum.
 * - KVM VM statistics are not aggregates of the vCPUs' (the kernel keeps them apart), so both
 *   are exposed, under their distinct `kvm_vm_*` and `kvm_vcpu_*` names.
 * - Two files with the same identity (the same VM named twice) are exposed once.
 */
import { StatType, StatUnit } from "../../model/flags.js";
import { decodeLabelSet } from "../../model/label-set.js";
import type { StatsFile } from "../../model/stats-file.js";

/** Aggregation suffixes a producer parent appends to a value's name. */
const AGG_SUFFIXES = [".min", ".max", ".avg", ".count_zero", ".sum"];

/** A file to expose, and the statistic names of it to leave out. */
export interface Exposed {
  readonly file: StatsFile;
  readonly omit: ReadonlySet<string>;
  /** Statistics shown as this file's value minus these label-set children's. */
  readonly own: ReadonlyMap<string, readonly StatsFile[]>;
}

const NONE: ReadonlySet<string> = new Set();
const NO_OWN: ReadonlyMap<string, readonly StatsFile[]> = new Map();

/** The files to expose, in order, each with the names to leave out. */
export function selectExposed(files: readonly StatsFile[]): Exposed[] {
  const mergedPaths = new Set<string>();
  for (const f of files) {
    const id = f.identity;
    if (id.provider === "statsfs" && id.labels.instance === undefined && id.path !== undefined) mergedPaths.add(id.path);
  }
  const kept: StatsFile[] = [];
  const seen = new Set<string>();
  for (const f of files) {
    const id = f.identity;
    if (id.provider === "statsfs" && id.labels.instance !== undefined && id.path !== undefined && mergedPaths.has(id.path)) continue;
    const key = `${id.id}\0${Object.entries(id.labels).join("\0")}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(f);
  }
  // Names held below each producer path (merged files only; per-process files are leaves).
  const below = new Map<string, Map<string, StatsFile[]>>();
  for (const f of kept) {
    const id = f.identity;
    if (id.provider !== "statsfs" || id.path === undefined || id.labels.instance !== undefined) continue;
    const segments = id.path.split("/");
    for (let n = segments.length - 1; n >= 2; n--) {
      const parent = segments.slice(0, n).join("/");
      let m = below.get(parent);
      if (!m) {
        m = new Map();
        below.set(parent, m);
      }
      for (const d of f.schema.descriptors) {
        let l = m.get(d.name);
        if (!l) {
          l = [];
          m.set(d.name, l);
        }
        l.push(f);
      }
    }
  }
  return kept.map((file) => {
    const id = file.identity;
    const held = id.provider === "statsfs" && id.path !== undefined && id.labels.instance === undefined ? below.get(id.path) : undefined;
    if (!held) return { file, omit: NONE, own: NO_OWN };
    const omit = new Set<string>();
    const own = new Map<string, readonly StatsFile[]>();
    for (const d of file.schema.descriptors) {
      const suffix = AGG_SUFFIXES.find((s) => d.name.endsWith(s));
      const baseName = suffix ? d.name.slice(0, -suffix.length) : d.name;
      const holders = held.get(baseName);
      if (!holders) continue;
      // Where every holder below is a label set, the parent's value is their sum with its own
      // part (providers/aggregate/plan: summed whatever the declared aggregations, peaks and
      // booleans excepted), so its own part is that sum minus theirs, never below zero.
      const summed = d.type !== StatType.Peak && d.unit !== StatUnit.Boolean;
      const labelSets = holders.every((h) => {
        const p = h.identity.path as string;
        const seg = p.slice((id.path as string).length + 1);
        return p.startsWith(`${id.path}/`) && !seg.includes("/") && decodeLabelSet(seg) !== undefined;
      });
      if (!suffix && summed && labelSets) own.set(d.name, holders);
      else omit.add(d.name);
    }
    return { file, omit, own };
  });
}
