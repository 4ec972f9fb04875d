/**
 * @module views/fs/tree
 * The filesystem's tree, built from stats files by their identity labels (never their ids'
 * text), like KVM's debugfs:
 *
 *   /kvm/<guest or pid>/            a VM: its own statistics, and the aggregates of its vCPUs'
 *   /kvm/<guest or pid>/vcpu-N/     a vCPU's statistics
 *   /kvm/<pid> -> <guest>           the pid finds a VM named by its guest
 *   /statsfs/<source>/<sub>/…       a producer source by its path (its file already holds the
 *                                   aggregates its values declare); `@<instance>` inside it for
 *                                   one process's own file
 *   /<provider>/<id segments>/      anything else
 *   /<provider>/member-<i>/…        the same, for union member i where members' files collide
 *
 * Each directory with statistics also holds `.schema` (query-stats-schemas JSON) and `.stats`
 * (its stats file in the kernel's binary layout: the directory's own file where it has one,
 * else its aggregates). Parents other than producer sources aggregate every file below them
 * (a VM over its vCPUs, the provider directory over all VMs and vCPUs); a name a directory
 * already has (its own statistic, a sub-directory) is not repeated as an aggregate.
 */
import { encodeFileName } from "../../model/file-name.js";
import { idSegments, producerRole } from "../../sample/producer.js";
import { DirAggregate } from "./aggregate.js";
import { type Resetter, resetterOf } from "./reset.js";
import type { FileRef } from "./sources.js";

/** What a regular file serves. */
export type Content =
  | { readonly kind: "value"; readonly ref: FileRef; readonly index: number }
  | { readonly kind: "aggregate"; readonly agg: DirAggregate; readonly index: number }
  | { readonly kind: "schema"; readonly dir: DirNode }
  | { readonly kind: "stats"; readonly dir: DirNode };

export interface DirNode {
  readonly kind: "dir";
  readonly path: string;
  readonly name: string;
  readonly children: Map<string, TreeNode>;
  own: FileRef | undefined;
  agg: DirAggregate | undefined;
  /** Provider of the files below (aggregation applies to all but producer sources). */
  provider: string | undefined;
}

export interface FileNode {
  readonly kind: "file";
  readonly path: string;
  readonly name: string;
  readonly content: Content;
  /** Writing 0 resets the statistic (every value behind an aggregate). */
  readonly reset: Resetter | undefined;
}

export interface LinkNode {
  readonly kind: "link";
  readonly path: string;
  readonly name: string;
  readonly target: string;
}

export type TreeNode = DirNode | FileNode | LinkNode;

/** The special files of a directory. */
export const SCHEMA_FILE = ".schema";
export const STATS_FILE = ".stats";

/** A name safe as one path component (model/file-name: no `/` or NUL, not `.`/`..`, not hidden; reversible). */
export function safeName(s: string): string {
  return encodeFileName(s);
}

/**
 * Where a file goes: its directory's components from the root. In a union whose members'
 * files would be confused (label `member`), each member's files stay together under
 * `member-<i>` below the provider (`/kvm/member-1/7/vcpu-0`), as the union's own paths do.
 */
export function placeOf(ref: FileRef): string[] {
  const out = placeInMember(ref);
  const m = ref.file.identity.labels.member;
  return m === undefined ? out : [out[0] as string, safeName(`member-${m}`), ...out.slice(1)];
}

function placeInMember(ref: FileRef): string[] {
  const { identity } = ref.file;
  const l = identity.labels;
  if (identity.provider === "kvm" && (identity.target === "vm" || identity.target === "vcpu")) {
    const first = identity.id.split("/")[0] ?? identity.id;
    const vm = l.guest ?? l.pid ?? first;
    const out = ["kvm", vm];
    if (identity.target === "vcpu") out.push(`vcpu-${l.vcpu ?? identity.id.split("/")[1] ?? "?"}`);
    return out.map(safeName);
  }
  if (producerRole(identity)) {
    // Label sets as humans read them: {method="GET",route="%2Fusers%2F:id"} (only `/` escaped).
    const out = ["statsfs", ...idSegments(identity).slice(1)];
    if (l.instance !== undefined) out.push(`@${l.instance}${l.shard !== undefined ? `~${l.shard}` : ""}`);
    return out.map(safeName);
  }
  return [identity.provider, ...identity.id.split("/").filter((s) => s !== "")].map(safeName);
}

