/**
 * The build compiles in place (scripts/build.mjs): dist/ is never deleted, so a `statsfs`
 * running from the same checkout keeps working while tests, benchmarks or the fuzzer build;
 * outputs of deleted sources are removed (never another build step's files in dist/); an
 * output deleted by hand is written again.
 * Checked on a small project of its own in a temporary directory.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const BUILD = join(import.meta.dirname, "../../../scripts/build.mjs");

function build(project: string): void {
  const r = spawnSync(process.execPath, [BUILD, project], { encoding: "utf8" });
  assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
}

describe("the in-place build", () => {
  it("keeps dist/ and unchanged outputs, removes outputs of deleted sources, restores deleted outputs", () => {
    const p = mkdtempSync(join(tmpdir(), "statsfs-build-"));
    try {
      mkdirSync(join(p, "src/sub"), { recursive: true });
      writeFileSync(
        join(p, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "ES2022",
            module: "NodeNext",
            declaration: true,
            sourceMap: true,
            rootDir: ".",
            outDir: "dist",
            types: [],
          },
          include: ["src"],
        }),
      );
      writeFileSync(join(p, "src/a.ts"), "export const a: number = 1;\n");
      writeFileSync(join(p, "src/sub/b.ts"), 'import { a } from "../a.js";\nexport const b = a + 1;\n');
      build(p);
      const out = (f: string) => join(p, "dist/src", f);
      for (const f of ["a.js", "a.d.ts", "a.js.map", "sub/b.js", "sub/b.d.ts"]) assert.ok(existsSync(out(f)), f);
      const dist = statSync(join(p, "dist")).ino;
      // Another build step's output in dist/ (as the dashboard bundle in dist/web) is not tsc's to remove.
      mkdirSync(join(p, "dist/web"));
      writeFileSync(join(p, "dist/web/app.js"), "bundle\n");
      const a = statSync(out("a.js"));

      // A running copy's files stay: the next build changes only what changed.
      rmSync(join(p, "src/sub/b.ts"));
      writeFileSync(join(p, "src/c.ts"), "export const c = 3;\n");
      build(p);
      assert.equal(statSync(join(p, "dist")).ino, dist, "dist/ itself is never replaced");
      assert.equal(statSync(out("a.js")).ino, a.ino, "an unchanged output is the same file");
      assert.equal(statSync(out("a.js")).mtimeMs, a.mtimeMs, "and is not rewritten");
      for (const f of ["sub/b.js", "sub/b.d.ts", "sub/b.js.map", "sub/b.d.ts.map"])
        assert.ok(!existsSync(out(f)), `${f} of a deleted source is gone`);
      assert.ok(existsSync(out("c.js")));
      assert.ok(!existsSync(out("sub")), "and the folder it left empty");
      assert.ok(existsSync(join(p, "dist/web/app.js")), "another step's output stays");

      // An output deleted by hand (which incremental tsc does not notice) is written again.
      rmSync(out("a.js"));
      build(p);
      assert.ok(existsSync(out("a.js")));
      assert.ok(existsSync(out("c.js")));
    } finally {
      rmSync(p, { recursive: true, force: true });
    }
  });
});
