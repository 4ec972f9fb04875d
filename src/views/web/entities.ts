/**
 * @module views/web/entities
 * What the dashboard shows of one sample: its files grouped into *entities* — a VM (its VM-wide
 * file and its vCPUs), a producer source (its file tree), another origin — and each entity into
 * *parts* whose files are summed (a VM's vCPUs) or shown one by one (a producer's label sets).
 * Sums, changes and totals come from top's event groups (views/top/events) over the sampler's
 * samples, so the dashboard and `top` agree; histogram bucket changes are added here.
 */
import { amountText } from "../../model/amount.js";
import { kernelFields, type StatDescriptor } from "../../model/descriptor.js";
import { isHistogram } from "../../model/flags.js";
import type { StatsIdentity } from "../../model/identity.js";
import { decodeLabelSet } from "../../model/label-set.js";
import type { SampledFile } from "../../sample/sampler.js";
import { type EventGroup, eventGroup, eventKind } from "../top/events.js";
import { statNamed } from "../top/groups.js";
import { wide } from "./format.js";
import { type PartMeta, type PartValues, PER_VCPU_STATS, type PerFile, type StatMeta, VM_FLEET_STATS } from "./protocol.js";

/** Labels that say how or where a file is read, not whose it is. */
const NOT_OWNER = new Set(["vcpu", "instance", "shard", "qom_path", "route", "vmm", "provider", "target", "source"]);

