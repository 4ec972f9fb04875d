/**
 * The skip policy (test/skip) on machines with and without /dev/kvm. A missing peer skips
 * loudly, or fails where CI demands it (STATSFS_REQUIRE_*). Without /dev/kvm QEMU runs with
 * -accel tcg, so STATSFS_REQUIRE_QEMU=1 (set wherever QEMU is installed) no longer makes the
 * QEMU tests throw: checked for real in a mount namespace whose /dev lacks kvm (.ci/nokvm),
 * where a QEMU test file must pass as CI runs it.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { qemuAccel, qemuSkipReason } from "../qmp/qemu.js";
import { skipUnless } from "../skip.js";

const ROOT = join(import.meta.dirname, "../../..");
const NOKVM = join(ROOT, ".ci/nokvm");

/** Why .ci/nokvm cannot run here (it needs root for unshare -m), or false. */
function nokvmSkip(): string | false {
  if (process.getuid?.() !== 0) return "SKIPPED: .ci/nokvm needs root (unshare -m)";
  const r = spawnSync(NOKVM, ["true"], { stdio: "ignore" });
  return r.status === 0 ? false : "SKIPPED: .ci/nokvm cannot make a mount namespace here";
}

/** The environment CI gives the tests on a machine without /dev/kvm (QEMU installed). */
function ciEnvWithoutKvm(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, STATSFS_REQUIRE_QEMU: "1" };
  delete env.STATSFS_REQUIRE_KVM;
  delete env.STATSFS_REQUIRE_TRACE;
  delete env.NODE_TEST_CONTEXT; // a test file run from a test reports as a top-level run

  return env;
}

describe("the skip policy", () => {
  it("runs what is there, skips loudly what is missing, fails where CI requires it", () => {
    const said: string[] = [];
    const say = (line: string) => said.push(line);
    assert.equal(skipUnless("X", undefined, {}, say), undefined);
    assert.equal(skipUnless("X", "no x here", {}, say), "SKIPPED: no x here");
    assert.throws(
      () => skipUnless("X", "no x here", { STATSFS_REQUIRE_X: "1" }, say),
      /^Error: STATSFS_REQUIRE_X=1 but SKIPPED: no x here$/,
    );
    assert.equal(skipUnless("X", "no x here", { STATSFS_REQUIRE_Y: "1" }, say), "SKIPPED: no x here");
    assert.deepEqual(said, ["SKIPPED: no x here\n"], "said once, in one line");
  });

  it("QEMU gets -accel kvm where the KVM device exists, -accel tcg where it does not", () => {
    assert.equal(qemuAccel("/nonexistent/kvm"), "tcg");
    assert.equal(qemuAccel("/dev/null"), "kvm");
  });

  it("without /dev/kvm, with STATSFS_REQUIRE_QEMU=1, a QEMU test file runs against a TCG QEMU and passes", {
    skip: qemuSkipReason() ?? nokvmSkip(),
  }, () => {
    const probe = spawnSync(
      NOKVM,
      [
        process.execPath,
        "--input-type=module",
        "-e",
        `import { existsSync } from "node:fs";
         const q = await import(${JSON.stringify(join(ROOT, "dist/test/qmp/qemu.js"))});
         console.log(JSON.stringify({ kvm: existsSync("/dev/kvm"), accel: q.qemuAccel(), skip: q.qemuSkipReason() ?? null }));`,
      ],
      { encoding: "utf8", env: ciEnvWithoutKvm() },
    );
    assert.equal(probe.status, 0, probe.stderr);
    assert.deepEqual(JSON.parse(probe.stdout), { kvm: false, accel: "tcg", skip: null });
    const run = spawnSync(NOKVM, [process.execPath, "--test", join(ROOT, "dist/test/hardening/qemu-stall.test.js")], {
      encoding: "utf8",
      env: ciEnvWithoutKvm(),
    });
    assert.equal(run.status, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /# pass 1\n/);
    assert.match(run.stdout, /# skipped 0\n/);
  });

  it(".ci/nokvm hides /dev/kvm only inside its namespace", { skip: nokvmSkip() }, () => {
    const r = spawnSync(NOKVM, ["sh", "-c", "test ! -e /dev/kvm && test -e /dev/null && test -d /dev/shm"], { stdio: "ignore" });
    assert.equal(r.status, 0);
    assert.equal(existsSync("/dev/null"), true);
  });
});
