/**
 * `npm test` runs test files and only them (scripts/test.mjs): every `*.test.js` under
 * dist/test, never a helper, peer or fixture module (which `node --test dist/test/` used to run
 * as tests), and every module that declares tests is named `*.test.ts` so none is left out.
 * Files marked `@serial` run alone after the concurrent pass.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");
const DIST_TEST = join(ROOT, "dist/test");

interface Runner {
  testFiles(dir: string): string[];
  partition(files: readonly string[]): { concurrent: string[]; alone: string[] };
}
const runner = (await import(new URL("../../../scripts/test.mjs", import.meta.url).href)) as Runner;

function allJs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? allJs(join(dir, e.name)) : e.name.endsWith(".js") ? [join(dir, e.name)] : [],
  );
}

describe("the test runner", () => {
  const files = runner.testFiles(DIST_TEST);
  const rel = files.map((f) => relative(DIST_TEST, f));

  it("runs every *.test.js under dist/test, this file included", () => {
    assert.ok(rel.includes("ci/runner.test.js"));
    assert.ok(rel.every((f) => f.endsWith(".test.js")));
    assert.deepEqual(
      rel,
      allJs(DIST_TEST)
        .map((f) => relative(DIST_TEST, f))
        .filter((f) => f.endsWith(".test.js"))
        .sort(),
    );
  });

  it("leaves out helpers, peers and fixture children", () => {
    for (const helper of [
      "helpers.js",
      "skip.js",
      "qmp/qemu.js",
      "qmp/table.js",
      "host/peers.js",
      "host/fixtures/vm-child.js",
      "fs/fixtures/producer.js",
    ]) {
      assert.ok(!rel.includes(helper), helper);
    }
    assert.ok(allJs(DIST_TEST).length - files.length >= 20, "there are many non-test modules to leave out");
  });

  it("misses no test: every module that declares tests with node:test is a *.test.js", () => {
    const declaring = allJs(DIST_TEST).filter((f) => /from "node:test"/.test(readFileSync(f, "utf8")));
    assert.deepEqual(
      declaring.filter((f) => !f.endsWith(".test.js")).map((f) => relative(DIST_TEST, f)),
      [],
    );
  });

  it("runs a file marked @serial alone, the others concurrently", () => {
    const dir = mkdtempSync(join(tmpdir(), "statsfs-runner-"));
    try {
      writeFileSync(join(dir, "a.test.js"), "/**\n * @module a\n * @serial: reads the whole host's VM list\n */\n");
      writeFileSync(join(dir, "b.test.js"), "/** @module b */\n");
      writeFileSync(join(dir, "c.js"), "/** a helper */\n");
      const found = runner.testFiles(dir);
      assert.deepEqual(
        found.map((f) => relative(dir, f)),
        ["a.test.js", "b.test.js"],
      );
      const { concurrent, alone } = runner.partition(found);
      assert.deepEqual([concurrent.map((f) => relative(dir, f)), alone.map((f) => relative(dir, f))], [["b.test.js"], ["a.test.js"]]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("is what `npm test` runs (after an in-place build)", () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.test, "npm run -s build && node scripts/test.mjs");
    // The in-place compile first; the dashboard's bundle (scripts/build-web.mjs) and the CommonJS
    // bundle of statsfs/prom-client (scripts/build-cjs.mjs) after it.
    assert.match(
      pkg.scripts.build ?? "",
      /^node scripts\/build\.mjs( && node scripts\/build-web\.mjs)?( && node scripts\/build-cjs\.mjs)?$/,
    );
  });
});