/** The entity a file belongs to, and its kind. */
export function entityOf(identity: StatsIdentity): { key: string; kind: "vm" | "producer" | "other" } {
  const { provider, labels } = identity;
  const owner = Object.entries(labels)
    .filter(([k]) => !NOT_OWNER.has(k))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`);
  if (provider === "kvm") return { key: ["kvm", ...owner].join("\u001f"), kind: "vm" };
  const source = labels.source;
  if (source !== undefined) {
    const root = `/${source.split("/")[1] ?? ""}`;
    return { key: [provider, `source=${root}`, ...owner].join("\u001f"), kind: "producer" };
  }
  const first = identity.id.split("/")[0] ?? identity.id;
  return { key: [provider, first, ...owner].join("\u001f"), kind: "other" };
}

const keys = new WeakMap<StatsIdentity, { key: string; kind: "vm" | "producer" | "other" }>();

function cachedEntityOf(identity: StatsIdentity) {
  let k = keys.get(identity);
  if (!k) {
    k = entityOf(identity);
    keys.set(identity, k);
  }
  return k;
}

/** A statistic's meta for the page. */
export function statMeta(partId: string, d: StatDescriptor): StatMeta {
  return {
    id: `${partId}:${d.name}`,
    name: d.name,
    kind: isHistogram(d.type) ? "hist" : eventKind(d),
    ...kernelFields(d),
  };
}

/** One part of an entity at one sample. */
export interface LivePart {
  readonly meta: PartMeta;
  readonly values: PartValues;
  readonly group: EventGroup;
}

/** One entity at one sample. */
export interface LiveEntity {
  readonly key: string;
  readonly kind: "vm" | "producer" | "other";
  readonly files: readonly SampledFile[];
  readonly parts: readonly LivePart[];
  /** The part its fleet row shows and which of its stats (indexes into that part's stats). */
  readonly fleetPart: LivePart | undefined;
  readonly fleetStats: readonly number[];
  readonly perFile: PerFile | undefined;
}

/** A producer file's label: its path under the root, label sets decoded. */
function producerPart(identity: StatsIdentity): { label: string; labels: Record<string, string> } {
  const path = identity.labels.source ?? identity.path ?? identity.id;
  const segs = path.split("/").filter((s) => s !== "");
  const labels: Record<string, string> = {};
  const names: string[] = [];
  for (const seg of segs) {
    const set = decodeLabelSet(seg);
    if (set) Object.assign(labels, set);
    else names.push(seg);
  }
  const inst = identity.labels.instance;
  if (inst !== undefined) labels.instance = inst;
  const setText = Object.entries(labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(", ");
  return { label: `${names.join("/")}${setText ? ` {${setText}}` : ""}`, labels };
}

function partValues(id: string, g: EventGroup, files: readonly SampledFile[]): { meta: PartMeta; values: PartValues } {
  const stats = g.rows.map((r) => statMeta(id, r.stat));
  const d = g.rows.map((r) => (r.kind === "gauge" ? wide(r.total) : r.delta === undefined ? null : wide(r.delta)));
  const t = g.rows.map((r) => amountText(r.total));
  const h: Record<string, { d: number[] | null; t: string[] }> = {};
  for (const [i, r] of g.rows.entries()) {
    if (!r.buckets) continue;
    let bd: number[] | null = null;
    for (const f of files) {
      const dd = statNamed(f.file.schema.descriptors, r.name);
      if (!dd || dd.size !== r.buckets.length || !f.prev) continue;
      bd ??= new Array<number>(dd.size).fill(0);
      const i0 = dd.offset >>> 3;
      for (let b = 0; b < dd.size; b++) {
        const now = f.data[i0 + b] ?? 0n;
        const before = f.prev[i0 + b] ?? 0n;
        bd[b] = (bd[b] ?? 0) + Number(now >= before ? now - before : now);
      }
    }
    const sm = stats[i];
    if (sm) h[sm.id] = { d: bd, t: r.buckets.map((x) => x.toString()) };
  }
  return { meta: { id, label: "", labels: {}, files: files.length, stats }, values: { id, d, t, h } };
}

function makePart(id: string, label: string, labels: Record<string, string>, files: readonly SampledFile[], seconds: number): LivePart {
  const group = eventGroup(id, files, seconds);
  const { meta, values } = partValues(id, group, files);
  return { meta: { ...meta, label, labels }, values, group };
}

/** Per-vCPU changes of the heatmap's statistics. */
function perFileOf(vcpus: readonly SampledFile[]): PerFile {
  const rows = vcpus.map((f) => f.file.identity.labels.vcpu ?? f.file.identity.id);
  const d: Record<string, (number | null)[]> = {};
  for (const name of PER_VCPU_STATS) {
    if (!vcpus.some((f) => statNamed(f.file.schema.descriptors, name))) continue;
    d[name] = vcpus.map((f) => {
      const dd = statNamed(f.file.schema.descriptors, name);
      if (!dd || !f.prev) return null;
      const i = dd.offset >>> 3;
      const now = f.data[i] ?? 0n;
      const before = f.prev[i] ?? 0n;
      return Number(now >= before ? now - before : now);
    });
  }
  return { rows, d };
}

function vcpuNumber(f: SampledFile): number {
  const v = f.file.identity.labels.vcpu;
  return v === undefined ? Number.MAX_SAFE_INTEGER : Number(v);
}

/** Groups a sample's files into entities, in the order they first appear. */
export function liveEntities(files: readonly SampledFile[], seconds: number): Map<string, LiveEntity> {
  const by = new Map<string, { kind: "vm" | "producer" | "other"; files: SampledFile[] }>();
  for (const f of files) {
    const { key, kind } = cachedEntityOf(f.file.identity);
    const e = by.get(key);
    if (e) e.files.push(f);
    else by.set(key, { kind, files: [f] });
  }
  const out = new Map<string, LiveEntity>();
  for (const [key, { kind, files: fs }] of by) {
    const parts: LivePart[] = [];
    let fleetPart: LivePart | undefined;
    let fleetStats: number[] = [];
    let perFile: PerFile | undefined;
    if (kind === "vm") {
      const vm = fs.filter((f) => f.file.identity.labels.vcpu === undefined);
      const vcpus = fs.filter((f) => f.file.identity.labels.vcpu !== undefined).sort((a, b) => vcpuNumber(a) - vcpuNumber(b));
      if (vcpus.length > 0) {
        const p = makePart("vcpu", `${vcpus.length} vCPU${vcpus.length === 1 ? "" : "s"} (summed)`, {}, vcpus, seconds);
        parts.push(p);
        fleetPart = p;
        fleetStats = VM_FLEET_STATS.map((n) => p.meta.stats.findIndex((s) => s.name === n)).filter((i) => i >= 0);
        perFile = perFileOf(vcpus);
      }
      if (vm.length > 0) parts.push(makePart("vm", "VM-wide", {}, vm, seconds));
    } else {
      for (const f of fs) {
        const { label, labels } = kind === "producer" ? producerPart(f.file.identity) : { label: f.file.identity.id, labels: {} };
        parts.push(makePart(f.file.identity.id, label, labels, [f], seconds));
      }
      // The fleet row shows the root file (a producer's merged file aggregates its tree).
      fleetPart =
        parts.find((_p, i) => {
          const id = fs[i]?.file.identity;
          return id !== undefined && id.labels.instance === undefined && (id.labels.source ?? "").split("/").length <= 2;
        }) ?? parts[0];
      fleetStats = (fleetPart?.meta.stats ?? []).map((_, i) => i).slice(0, 12);
    }
    out.set(key, { key, kind, files: fs, parts, fleetPart, fleetStats, perFile });
  }
  return out;
}
