/**
 * `statsfs top` over two producers on a real terminal (tmux): a short screen shows the groups
 * that fit with their rows and says how many more there are (no screen of titles and Totals);
 * a narrow one keeps the numbers.
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Tmux, tmuxSkip } from "../cli/tmux.js";

const WORKER = fileURLToPath(new URL("./fixtures/cluster-worker.js", import.meta.url));
const MAIN = join(import.meta.dirname, "../../src/cli/main.js");
const tmp = mkdtempSync(join(tmpdir(), "statsfs-topterm-"));
const kids: ChildProcess[] = [];
const skip = tmuxSkip();

function start(root: string, instance: string, subs: number): Promise<ChildProcess> {
  const proc = fork(WORKER, [tmp, instance, "1", root, String(subs)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  kids.push(proc);
  return new Promise((resolve, reject) => {
    proc.once("message", () => resolve(proc));
    proc.once("exit", (c) => reject(new Error(`worker exited ${c}`)));
  });
}

const top = (args: string) => `${process.execPath} ${MAIN} top ${args}; sleep 60`;

describe("top over producers on a terminal", { skip }, () => {
  before(async () => {
    await Promise.all([start("shop", "w1", 30), start("shop", "w2", 30), start("cart", "w1", 30)]);
    for (const k of kids) k.kill("SIGSTOP");
  });
  after(() => {
    for (const k of kids) {
      k.kill("SIGKILL");
      k.kill("SIGCONT");
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it("at 45 rows: groups that fit, each with its rows, and how many more", async () => {
    const t = new Tmux(100, 45, top(`'shm:?dir=${tmp}' --interval 200`));
    try {
      const s = await t.waitFor((x) => x.includes("more group"), "a frame that says how many groups more");
      const lines = s.split("\n");
      const titles = lines.filter((l) => l.startsWith(" statsfs  "));
      const totals = lines.filter((l) => l.startsWith(" Total "));
      assert.ok(titles.length >= 3, s);
      assert.equal(totals.length, titles.length, s);
      // Every group shown has at least one row of its own between title and Total.
      for (let i = 0; i < lines.length; i++) {
        if (!lines[i]?.startsWith(" statsfs  ")) continue;
        assert.ok(!lines[i + 1]?.startsWith(" Total "), `a group without rows:\n${s}`);
      }
      assert.match(s, /\(\d+ more groups/);
    } finally {
      t.kill();
    }
  });

  it("at 40 columns the numbers stay on screen", async () => {
    const t = new Tmux(40, 30, top(`'shm:cart?dir=${tmp}' --interval 200`));
    try {
      const s = await t.waitFor((x) => x.includes("requests"), "a frame");
      const row = s.split("\n").find((l) => l.startsWith(" requests"));
      assert.match(row ?? "", /\b1010\b/, s);
    } finally {
      t.kill();
    }
  });
});
