/**
 * @module scripts/test
 * `npm test` after the build: runs the compiled test files, and only them (`*.test.js` under
 * dist/test; helpers, peers and fixture children are not tests), in two passes: every file
 * concurrently (each in its own process: they listen on port 0 and use their own temporary
 * directories, pids and names), then the files that must run alone one after another. A file
 * runs alone when its header says `@serial` with the reason (global state such as the whole
 * host's VM list, or timing that other load would distort).
 *
 *   node scripts/test.mjs [--concurrency N] [--list] [FILTER...]
 *
 * FILTERs keep the files whose path contains one of them (`npm test -- qmp/ fs/mount`).
 * The concurrency defaults to STATSFS_TEST_CONCURRENCY, else 4 (most of the suite waits on
 * peers: QEMU, Prometheus, FUSE, tmux). Exit status: 1 if either pass failed.
 */
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The marker that makes a test file run alone. */
export const SERIAL_MARK = /^\s*\*\s*@serial\b/m;

/** Every test file under `dir` (absolute paths, sorted): names ending in `.test.js`. */
export function testFiles(dir) {
  const out = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && e.name.endsWith(".test.js")) out.push(p);
    }
  };
  walk(dir);
  return out.sort();
}

/** Splits test files into those that may run concurrently and those that must run alone. */
export function partition(files) {
  const concurrent = [];
  const alone = [];
  for (const f of files) {
    const head = readFileSync(f, "utf8").slice(0, 4096);
    (SERIAL_MARK.test(head) ? alone : concurrent).push(f);
  }
  return { concurrent, alone };
}

function parseArgs(argv) {
  let concurrency = Number(process.env.STATSFS_TEST_CONCURRENCY ?? 4);
  let list = false;
  const filters = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--concurrency") concurrency = Number(argv[++i]);
    else if (a === "--list") list = true;
    else filters.push(a);
  }
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    console.error("scripts/test: --concurrency takes a positive integer");
    process.exit(2);
  }
  return { concurrency, list, filters };
}

function runPass(files, concurrency) {
  if (files.length === 0) return 0;
  const r = spawnSync(process.execPath, ["--test", `--test-concurrency=${concurrency}`, ...files], { stdio: "inherit" });
  return r.status ?? 1;
}

function main() {
  const { concurrency, list, filters } = parseArgs(process.argv.slice(2));
  const root = resolve(fileURLToPath(new URL("..", import.meta.url)));
  const dir = join(root, "dist", "test");
  const files = testFiles(dir).filter((f) => filters.length === 0 || filters.some((x) => relative(root, f).includes(x)));
  if (files.length === 0) {
    console.error(`scripts/test: no test file under ${relative(root, dir)} matches ${filters.join(" ")}`);
    return 2;
  }
  const { concurrent, alone } = partition(files);
  if (list) {
    for (const f of concurrent) console.log(relative(root, f));
    for (const f of alone) console.log(`${relative(root, f)} (alone)`);
    return 0;
  }
  const started = Date.now();
  const a = runPass(concurrent, concurrency);
  const b = runPass(alone, 1);
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  console.error(
    `scripts/test: ${concurrent.length} files concurrently (${concurrency} at a time), ${alone.length} alone: ${a || b ? "FAILED" : "ok"} in ${secs} s`,
  );
  return a || b ? 1 : 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
