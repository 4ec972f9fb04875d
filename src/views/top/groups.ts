/**
 * @module views/top/groups
 * How `top` and `log` group a sample's files — by provider, target, which labels they have and
 * their owner's labels (a VM's pid, a producer's source), so that a merged producer file is
 * never summed with the per-process files behind it — and how each statistic is found by name
 * in each file's own schema, never at another file's offsets.
 */

import type { StatDescriptor } from "../../model/descriptor.js";
import type { SampledFile } from "../../sample/sampler.js";

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
