/**
 * @module views/openmetrics/select
 * Which statistics are exposed, so that no series appears twice under a name whose `sum()`
 * would count it twice. Producer files follow sample/producer (the one place that says
 * which files of a producer a view shows); the exporter's own rules, also in the README:
 *
 * - Producer sources (provider `statsfs`): a source's merged file (every process's values) is
 *   exposed, its per-process files are not (they are inside it) — unless per-worker series
 *   are asked for ({@link SelectOptions.perWorker}): then each process's own file is exposed
 *   instead of the sum, told apart by its `producer_instance` label.
 * - Every source of a producer tree is exposed in the root's families with a `source` label
 *   naming it (views/openmetrics/plan), so `sum()` over a family adds the subordinates. The
 *   parent's aggregate of its subordinates is therefore left out (and its companions `.min`,
 *   `.max`, `.avg`, `.count_zero`, `.sum`), and the parent's own part is shown instead where it
 *   has one: its value minus its subordinates' (exact, modulo 2^64; bucket by bucket) when the
 *   aggregate file says which subordinates it holds and they are all exposed; a parent whose
 *   value holds nothing of its own (only its subordinates') shows no series of it.
 * - KVM VM statistics are not aggregates of the vCPUs' (the kernel keeps them apart), so both
 *   are exposed, under their distinct `kvm_vm_*` and `kvm_vcpu_*` names.
 * - Two files with the same identity (the same VM named twice) are exposed once.
 */
import { StatType, StatUnit } from "../../model/flags.js";
import { identityKey } from "../../model/identity.js";
import type { StatsFile } from "../../model/stats-file.js";
import { AGG_SUFFIXES, type Coverage, coverageOf, producerRole, viewPlan } from "../../sample/producer.js";

/** A file to expose, and the statistic names of it to leave out. */
export interface Exposed {
  readonly file: StatsFile;
  readonly omit: ReadonlySet<string>;
  /** Statistics shown as this file's value minus these subordinates' (its own part). */
  readonly own: ReadonlyMap<string, readonly StatsFile[]>;
}

/** Options of {@link selectExposed}. */
export interface SelectOptions {
  /** Each producer process's own file instead of the merged sum (label `producer_instance`). */
  readonly perWorker?: boolean | undefined;
}

const NONE: ReadonlySet<string> = new Set();
const NO_OWN: ReadonlyMap<string, readonly StatsFile[]> = new Map();

/** The parent path of `/a/b` (`/a`), or undefined for a root. */
function parentPath(path: string): string | undefined {
  const i = path.lastIndexOf("/");
  return i > 0 ? path.slice(0, i) : undefined;
}

/** The files to expose, in order, each with the names to leave out. */
export function selectExposed(files: readonly StatsFile[], options: SelectOptions = {}): Exposed[] {
  const plan = viewPlan(files);
  const kept: StatsFile[] = [];
  const seen = new Set<string>();
  for (const f of plan.shown) {
    const parts = options.perWorker ? plan.partsOf(f) : [];
    for (const x of parts.length > 0 ? parts : [f]) {
      const key = identityKey(x.identity);
      if (seen.has(key)) continue;
      seen.add(key);
      kept.push(x);
    }
  }
  // Merged producer files by member and path, and their children (any file below, by parent).
  const byPath = new Map<string, StatsFile>();
  const children = new Map<string, StatsFile[]>();
  for (const f of plan.shown) {
    const r = producerRole(f.identity);
    if (r?.kind !== "merged") continue;
    byPath.set(`${r.member}\0${r.path}`, f);
    const p = parentPath(r.path);
    if (p === undefined) continue;
    const k = `${r.member}\0${p}`;
    const l = children.get(k);
    if (l) l.push(f);
    else children.set(k, [f]);
  }
  /** Paths below `path` holding statistic `name`, with their merged files. */
  const below = (member: string, path: string, name: string, out: StatsFile[] = []): StatsFile[] => {
    for (const c of children.get(`${member}\0${path}`) ?? []) {
      if (c.schema.descriptors.some((d) => d.name === name)) out.push(c);
      below(member, producerRole(c.identity)?.path as string, name, out);
    }
    return out;
  };
  return kept.map((file) => {
    const r = producerRole(file.identity);
    if (r?.kind !== "merged" || !children.has(`${r.member}\0${r.path}`)) return { file, omit: NONE, own: NO_OWN };
    const cov = coverageOf(file);
    const omit = new Set<string>();
    const own = new Map<string, readonly StatsFile[]>();
    for (const d of file.schema.descriptors) {
      const suffix = AGG_SUFFIXES.find((s) => d.name.endsWith(s));
      const base = suffix ? d.name.slice(0, -suffix.length) : d.name;
      const held = below(r.member, r.path, base);
      if (held.length === 0) continue;
      if (suffix) {
        omit.add(d.name);
        continue;
      }
      const minus = cov ? ownPart(cov, d.name, r.path, held) : labelSetsOnly(r.path, held);
      if (minus === undefined || d.type === StatType.Peak || d.unit === StatUnit.Boolean) omit.add(d.name);
      else if (minus.length > 0) own.set(d.name, minus);
    }
    return { file, omit, own };
  });
}

/**
 * The files whose values, subtracted from the parent's statistic `name`, leave its own part:
 * [] when the statistic holds nothing of the files below (it is the parent's own value as is),
 * undefined when it holds nothing of its own or the parts cannot be told apart exactly. The
 * parent holds the sources `cov` names; subtracting each directly covered child's merged value
 * is exact when every covered path is a child or lies below one (the child's value holds it).
 */
function ownPart(cov: Coverage, name: string, path: string, held: readonly StatsFile[]): StatsFile[] | undefined {
  const covered = held.filter((f) => cov.covers(name, producerRole(f.identity)?.path as string));
  if (covered.length === 0) return [];
  if (!cov.holdsOwn(name)) return undefined;
  const direct = covered.filter((f) => parentPath(producerRole(f.identity)?.path as string) === path);
  for (const f of covered) {
    if (direct.includes(f)) continue;
    const p = producerRole(f.identity)?.path as string;
    const under = direct.find((c) => p.startsWith(`${producerRole(c.identity)?.path}/`));
    const ccov = under && coverageOf(under);
    if (!ccov?.covers(name, p)) return undefined;
  }
  return direct;
}

/** Without coverage (a snapshot of merged files): the parent's own part only beside label sets alone. */
function labelSetsOnly(path: string, held: readonly StatsFile[]): StatsFile[] | undefined {
  const sets = held.every((h) => {
    const r = producerRole(h.identity);
    return r !== undefined && r.owner === path && parentPath(r.path) === path;
  });
  return sets ? [...held] : undefined;
}
