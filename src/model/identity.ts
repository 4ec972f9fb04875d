/**
 * @module model/identity
 * Who a stats file's values belong to: its id string, provider, target, optional object path,
 * and ordered **labels** filled once by its provider. This is the one place that formats and
 * parses id strings; views read labels, never ids.
 *
 * Id grammar (the kernel's `kvm-<pid>/vcpu-<n>` convention, extended):
 *
 *   kvm-<pid>                            provider kvm, target vm        labels pid
 *   kvm-<pid>/vcpu-<n>                   provider kvm, target vcpu      labels pid, vcpu
 *   statsfs-<instance>[~<k>]/<a>/<b>…    one producer process's file    labels instance, shard, source
 *   statsfs/<a>/<b>…                     a producer source, all processes merged   label source
 *   <provider>[-<x>][/…/<target>[-<i>]]  anything else: provider before the first `-`, `/` or
 *                                        `:`, target the last segment without `-<i>` (vm if none)
 *
 * Standard label names: provider, target, guest, uuid, pid, vcpu, qom_path, instance, shard,
 * source (a producer source path such as `/http/route-1`), route, vmm, member. Values are strings.
 */

import { decodeLabelSet } from "./label-set.js";

/** Ordered label names and string values (insertion order is the display order). */
export type Labels = Readonly<Record<string, string>>;

/** Who the statistics belong to. */
export interface StatsIdentity {
  /** The stats file's id string, e.g. "kvm-1234/vcpu-0" (what the binary layout stores). */
  readonly id: string;
  /** The provider, as in QEMU's query-stats (`kvm`, or our own such as `statsfs`). */
  readonly provider: string;
  /** The target kind, as in QEMU's query-stats (`vm`, `vcpu`, or a target a source defines). */
  readonly target: string;
  /** The object's path where one exists (QEMU's qom-path, or a producer source's path). */
  readonly path?: string;
  /** Labels, always including `provider` and `target`, in {@link LABEL_ORDER} order first. */
  readonly labels: Labels;
}

/** The order standard labels are kept and shown in; other labels follow in insertion order. */
export const LABEL_ORDER: readonly string[] = [
  "provider",
  "target",
  "guest",
  "uuid",
  "pid",
  "vcpu",
  "qom_path",
  "instance",
  "shard",
  "source",
  "route",
  "vmm",
  "member",
];

/** Labels in canonical order; undefined values are dropped. */
export function orderLabels(labels: Readonly<Record<string, string | undefined>>): Labels {
  const out: Record<string, string> = {};
  for (const k of LABEL_ORDER) {
    const v = labels[k];
    if (v !== undefined) out[k] = v;
  }
  for (const [k, v] of Object.entries(labels)) if (v !== undefined && !(k in out)) out[k] = v;
  return out;
}

/** Builds an identity; `provider` and `target` labels are set from the fields. */
export function makeIdentity(
  id: string,
  provider: string,
  target: string,
  labels: Readonly<Record<string, string | undefined>> = {},
  path?: string,
): StatsIdentity {
  const l = orderLabels({ ...labels, provider, target });
  return path === undefined ? { id, provider, target, labels: l } : { id, provider, target, path, labels: l };
}

/** The identity with more labels (later ones win), in canonical order. */
export function withLabels(identity: StatsIdentity, extra: Readonly<Record<string, string | undefined>>): StatsIdentity {
  return { ...identity, labels: orderLabels({ ...identity.labels, ...extra, provider: identity.provider, target: identity.target }) };
}

/** The id of a KVM VM's stats file. */
export function kvmVmId(pid: number | string): string {
  return `kvm-${pid}`;
}

/** The id of a KVM vCPU's stats file. */
export function kvmVcpuId(pid: number | string, vcpu: number): string {
  return `kvm-${pid}/vcpu-${vcpu}`;
}

/** The id of one producer process's exported file for the source at `path` (root first). */
export function producerFileId(instance: string, shard: number, path: readonly string[]): string {
  return `statsfs-${shard === 0 ? instance : `${instance}~${shard}`}/${path.join("/")}`;
}

/** The id of a producer source with every process merged: `statsfs/<root>/<sub>…`. */
export function producerMergedId(path: readonly string[]): string {
  return `statsfs/${path.join("/")}`;
}

const KVM_VM = /^kvm-(\d+)$/;
const KVM_VCPU = /^kvm-(\d+)\/vcpu-(\d+)$/;
const PRODUCER_FILE = /^statsfs-([^/~]+)(?:~(\d+))?(\/.+)$/;
const PRODUCER_MERGED = /^statsfs(\/.+)$/;

/**
 * The target a path's last segment names: `route-1` → route (vm for an empty segment). A
 * label-set segment (`{k=v}`, model/label-set) names no target: the labelled source's does.
 */
function targetOf(path: string): string {
  let end = path.length;
  for (let i = path.lastIndexOf("/"); i > 0 && decodeLabelSet(path.slice(i + 1, end)) !== undefined; i = path.lastIndexOf("/", i - 1))
    end = i;
  const p = path.slice(0, end);
  return p.slice(p.lastIndexOf("/") + 1).replace(/-\d+$/, "") || "vm";
}

/** Identity (with labels) from an id string, by the grammar above. */
export function parseId(id: string): StatsIdentity {
  let m = KVM_VM.exec(id);
  if (m) return makeIdentity(id, "kvm", "vm", { pid: m[1] });
  m = KVM_VCPU.exec(id);
  if (m) return makeIdentity(id, "kvm", "vcpu", { pid: m[1], vcpu: m[2] });
  m = PRODUCER_FILE.exec(id);
  if (m) {
    const path = m[3] as string;
    return makeIdentity(id, "statsfs", targetOf(path), { instance: m[1], shard: m[2], source: path }, path);
  }
  m = PRODUCER_MERGED.exec(id);
  if (m) {
    const path = m[1] as string;
    return makeIdentity(id, "statsfs", targetOf(path), { source: path }, path);
  }
  const provider = /^[^-/:]+/.exec(id)?.[0] ?? id;
  const slash = id.indexOf("/");
  if (slash < 0) return makeIdentity(id, provider, "vm");
  const path = id.slice(slash);
  return makeIdentity(id, provider, targetOf(path), {}, path);
}

/** The vCPU index label as a number, or undefined. */
export function vcpuOf(identity: StatsIdentity): number | undefined {
  const v = identity.labels.vcpu;
  return v === undefined ? undefined : Number(v);
}

/** Keys already computed, by identity object. */
const keys = new WeakMap<StatsIdentity, string>();

/**
 * A stable key for a stats file across polls: the same VM, vCPU or producer file keeps its key
 * whatever else comes and goes, so state kept per file (previous values, rates) survives.
 */
export function identityKey(identity: StatsIdentity): string {
  // Identities are immutable and files keep theirs across polls: compute each key once.
  let key = keys.get(identity);
  if (key === undefined) {
    const parts = [identity.id];
    for (const [k, v] of Object.entries(identity.labels)) if (k !== "provider" && k !== "target") parts.push(`${k}=${v}`);
    key = parts.join("\0");
    keys.set(identity, key);
  }
  return key;
}
