/**
 * @module sample/producer
 * Which files of a Node producer every view shows, and which of their numbers count in sums
 * across files — decided here once, for top (groups, Total, `b`, `-1`), log (plain, CSV,
 * JSONL), info, the exporter and mount.
 *
 * A producer source is read as (src/providers/shm, src/producer/live-source):
 * - its **merged** file (`statsfs/<path>`, label `source`): every process's values summed, and
 *   for each value that sources below it also hold (with aggregations), the aggregate over it
 *   and them (`v`, and companions `v.min`, `v.max`, `v.avg`, `v.count_zero`, `v.sum`);
 * - its **per-process** files (`statsfs-<instance>/<path>`, label `instance`): one process's
 *   own values, already inside the merged file;
 * - its **label sets** (`counter.labels({…})`): subordinates whose last path segments name a
 *   label set (model/label-set), shown as files like any subordinate.
 *
 * The rules:
 * 1. Views show merged files (label sets included); a per-process file is shown only when the
 *    merged file of its source is absent, and is otherwise a *part* of it (top's `x`, mount's
 *    `@<instance>`, the exporter's optional per-worker series). top shows a label set as a
 *    part of the labelled value's row too (its owner's value holds it), not as a group.
 * 2. A statistic counts in sums across files (top's `-1`, log's columns, `b`) once: in the
 *    highest merged file that holds it. A subordinate's value inside an ancestor's aggregate
 *    (the ancestor's file says so: {@link Coverage}) is not counted again; companions
 *    (`.min`, `.max`, …) are never summed. So `top -1`'s `requests` is the root's `requests`
 *    that `read` shows.
 * 3. Within one file's rows (top's Total) only counts are summed: histogram sample counts and
 *    companions are left out.
 */
import type { Labels, StatsIdentity } from "../model/identity.js";
import { decodeLabelSet } from "../model/label-set.js";
import type { StatsFile } from "../model/stats-file.js";

/** Suffixes a producer parent gives the aggregate companions of a value (value names hold no `.`). */
export const AGG_SUFFIXES: readonly string[] = [".min", ".max", ".avg", ".count_zero", ".sum"];

/** Whether `name` is an aggregate companion (`v.max`, …) of a merged producer file. */
export function isCompanion(name: string): boolean {
  const dot = name.lastIndexOf(".");
  return dot > 0 && AGG_SUFFIXES.includes(name.slice(dot));
}

/** What an aggregate (merged) file tells about the values inside its statistics (providers/aggregate). */
export interface Coverage {
  /** Whether statistic `name` holds the values of the source at `path` below it. */
  covers(name: string, path: string): boolean;
  /** Whether statistic `name` holds a value of the file's own source. */
  holdsOwn(name: string): boolean;
  /** The own part of f64 statistic `name` (without the values below), where the file can tell it exactly. */
  ownF64?(name: string): number | undefined;
}

/** The file behind a union's wrapper. */
export function innerFile(f: StatsFile): StatsFile {
  let x = f;
  for (let i = 0; i < 4; i++) {
    const inner = (x as { inner?: StatsFile }).inner;
    if (!inner) break;
    x = inner;
  }
  return x;
}

/** The coverage of a merged file, where it knows it. */
export function coverageOf(f: StatsFile): Coverage | undefined {
  const x = innerFile(f) as Partial<Coverage>;
  return typeof x.covers === "function" && typeof x.holdsOwn === "function" ? (x as Coverage) : undefined;
}

/** A producer file's place in its tree. */
export interface ProducerRole {
  readonly kind: "merged" | "process";
  /** The source path, `/app/db/{k=v}`. */
  readonly path: string;
  /** The path without trailing label-set segments (the labelled value's own source). */
  readonly owner: string;
  /** Labels of the trailing label-set segments, decoded; empty when none. */
  readonly labelSet: Labels;
  /** The top-level source's name. */
  readonly root: string;
  /** The union member (label `member`), "" outside a union that needed one. */
  readonly member: string;
}

const roles = new WeakMap<StatsIdentity, ProducerRole | null>();

/** The role of a producer file (provider `statsfs` with a `source` path), or undefined for any other file. */
export function producerRole(identity: StatsIdentity): ProducerRole | undefined {
  const known = roles.get(identity);
  if (known !== undefined) return known ?? undefined;
  let role: ProducerRole | null = null;
  const path = identity.labels.source;
  if (identity.provider === "statsfs" && path !== undefined && path.startsWith("/")) {
    const segs = path.split("/");
    const labelSet: Record<string, string> = {};
    let n = segs.length;
    while (n > 2) {
      const set = decodeLabelSet(segs[n - 1] as string);
      if (!set) break;
      for (const [k, v] of Object.entries(set)) if (!(k in labelSet)) labelSet[k] = v;
      n--;
    }
    role = {
      kind: identity.labels.instance !== undefined ? "process" : "merged",
      path,
      owner: segs.slice(0, n).join("/"),
      labelSet,
      root: segs[1] ?? "",
      member: identity.labels.member ?? "",
    };
  }
  roles.set(identity, role);
  return role ?? undefined;
}

/** `k="v",…` as Prometheus writes labels (`"` and `\` escaped): how humans see a label set. */
export function labelSetText(labels: Labels): string {
  return Object.entries(labels)
    .map(([k, v]) => `${k}="${v.replace(/[\\"]/g, (c) => `\\${c}`)}"`)
    .join(",");
}

