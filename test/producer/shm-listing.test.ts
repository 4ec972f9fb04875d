/**
 * The shm: reader keeps a directory's listing while the directory is unchanged (one stat per
 * directory per poll instead of readdir + lstat per file), with real producer processes: once
 * the listings are kept, a producer killed without touching its directory is still gone at the
 * next poll (its lock), and a producer joining or a file unlinked is seen at the next poll
 * (the directory's times moved).
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { statValue } from "../../src/model/value.js";
import { openSource } from "../../src/providers/registry.js";
import { dirListings } from "../../src/providers/shm/index.js";
import type { StatsSource, SyncStatsSource } from "../../src/providers/source.js";

const CHILD = fileURLToPath(new URL("./fixtures/producer-child.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "statsfs-listing-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

/** A producer process exporting `mp` (and `mp/worker`) as `instance`, once it said ready. */
async function start(dir: string, instance: string, n: number): Promise<{ proc: ChildProcess; exited: Promise<unknown> }> {
  const proc = fork(CHILD, [dir, instance, String(n)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(proc);
  const exited = new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
  await new Promise<void>((resolve, reject) => {
    proc.once("message", () => resolve());
    proc.once("exit", (code, signal) => reject(new Error(`producer ${instance} exited (${code ?? signal}) before ready`)));
  });
  return { proc, exited };
}

function requests(s: StatsSource): bigint | undefined {
  const f = s.files.find((x) => x.identity.id === "statsfs/mp");
  const d = f?.schema.descriptors.find((x) => x.name === "requests");
  return f && d ? (statValue(d, f.data) as bigint) : undefined;
}

function states(s: StatsSource, dir: string): Record<string, string> {
  return Object.fromEntries((s.members ?? []).map((m) => [m.uri.slice(dir.length + 1), m.state]));
}

const times = (dir: string) => {
  const st = statSync(dir, { bigint: true });
  return `${st.ino}:${st.mtimeNs}:${st.ctimeNs}`;
};

describe("shm: listings kept while directories are unchanged", () => {
  it("still sees dead producers, new producers and removed files at the next poll", async () => {
    const dir = join(tmp, "kept");
    await start(dir, "a", 1);
    const b = await start(dir, "b", 10);
    await using shm = (await openSource(`shm:mp?dir=${dir}`)) as StatsSource & SyncStatsSource;
    assert.equal(requests(shm), 11n);
    // Poll until a poll lists no directory (the listings settled and are kept).
    let kept = false;
    for (let i = 0; i < 200 && !kept; i++) {
      await sleep(25);
      const n = dirListings.count;
      shm.pollSync();
      kept = dirListings.count === n;
    }
    assert.ok(kept, "listings are kept once the directories stay unchanged");

    // A producer killed: its file stays, its directory does not change, its lock goes.
    const dirs = [join(dir, "mp")];
    const before = dirs.map(times);
    b.proc.kill("SIGKILL");
    await b.exited;
    assert.deepEqual(dirs.map(times), before, "a killed producer leaves its directories as they were");
    const n = dirListings.count;
    shm.pollSync();
    assert.equal(dirListings.count, n, "no directory was listed again");
    assert.equal(requests(shm), 1n);
    assert.deepEqual(states(shm, dir), {
      "mp/a.stats": "ok",
      "mp/b.stats": "gone",
    });

    // A producer joins: seen at the very next poll, and so is one more right after it.
    await start(dir, "c", 100);
    shm.pollSync();
    assert.equal(requests(shm), 101n);
    await start(dir, "d", 1000);
    shm.pollSync();
    assert.equal(requests(shm), 1101n);
    assert.equal(states(shm, dir)["mp/d.stats"], "ok");
    assert.ok(
      shm.files.some((f) => f.identity.id === "statsfs/mp/worker"),
      "the subordinate, from the same files",
    );

    // The dead producer's file removed (as prune does): gone from the members at the next poll.
    unlinkSync(join(dir, "mp", "b.stats"));
    shm.pollSync();
    assert.deepEqual(Object.keys(states(shm, dir)).sort(), ["mp/a.stats", "mp/c.stats", "mp/d.stats"]);
    assert.equal(requests(shm), 1101n);
  });
});
