/**
 * The tree follows the pipeline: model ← codec ← check ← qmp ← fuse (transports) ← providers ←
 * producer ← sample ← views ← prom-client ← cli. This test reads every import of src/ and fails on an import
 * between top-level folders that goes against that order, on a cycle between folders at any
 * depth (sibling sub-folders such as views/http and views/openmetrics), and on a cycle between
 * files. Cycles count runtime imports only: `import type`, `export type` and imports whose names
 * are all `type` are erased by the compiler and load nothing.
 */
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { describe, it } from "node:test";

const SRC = join(import.meta.dirname, "../../../src");

/** Lower layers first; a folder may import only folders before it (and the leaves). */
const LAYERS = ["model", "codec", "check", "qmp", "fuse", "providers", "producer", "sample", "views", "prom-client", "cli"];
/** Leaves: imported by anyone, importing only each other and model. */
const LEAVES = new Set(["errors.ts", "closable.ts", "sys"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") && !e.name.endsWith(".d.ts") ? [join(dir, e.name)] : [],
  );
}

function topOf(file: string): string | undefined {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : parts[0] === "index.ts" ? undefined : parts[0];
}

/** One relative import of a file: the file it names and whether it loads it at run time. */
interface Import {
  readonly target: string;
  readonly runtime: boolean;
}

const SPEC = /(?:^|[;\n])\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/gs;

/** Every relative import of `file` (static, re-exports and dynamic `import()`). */
export function importsOf(file: string, text: string = readFileSync(file, "utf8")): Import[] {
  const out: Import[] = [];
  for (const m of text.matchAll(SPEC)) {
    const spec = m[4] ?? m[5] ?? "";
    const base = normalize(join(dirname(file), spec));
    const ts = base.replace(/\.js$/, ".ts");
    const target = existsSync(ts) ? ts : existsSync(join(base, "index.ts")) ? join(base, "index.ts") : ts;
    let runtime = m[2] === undefined;
    const names = (m[3] ?? "").trim();
    if (runtime && m[5] === undefined && names.startsWith("{")) {
      const list = names
        .slice(1, names.lastIndexOf("}"))
        .split(",")
        .map((n) => n.trim())
        .filter((n) => n !== "");
      if (list.length > 0 && list.every((n) => n.startsWith("type "))) runtime = false;
    }
    out.push({ target, runtime });
  }
  return out;
}

/** File → files it imports at run time. */
export function fileGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of sources(SRC)) {
    const rel = relative(SRC, file);
    const edges = new Set<string>();
    for (const i of importsOf(file)) if (i.runtime && i.target !== file) edges.add(relative(SRC, i.target));
    graph.set(rel, edges);
  }
  return graph;
}

/**
 * Folder → folders it imports at run time, at every depth: an import from a/b/x.ts to a/c/y.ts
 * is an edge a/b → a/c (the two children of their nearest common folder that hold them). A file
 * importing into its own folder's sub-folders, or out of them into its parent, is no edge.
 */
export function siblingGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const [from, tos] of fileGraph()) {
    const a = from.split("/");
    for (const to of tos) {
      const b = to.split("/");
      let k = 0;
      while (k < a.length - 1 && k < b.length - 1 && a[k] === b[k]) k++;
      if (k >= a.length - 1 || k >= b.length - 1) continue;
      const fa = a.slice(0, k + 1).join("/");
      const fb = b.slice(0, k + 1).join("/");
      let edges = graph.get(fa);
      if (!edges) {
        edges = new Set();
        graph.set(fa, edges);
      }
      edges.add(fb);
    }
  }
  return graph;
}

/** The strongly connected components of more than one node (Tarjan), each sorted. */
export function cyclesOf(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  let n = 0;
  const visit = (v: string) => {
    index.set(v, n);
    low.set(v, n);
    n++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      for (;;) {
        const w = stack.pop() as string;
        on.delete(w);
        scc.push(w);
        if (w === v) break;
      }
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return out;
}

/** Top-level folder → folders it imports (type imports too), with one example importing file each. */
export function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  for (const file of sources(SRC)) {
    const from = topOf(file);
    if (from === undefined) continue;
    for (const { target } of importsOf(file)) {
      const to = topOf(target);
      if (to === undefined || to === from) continue;
      let edges = graph.get(from);
      if (!edges) {
        edges = new Map();
        graph.set(from, edges);
      }
      if (!edges.has(to)) edges.set(to, relative(SRC, file));
    }
  }
  return graph;
}

describe("folder dependencies", () => {
  it("point one way: model ← codec ← check ← qmp ← fuse ← providers ← producer ← sample ← views ← prom-client ← cli", () => {
    const wrong: string[] = [];
    for (const [from, edges] of folderGraph()) {
      for (const [to, example] of edges) {
        if (LEAVES.has(to)) continue;
        const ok = LEAVES.has(from)
          ? to === "model" || LEAVES.has(to)
          : LAYERS.indexOf(to) >= 0 && LAYERS.indexOf(to) < LAYERS.indexOf(from);
        if (!ok) wrong.push(`${from} -> ${to} (${example})`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("have no cycles between folders at any depth (sub-folders included)", () => {
    assert.deepEqual(
      cyclesOf(siblingGraph()).map((c) => c.join(" <-> ")),
      [],
    );
  });

  it("have no cycles between files (runtime imports)", () => {
    assert.deepEqual(
      cyclesOf(fileGraph()).map((c) => c.join(" <-> ")),
      [],
    );
  });
});

describe("the cycle finder", () => {
  const g = (edges: Record<string, string[]>) => new Map(Object.entries(edges).map(([k, v]) => [k, new Set(v)]));

  it("finds a cycle through several nodes and ignores a chain", () => {
    assert.deepEqual(cyclesOf(g({ a: ["b"], b: ["c"], c: ["a"], d: ["a"] })), [["a", "b", "c"]]);
    assert.deepEqual(cyclesOf(g({ a: ["b"], b: ["c"], c: [] })), []);
  });

  it("reads type-only imports as no runtime edge", () => {
    const f = join(SRC, "producer/x.ts");
    const text = [
      'import type { Source } from "./source.js";',
      'import { type Handles, type ValueSet } from "./definition.js";',
      'export type { ExportOptions } from "./export/exporter.js";',
      'import { createSource, type Source as S } from "./source.js";',
      'export { helpOf } from "./notes.js";',
      'const m = await import("./labels.js");',
    ].join("\n");
    assert.deepEqual(
      importsOf(f, text).map((i) => `${relative(SRC, i.target)} ${i.runtime}`),
      [
        "producer/source.ts false",
        "producer/definition.ts false",
        "producer/export/exporter.ts false",
        "producer/source.ts true",
        "producer/notes.ts true",
        "producer/labels.ts true",
      ],
    );
  });
});
