/**
 * The tree follows the pipeline: model ← codec ← qmp (wire protocol) ← providers ← producer ←
 * views ← cli. This test reads every import of src/ and fails on an import between top-level
 * folders that goes against that order, or on any cycle between folders.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { describe, it } from "node:test";

const SRC = join(import.meta.dirname, "../../../src");

/** Lower layers first; a folder may import only folders before it (and the leaves). */
const LAYERS = ["model", "codec", "check", "qmp", "fuse", "providers", "producer", "sample", "views", "cli"];
/** Leaves: imported by anyone, importing only each other and model. */
const LEAVES = new Set(["errors.ts", "sys"]);

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

function topOf(file: string): string | undefined {
  const parts = relative(SRC, file).split(sep);
  return parts.length > 1 ? parts[0] : parts[0] === "index.ts" ? undefined : parts[0];
}

/** Folder → folders it imports, with one example importing file each. */
export function folderGraph(): Map<string, Map<string, string>> {
  const graph = new Map<string, Map<string, string>>();
  const spec = /(?:import|export)\s[^;]*?from\s+["'](\.[^"']+)["']|import\(\s*["'](\.[^"']+)["']\s*\)/gs;
  for (const file of sources(SRC)) {
    const from = topOf(file);
    if (from === undefined) continue;
    for (const m of readFileSync(file, "utf8").matchAll(spec)) {
      const target = normalize(join(dirname(file), (m[1] ?? m[2] ?? "").replace(/\.js$/, ".ts")));
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
  it("point one way: model ← codec ← qmp ← providers ← producer ← views ← cli", () => {
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

  it("have no cycles", () => {
    const graph = folderGraph();
    const cycles: string[] = [];
    const visit = (node: string, path: string[]) => {
      for (const to of graph.get(node)?.keys() ?? []) {
        const at = path.indexOf(to);
        if (at >= 0) cycles.push([...path.slice(at), to].join(" -> "));
        else if (path.length < LAYERS.length + 2) visit(to, [...path, to]);
      }
    };
    for (const n of graph.keys()) visit(n, [n]);
    assert.deepEqual([...new Set(cycles)], []);
  });
});
