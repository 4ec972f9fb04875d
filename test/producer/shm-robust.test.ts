/**
 * Producers and the shm: reader against hostile neighbours and dying producers, with real
 * child processes: truncating a live export file (issue 8 defect 2), foreign or corrupt files
 * in an export directory (defect 5), producers ended by exit, SIGTERM and SIGKILL, and pruning.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, fork, spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, lstatSync, mkdtempSync, openSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { encodeBundle } from "../../src/codec/bundle.js";
import { makeDescriptor } from "../../src/model/descriptor.js";
import { StatType } from "../../src/model/flags.js";
import { statValue } from "../../src/model/value.js";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { GOLDEN } from "../codec/golden.test.js";
import { cli } from "../helpers.js";

const CHILD = fileURLToPath(new URL("./fixtures/producer-child.js", import.meta.url));
const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "statsfs-robust-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

interface Child {
  proc: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function start(dir: string, instance: string, n: number): Child {
  const proc = fork(CHILD, [dir, instance, String(n)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  children.push(proc);
  const queue: Record<string, unknown>[] = [];
  const waiting: ((m: Record<string, unknown>) => void)[] = [];
  proc.on("message", (m: Record<string, unknown>) => {
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    proc,
    exited,
    next: () => {
      const m = queue.shift();
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        proc.once("exit", (code, signal) => reject(new Error(`child exited (${code ?? signal}) before answering`)));
      });
    },
  };
}

function valueIn(s: StatsSource, id: string, name: string) {
  const f = s.files.find((x) => x.identity.id === id);
  const d = f?.schema.descriptors.find((x) => x.name === name);
  return f && d ? statValue(d, f.data) : undefined;
}

/** The real `statsfs` executable: exit code, stdout, stderr. */
async function statsfs(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { encoding: "utf8" });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: x.code ?? -1, out: x.stdout ?? "", err: x.stderr ?? "" };
  }
}

