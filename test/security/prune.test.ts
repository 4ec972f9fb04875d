/**
 * Issue 16, items 1 and 4: root's `prune` in an export directory another user can write. The
 * attacker (uid 65534) swaps names in a loop with renameat2(RENAME_EXCHANGE) while root prunes
 * again and again: a directory with a symbolic link to a victim directory outside the export
 * directory (item 1: nothing outside may be deleted), and a live export file with a FIFO
 * (item 4: prune must never block).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { pruneExports } from "../../src/providers/shm/prune.js";
import { GOLDEN } from "../codec/golden.test.js";
import { cli } from "../helpers.js";
import { attackSkip, NOBODY, startAttacker } from "./attacker.js";

const skip = attackSkip();
const base = mkdtempSync(join(tmpdir(), "statsfs-prune-attack-"));
chmodSync(base, 0o755);
after(() => rmSync(base, { recursive: true, force: true }));

/** An export directory (root's) whose tree `app` belongs to the attacker. */
function exportDir(name: string): { dir: string; app: string } {
  const dir = join(base, name);
  mkdirSync(dir, { mode: 0o755 });
  const app = join(dir, "app");
  mkdirSync(app);
  chownSync(app, NOBODY, NOBODY);
  return { dir, app };
}

describe("prune never leaves its export directory", { skip }, () => {
  it("a directory swapped with a link to a victim directory: nothing of the victim is deleted (200 prunes, 3 s at least)", async () => {
    const { dir, app } = exportDir("swap-dir");
    // The victim: a root directory outside the export directory, with an unlocked *.stats
    // file, one in a sub-directory and empty directories.
    const victim = join(base, "victim");
    mkdirSync(join(victim, "sub"), { recursive: true });
    writeFileSync(join(victim, "db.stats"), GOLDEN);
    writeFileSync(join(victim, "sub", "backup.stats"), GOLDEN);
    for (let i = 0; i < 7; i++) mkdirSync(join(victim, `empty${i}`));
    const before = execFileSync("find", [victim], { encoding: "utf8" });
    // The attacker's two names: a directory (kept non-empty) and a link to the victim.
    execFileSync("setpriv", [
      `--reuid=${NOBODY}`,
      `--regid=${NOBODY}`,
      "--clear-groups",
      "sh",
      "-c",
      `mkdir ${app}/sub && touch ${app}/sub/keep && ln -s ${victim} ${app}/sublnk`,
    ]);
    const attacker = startAttacker("swap", [join(app, "sub"), join(app, "sublnk")], join(base, "stop-swap-dir"));
    const removed: string[] = [];
    try {
      await attacker.ready;
      const until = Date.now() + 3000;
      for (let i = 0; i < 200 || Date.now() < until; i++) removed.push(...pruneExports({ dir, name: "app" }));
    } finally {
      const said = await attacker.stop();
      assert.match(said, /swaps [1-9]/, "the attacker really swapped");
    }
    assert.deepEqual(removed, []);
    assert.equal(execFileSync("find", [victim], { encoding: "utf8" }), before, "the victim directory is untouched");
    assert.ok(existsSync(join(app, "sub", "keep")) || existsSync(join(app, "sublnk", "keep")));
  });

  it("the export directory itself may not be a symbolic link", async () => {
    const target = join(base, "elsewhere");
    mkdirSync(join(target, "app"), { recursive: true });
    writeFileSync(join(target, "app", "1.stats"), GOLDEN);
    const link = join(base, "linked-export");
    symlinkSync(target, link);
    assert.throws(() => pruneExports({ dir: link }), /is a symbolic link \(prune never follows one\)$/);
    assert.throws(() => pruneExports({ dir: link, name: "app" }), /is a symbolic link/);
    const r = await cli("prune", `shm:app?dir=${link}`);
    assert.deepEqual([r.code, r.err], [2, `statsfs: prune: ${link}: is a symbolic link (prune never follows one)\n`]);
    assert.deepEqual(readdirSync(join(target, "app")), ["1.stats"]);
  });
});

describe("prune never blocks", { skip }, () => {
  it("a live export file swapped with a FIFO: 100 prunes (3 s at least) finish (a child process, killed at 60 s)", async () => {
    const { dir, app } = exportDir("swap-fifo");
    // The attacker's live export (it holds the lock) and a FIFO it swaps in under the same name.
    execFileSync("setpriv", [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", "sh", "-c", `mkfifo ${app}/fifo`]);
    writeFileSync(join(app, "7.stats"), GOLDEN);
    chownSync(join(app, "7.stats"), NOBODY, NOBODY);
    const attacker = startAttacker("swap", [join(app, "7.stats"), join(app, "fifo"), join(app, "7.stats")], join(base, "stop-swap-fifo"));
    let out = "";
    try {
      await attacker.ready;
      const script = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "prune-loop.js");
      const child = spawn(process.execPath, [script, "-", dir, "app", "100"], { stdio: ["ignore", "pipe", "inherit"] });
      child.stdout.on("data", (b: Buffer) => {
        out += b.toString();
      });
      const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      clearTimeout(timer);
      assert.equal(code, 0, `prune blocked (killed after 60 s): ${out}`);
    } finally {
      await attacker.stop();
    }
    assert.equal(out, "done\n", "the live file was kept, the FIFO never opened");
  });
});
