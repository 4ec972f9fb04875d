/**
 * @module scripts/build
 * `npm run build`: compiles the project into dist/ in place, never deleting dist/ first, so a
 * `statsfs` running from the same checkout keeps its modules (tests, benchmarks and the fuzzer
 * all build first). tsc runs incrementally (dist/.tsbuildinfo) and rewrites only what changed;
 * then outputs whose source is gone (a deleted or renamed .ts file) are removed with the
 * folders they leave empty, and if any
 * source lacks its output (someone deleted a file in dist/, which an incremental tsc does not
 * notice) tsc runs once more from scratch, still without removing anything first.
 *
 *   node scripts/build.mjs [PROJECT_DIR]     # default: the current directory
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Every file under `dir` (relative paths), skipping `skip` directory names. */
function walk(dir, skip = new Set(), base = dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (!skip.has(e.name)) walk(p, skip, base, out);
    } else out.push(relative(base, p));
  }
  return out;
}

/** The project's compile settings: output directory, root directory and included folders. */
export function projectLayout(project) {
  const config = JSON.parse(readFileSync(join(project, "tsconfig.json"), "utf8"));
  const o = config.compilerOptions ?? {};
  return {
    outDir: resolve(project, o.outDir ?? "dist"),
    rootDir: resolve(project, o.rootDir ?? "."),
    // The folder part of each include pattern ("src", "src/**/*.ts" → src).
    include: (config.include ?? ["."]).map((i) =>
      resolve(
        project,
        i
          .split("/")
          .filter((part) => !part.includes("*"))
          .join("/") || ".",
      ),
    ),
  };
}

/** The source (`x.ts`, relative to rootDir) an output file of dist/ comes from, or undefined. */
export function sourceOf(output) {
  // What tsc emits for one source file `x.ts` (longest suffix first).
  for (const ext of [".d.ts.map", ".d.ts", ".js.map", ".js"]) {
    if (output.endsWith(ext)) return `${output.slice(0, -ext.length)}.ts`;
  }
  return undefined;
}

/**
 * Outputs in outDir whose source no longer exists under rootDir (relative to outDir). Only
 * what tsc writes is considered: outputs that map into the folders tsconfig includes, so other
 * steps' files in dist/ (the dashboard bundle in dist/web) are left alone.
 */
export function orphans(layout) {
  return walk(layout.outDir).filter((f) => {
    const src = sourceOf(f);
    if (src === undefined) return false;
    const abs = join(layout.rootDir, src);
    const ours = layout.include.some((dir) => abs.startsWith(`${dir}/`));
    return ours && !existsSync(abs);
  });
}

/** Removes the directories under `dir` left empty (a moved or deleted source folder); true if `dir` is empty. */
export function removeEmptyDirs(dir, top = true) {
  let empty = true;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory() && removeEmptyDirs(join(dir, e.name), false)) continue;
    empty = false;
  }
  if (empty && !top) rmdirSync(dir);
  return empty;
}

/** Sources (relative to rootDir) whose .js output is missing. */
export function missingOutputs(layout) {
  const sources = layout.include.flatMap((dir) => walk(dir, new Set(["node_modules"])).map((f) => relative(layout.rootDir, join(dir, f))));
  return sources
    .filter((s) => s.endsWith(".ts") && !s.endsWith(".d.ts"))
    .filter((s) => !existsSync(join(layout.outDir, `${s.slice(0, -3)}.js`)));
}

function tsc(project) {
  const require = createRequire(join(project, "package.json"));
  let bin;
  try {
    bin = require.resolve("typescript/bin/tsc");
  } catch {
    bin = createRequire(import.meta.url).resolve("typescript/bin/tsc");
  }
  const r = spawnSync(
    process.execPath,
    [bin, "-p", join(project, "tsconfig.json"), "--incremental", "--tsBuildInfoFile", join(projectLayout(project).outDir, ".tsbuildinfo")],
    { stdio: "inherit" },
  );
  return r.status ?? 1;
}

/** Builds `project` in place; returns tsc's exit status. */
export function build(project = process.cwd()) {
  const layout = projectLayout(project);
  let status = tsc(project);
  if (status !== 0) return status;
  for (const f of orphans(layout)) rmSync(join(layout.outDir, f), { force: true });
  removeEmptyDirs(layout.outDir);
  if (missingOutputs(layout).length > 0) {
    rmSync(join(layout.outDir, ".tsbuildinfo"), { force: true });
    status = tsc(project);
  }
  return status;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = build(resolve(process.argv[2] ?? "."));
}