/** The tree at one moment. */
export class Tree {
  readonly root: DirNode;
  readonly byPath = new Map<string, TreeNode>();
  /** Files in the tree. */
  count = 0;

  constructor(refs: readonly FileRef[]) {
    this.root = this.#dir("", "");
    const links: { at: DirNode; name: string; target: string }[] = [];
    for (const ref of refs) {
      const parts = placeOf(ref);
      let dir = this.root;
      for (const [i, p] of parts.entries()) {
        const last = i === parts.length - 1;
        let name = p;
        let child = dir.children.get(name);
        // A second file for the same place gets `~2`, `~3`, … on its last component.
        for (let k = 2; last && child?.kind === "dir" && child.own !== undefined; k++) {
          name = `${p}~${k}`;
          child = dir.children.get(name);
        }
        if (child === undefined || child.kind !== "dir") {
          child = this.#dir(`${dir.path}/${name}`, name);
          dir.children.set(name, child);
        }
        dir = child;
        dir.provider ??= ref.file.identity.provider;
      }
      dir.own = ref;
      const l = ref.file.identity.labels;
      if (ref.file.identity.provider === "kvm" && ref.file.identity.target === "vm" && l.guest !== undefined && l.pid !== undefined) {
        const parent = this.byPath.get(dir.path.slice(0, dir.path.lastIndexOf("/"))) as DirNode | undefined;
        if (parent) links.push({ at: parent, name: safeName(l.pid), target: dir.name });
      }
    }
    for (const k of links) {
      if (!k.at.children.has(k.name)) {
        const link: LinkNode = { kind: "link", path: `${k.at.path}/${k.name}`, name: k.name, target: k.target };
        k.at.children.set(k.name, link);
        this.byPath.set(link.path, link);
      }
    }
    this.#fill(this.root);
  }

  #dir(path: string, name: string): DirNode {
    const d: DirNode = { kind: "dir", path, name, children: new Map(), own: undefined, agg: undefined, provider: undefined };
    this.byPath.set(path, d);
    return d;
  }

  #file(dir: DirNode, name: string, content: Content, reset: Resetter | undefined): void {
    if (dir.children.has(name)) return;
    const f: FileNode = { kind: "file", path: `${dir.path}/${name}`, name, content, reset };
    dir.children.set(name, f);
    this.byPath.set(f.path, f);
    this.count++;
  }

  /** Adds statistic files, aggregates and special files, children first; returns the refs below. */
  #fill(dir: DirNode): FileRef[] {
    const below: FileRef[] = [];
    for (const c of [...dir.children.values()]) if (c.kind === "dir") below.push(...this.#fill(c));
    const own = dir.own;
    if (own) {
      const { file, owner } = own;
      for (const [index, d] of file.schema.descriptors.entries()) {
        this.#file(dir, safeName(d.name), { kind: "value", ref: own, index }, resetterOf(owner.source, file, index));
      }
    }
    if (dir !== this.root && dir.provider !== "statsfs" && below.length > 0) {
      const taken = new Set(dir.children.keys());
      const agg = DirAggregate.over(dir.path.slice(1), below, taken);
      if (agg) {
        dir.agg = agg;
        for (const [index] of agg.schema.descriptors.entries()) {
          this.#file(
            dir,
            safeName(agg.schema.descriptors[index]?.name ?? ""),
            { kind: "aggregate", agg, index },
            aggregateResetter(agg, index),
          );
        }
      }
    }
    if (own || dir.agg) {
      this.#file(dir, SCHEMA_FILE, { kind: "schema", dir }, undefined);
      this.#file(dir, STATS_FILE, { kind: "stats", dir }, undefined);
    }
    if (own) below.push(own);
    return below;
  }
}

/** Resets every value behind an aggregate, if every one of them can be reset. */
function aggregateResetter(agg: DirAggregate, index: number): Resetter | undefined {
  const rs: Resetter[] = [];
  for (const h of agg.holders[index] ?? []) {
    const r = resetterOf(h.ref.owner.source, h.ref.file, h.index);
    if (!r) return undefined;
    rs.push(r);
  }
  if (rs.length === 0) return undefined;
  return () => {
    for (const r of rs) r();
  };
}