/** A producer source path for humans: label-set segments shown decoded, `/app{route="/users/:id"}`. */
export function sourceText(path: string): string {
  const segs = path.split("/");
  let out = "";
  for (const s of segs.slice(1)) {
    const set = decodeLabelSet(s);
    out += set ? `{${labelSetText(set)}}` : `/${s}`;
  }
  return out || path;
}

/**
 * A file's id as humans read it, in segments: a producer file's label-set segments decoded
 * (`statsfs`, `app`, `{method="GET",route="/users/:id"}`; `statsfs-w1` for one process's),
 * any other file's id split at `/`. Names made of them encode each segment (model/file-name).
 */
export function idSegments(identity: StatsIdentity): string[] {
  const r = producerRole(identity);
  if (!r) return identity.id.split("/");
  const l = identity.labels;
  const head = r.kind === "process" ? `statsfs-${l.instance}${l.shard !== undefined ? `~${l.shard}` : ""}` : "statsfs";
  const out = [head];
  for (const s of r.path.split("/").slice(1)) {
    const set = decodeLabelSet(s);
    out.push(set ? `{${labelSetText(set)}}` : s);
  }
  return out;
}

/** A file's id as humans read it: `statsfs/app{method="GET",route="/users/:id"}` (views show this, files keep their ids). */
export function idText(identity: StatsIdentity): string {
  const r = producerRole(identity);
  if (!r) return identity.id;
  const [head, ...rest] = idSegments(identity);
  return `${head}${rest.map((s) => (s.startsWith("{") ? s : `/${s}`)).join("")}`;
}

/** How every view treats a list of files (see the module doc). */
export interface ViewPlan {
  /** Files shown on their own, in order. */
  readonly shown: readonly StatsFile[];
  /** The per-process files behind a shown merged file (its parts), in order. */
  partsOf(file: StatsFile): readonly StatsFile[];
  /** The label sets of a shown merged file (`counter.labels({…})` children), in order. */
  labelSetsOf(file: StatsFile): readonly StatsFile[];
  /** The merged file whose label set `file` is, if it is one and that file is shown. */
  labelledBy(file: StatsFile): StatsFile | undefined;
  /** Whether statistic `name` of shown file `file` counts in sums across files. */
  tallied(file: StatsFile, name: string): boolean;
}

const NO_PARTS: readonly StatsFile[] = [];

/** The producer-tree key of a role: its member and path. */
const keyOf = (r: ProducerRole, path = r.path) => `${r.member}\0${path}`;

/** Ancestor paths of `/a/b/c`: `/a/b`, `/a`. */
function ancestors(path: string): string[] {
  const out: string[] = [];
  for (let i = path.lastIndexOf("/"); i > 0; i = path.lastIndexOf("/", i - 1)) out.push(path.slice(0, i));
  return out;
}

let last: { files: readonly StatsFile[]; plan: ViewPlan } | undefined;

/** The plan of `files` (the last one is kept: views ask again with the same files every frame). */
export function viewPlan(files: readonly StatsFile[]): ViewPlan {
  if (last && last.files.length === files.length && last.files.every((f, i) => f === files[i])) return last.plan;
  const merged = new Map<string, StatsFile>();
  for (const f of files) {
    const r = producerRole(f.identity);
    if (r?.kind === "merged" && !merged.has(keyOf(r))) merged.set(keyOf(r), f);
  }
  const shown: StatsFile[] = [];
  const parts = new Map<StatsFile, StatsFile[]>();
  for (const f of files) {
    const r = producerRole(f.identity);
    const m = r?.kind === "process" ? merged.get(keyOf(r)) : undefined;
    if (!m) {
      shown.push(f);
      continue;
    }
    const l = parts.get(m);
    if (l) l.push(f);
    else parts.set(m, [f]);
  }
  /** Merged files above each shown producer file, nearest first. */
  const above = new Map<StatsFile, StatsFile[]>();
  for (const f of shown) {
    const r = producerRole(f.identity);
    if (r?.kind !== "merged") continue;
    const a: StatsFile[] = [];
    for (const p of ancestors(r.path)) {
      const m = merged.get(keyOf(r, p));
      if (m) a.push(m);
    }
    if (a.length > 0) above.set(f, a);
  }
  const sets = new Map<StatsFile, StatsFile[]>();
  const setOwner = new Map<StatsFile, StatsFile>();
  for (const f of shown) {
    const r = producerRole(f.identity);
    if (r?.kind !== "merged" || r.owner === r.path) continue;
    const o = merged.get(keyOf(r, r.owner));
    if (!o) continue;
    setOwner.set(f, o);
    const l = sets.get(o);
    if (l) l.push(f);
    else sets.set(o, [f]);
  }
  const tallyCache = new Map<StatsFile, Map<string, boolean>>();
  const plan: ViewPlan = {
    shown,
    partsOf: (f) => parts.get(f) ?? NO_PARTS,
    labelSetsOf: (f) => sets.get(f) ?? NO_PARTS,
    labelledBy: (f) => setOwner.get(f),
    tallied: (f, name) => {
      const r = producerRole(f.identity);
      if (!r) return true;
      if (isCompanion(name)) return false;
      const ups = above.get(f);
      if (!ups) return true;
      let c = tallyCache.get(f);
      if (!c) {
        c = new Map();
        tallyCache.set(f, c);
      }
      let t = c.get(name);
      if (t === undefined) {
        t = !ups.some((a) => {
          const cov = coverageOf(a);
          // A merged file that does not say what it holds (a snapshot): by name, as the aggregate rule does.
          return cov ? cov.covers(name, r.path) : a.schema.descriptors.some((d) => d.name === name);
        });
        c.set(name, t);
      }
      return t;
    },
  };
  last = { files, plan };
  return plan;
}