describe("shm exports under abuse", () => {
  it("truncating a live export file fails and never crashes the producer", async () => {
    const dir = join(tmp, "trunc");
    const k = start(dir, "t0", 100);
    assert.deepEqual((await k.next()).ready, true);
    const path = join(dir, "mp", "t0.stats");
    assert.ok(lstatSync(path).isSymbolicLink(), "the export path links to the producer's memfd");
    assert.equal(statSync(path).mode & 0o777, 0o600, "owner read-write only");
    for (const cmd of [
      ["truncate", "-s", "0", path],
      ["sh", "-c", `: > '${path}'`],
      ["truncate", "-s", "16", path],
      ["truncate", "-s", "1G", path],
    ]) {
      const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: "utf8" });
      assert.notEqual(r.status, 0, `${cmd.join(" ")} must fail`);
      assert.match(r.stderr, /Operation not permitted/, cmd.join(" "));
    }
    // Still alive and writing.
    k.proc.send({ inc: 1000 });
    assert.deepEqual((await k.next()).incremented, true);
    const read = await cli("read", `shm:mp?dir=${dir}`, "--json");
    assert.equal(read.code, 0, read.err);
    assert.match(read.out, /"name": "requests",\s*"value": 1100/);
    k.proc.send({ exit: true });
    assert.deepEqual(await k.exited, { code: 0, signal: null });
  });

  it("producers ended by exit, SIGTERM or SIGKILL show as gone and count nowhere; prune removes them", async () => {
    const dir = join(tmp, "dead");
    const kids = {
      live: start(dir, "live", 10),
      exit: start(dir, "exit", 100),
      term: start(dir, "term", 1000),
      kill: start(dir, "kill", 10000),
    };
    for (const k of Object.values(kids)) assert.deepEqual((await k.next()).ready, true);
    await using shm = await openSource(`shm:mp?dir=${dir}`);
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), 11110n);
    assert.equal(valueIn(shm, "statsfs/mp", "inflight.max"), 10000n);
    kids.exit.proc.send({ exit: true });
    kids.term.proc.kill("SIGTERM");
    kids.kill.proc.kill("SIGKILL");
    assert.deepEqual(await kids.exit.exited, { code: 0, signal: null });
    assert.deepEqual(await kids.term.exited, { code: null, signal: "SIGTERM" });
    assert.deepEqual(await kids.kill.exited, { code: null, signal: "SIGKILL" });
    await shm.poll();
    // Counters, gauges and peaks of the dead are not current values.
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), 10n);
    assert.equal(valueIn(shm, "statsfs/mp", "inflight"), 10n);
    assert.equal(valueIn(shm, "statsfs/mp/worker", "jobs"), 20n);
    const states = Object.fromEntries((shm.members ?? []).map((m) => [m.uri.slice(dir.length + 1), m.state]));
    assert.deepEqual(states, {
      "mp/exit.stats": "gone",
      "mp/kill.stats": "gone",
      "mp/live.stats": "ok",
      "mp/term.stats": "gone",
    });
    assert.ok((shm.members ?? []).every((m) => m.state === "ok" || /^producer gone/.test(m.reason ?? "")));
    // A fresh reader agrees.
    const text = await cli("read", `shm:mp?dir=${dir}`, "--json");
    assert.match(text.out, /"name": "requests",\s*"value": 10\b/);

    const pruned = await statsfs("prune", `shm:mp?dir=${dir}`);
    assert.equal(pruned.code, 0, pruned.err);
    assert.deepEqual(
      pruned.out.trim().split("\n").sort(),
      ["exit", "kill", "term"].map((n) => `removed ${join(dir, "mp", `${n}.stats`)}`).sort(),
    );
    assert.deepEqual(readdirSync(join(dir, "mp")).sort(), ["live.stats"]);
    await shm.poll();
    assert.deepEqual(
      shm.members?.map((m) => m.state),
      ["ok"],
    );
    const bad = await statsfs("prune", "file:/tmp");
    assert.equal(bad.code, 2);
    assert.equal(bad.err.trim().split("\n").length, 1, bad.err);
    kids.live.proc.send({ exit: true });
    await kids.live.exited;
  });

  it("a foreign or corrupt file in an export directory is skipped with one warning naming it", async () => {
    const dir = join(tmp, "foreign");
    const k = start(dir, "ok", 42);
    assert.deepEqual((await k.next()).ready, true);
    const stranger = join(dir, "mp", "990.stats");
    writeFileSync(
      stranger,
      Uint8Array.from({ length: 24 }, (_, i) => (i * 37 + 11) & 0xff),
    );
    const zeros = join(dir, "mp", "991.stats");
    const fd = openSync(zeros, "w");
    ftruncateSync(fd, 2 ** 30); // 1 GiB, sparse
    closeSync(fd);
    const otherId = join(dir, "mp", "992.stats");
    writeFileSync(otherId, GOLDEN); // a valid stats file, but not this directory's export
    // A regular file with the right id that no process holds: a dead producer's, not current.
    const unheld = join(dir, "mp", "zz.stats");
    const requests = makeDescriptor({ name: "requests", offset: 0, type: StatType.Cumulative });
    writeFileSync(unheld, encodeBundle([{ path: ["mp"], descriptors: [requests], data: BigUint64Array.of(1000n) }]));

    for (const args of [
      ["read", `shm:mp?dir=${dir}`, "--json"],
      ["top", `shm:mp?dir=${dir}`, "--count", "1"],
    ]) {
      const r = await statsfs(...args);
      assert.equal(r.code, 0, `${args[0]}: ${r.err}`);
      assert.match(r.out, /requests/, args[0]);
      const lines = `${r.out}\n${r.err}`.split("\n");
      for (const p of [stranger, zeros, otherId]) {
        assert.equal(lines.filter((l) => l.includes(p)).length, 1, `${args[0]}: one line names ${p}:\n${r.out}\n${r.err}`);
      }
    }
    await using shm = await openSource(`shm:mp?dir=${dir}`);
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), 42n);
    assert.deepEqual(
      shm.members?.filter((m) => m.uri.startsWith(join(dir, "mp", "99"))).map((m) => m.state),
      ["failed", "failed", "failed"],
    );
    assert.deepEqual(
      shm.members?.filter((m) => m.uri === unheld),
      [{ uri: unheld, state: "gone", reason: "producer gone (no process holds its lock)" }],
    );
    k.proc.send({ exit: true });
    await k.exited;
  });
});
