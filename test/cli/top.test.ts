/**
 * The main job, `statsfs top`: its batch output, SIGINT on a running demo VM, and the terminal.
 * @serial: "exits promptly" is timed; in the concurrent pass on two loaded cores it took 13 s.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { GOLDEN } from "../codec/golden.test.js";
import { kvmSkipReason } from "../helpers.js";

const MAIN = join(import.meta.dirname, "../../src/cli/main.js");
const dir = mkdtempSync(join(tmpdir(), "statsfs-top-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs statsfs as a child process; resolves with exit code and output. */
function run(
  args: string[],
  env: Record<string, string> = {},
  opts: { stdio?: (number | "pipe" | "ignore")[]; killAfterFirstOutput?: NodeJS.Signals } = {},
) {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: { ...process.env, ...env },
    stdio: opts.stdio ?? ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (d) => {
    out += d;
    if (opts.killAfterFirstOutput && out.includes("\n\n")) child.kill(opts.killAfterFirstOutput);
  });
  child.stderr?.on("data", (d) => (err += d));
  return new Promise<{ code: number | null; out: string; err: string; ms: number }>((resolve) => {
    const t0 = performance.now();
    child.on("close", (code) => resolve({ code, out, err, ms: performance.now() - t0 }));
  });
}

describe("the main job: statsfs top", () => {
  it("without /dev/kvm says so in one line and shows the simulated VM", async () => {
    const r = await run(["top", "--count", "2", "--interval", "100"], { STATSFS_KVM_DEVICE: "/nonexistent/kvm" });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err.trimEnd().split("\n").length, 1);
    assert.match(r.err, /^statsfs: \/nonexistent\/kvm: .*showing the built-in simulated VM \(sim:\) instead\n$/);
    assert.match(r.out, /^kvm statistics - summary$/m);
    assert.match(r.out, /^ kvm {2}vcpu {2}pid 0 {2}2 vCPUs$/m);
  });

  it("prints plain frames without a TTY (no escape sequences), with rates from the second frame", async () => {
    const r = await run(["top", "sim:", "--count", "2", "--interval", "100"]);
    assert.equal(r.code, 0);
    assert.ok(!r.out.includes("\u001b["), "no escape sequences");
    const frames = r.out.split(/^kvm statistics/m).filter(Boolean);
    assert.equal(frames.length, 2);
    assert.match(frames[1] ?? "", /^ exits\s+\d+\s+\d+\.\d\s+\d+$/m);
  });

  it("SIGINT on a running demo VM exits 0 promptly and releases the VM", { skip: kvmSkipReason() }, async () => {
    const r = await run(["top", "kvm:demo", "--interval", "100"], {}, { killAfterFirstOutput: "SIGINT" });
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  });
});

describe("fd:N", () => {
  it("reads a stats fd inherited from the parent", async () => {
    const path = join(dir, "g.stats");
    writeFileSync(path, GOLDEN);
    const fd = openSync(path, "r");
    try {
      const r = await run(["read", "fd:3", "--json"], {}, { stdio: ["ignore", "pipe", "pipe", fd] });
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /"value": \[1, 18446744073709551615\]/);
    } finally {
      closeSync(fd);
    }
  });
});

describe("top on a terminal (tmux)", () => {
  let tmux = true;
  try {
    execFileSync("tmux", ["-V"]);
  } catch {
    tmux = false;
  }
  it("draws in place on the alternate screen, quits on q and restores the terminal", {
    skip: tmux ? false : "SKIPPED: tmux is not installed",
  }, async () => {
    const session = `statsfs-test-${process.pid}`;
    const tm = (...a: string[]) => execFileSync("tmux", ["-L", session, ...a], { encoding: "utf8" });
    tm(
      "new-session",
      "-d",
      "-s",
      session,
      "-x",
      "120",
      "-y",
      "40",
      `printf 'before\\n'; ${process.execPath} ${MAIN} top sim: --interval 100; echo "exit=$?"; sleep 30`,
    );
    try {
      let screen = "";
      for (let i = 0; i < 50 && !screen.includes("vCPUs"); i++) {
        await sleep(100);
        screen = tm("capture-pane", "-p", "-t", session);
      }
      assert.match(screen, /^kvm statistics - summary/);
      assert.doesNotMatch(screen, /before/, "alternate screen hides the shell's output");
      tm("send-keys", "-t", session, "q");
      for (let i = 0; i < 50 && !screen.includes("exit="); i++) {
        await sleep(100);
        screen = tm("capture-pane", "-p", "-t", session);
      }
      assert.match(screen, /before\n(.*\n)*exit=0/, "the normal screen is back and top exited 0");
      assert.doesNotMatch(screen, /kvm statistics/);
    } finally {
      tm("kill-server");
    }
  });
});
