import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { DefinitionError } from "../../src/errors.js";
import { statValue } from "../../src/model/value.js";
import { createSource, pruneExports, register } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import { BundleReader } from "../../src/providers/shm/bundle-reader.js";
import type { StatsSource } from "../../src/providers/source.js";
import { cli } from "../helpers.js";
import { PROC_VALUES } from "./fixtures/values.js";

const CHILD = fileURLToPath(new URL("./fixtures/producer-child.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "statsfs-mp-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

interface Child {
  proc: ChildProcess;
  next(): Promise<Record<string, unknown>>;
  exited: Promise<number | null>;
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
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  return {
    proc,
    exited,
    next: () => {
      const m = queue.shift();
      if (m) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        waiting.push(resolve);
        proc.once("exit", (code) => reject(new Error(`child exited with ${code} before answering`)));
      });
    },
  };
}

function valueIn(s: StatsSource, id: string, name: string) {
  const f = s.files.find((x) => x.identity.id === id);
  const d = f?.schema.descriptors.find((x) => x.name === name);
  return f && d ? statValue(d, f.data) : undefined;
}

describe("several processes exporting one source", () => {
  it("read as one source with aggregates; survive exits and restarts", async () => {
    const dir = join(tmp, "exports");
    const counts = [3000, 5000, 7000];
    const kids = counts.map((n, i) => start(dir, `w${i}`, n));
    for (const k of kids) assert.deepEqual((await k.next()).ready, true);
    const total = counts.reduce((a, b) => a + b, 0);

    await using shm = await openSource(`shm:mp?dir=${dir}`);
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), BigInt(total));
    assert.equal(valueIn(shm, "statsfs/mp", "inflight"), BigInt(total));
    assert.equal(valueIn(shm, "statsfs/mp", "inflight.max"), 7000n);
    assert.equal(valueIn(shm, "statsfs/mp", "inflight.min"), 3000n);
    const size = valueIn(shm, "statsfs/mp", "size") as bigint[];
    assert.equal(
      size.reduce((a, b) => a + b, 0n),
      BigInt(total),
    );
    assert.equal(size[0], 300n, "each process recorded 0..99 in bucket 0");
    assert.equal(valueIn(shm, "statsfs/mp/worker", "jobs"), BigInt(2 * total));
    // The per-process files are listed beside the merged view.
    assert.deepEqual(
      shm.files.map((f) => f.identity.id),
      [
        "statsfs/mp",
        "statsfs-w0/mp",
        "statsfs-w1/mp",
        "statsfs-w2/mp",
        "statsfs/mp/worker",
        "statsfs-w0/mp/worker",
        "statsfs-w1/mp/worker",
        "statsfs-w2/mp/worker",
      ],
    );

    // Live: a child's increments show at the next poll, through plain pread.
    const k0 = kids[0] as Child;
    k0.proc.send({ inc: 1000 });
    assert.deepEqual((await k0.next()).incremented, true);
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), BigInt(total + 1000));
    assert.equal(valueIn(shm, "statsfs-w0/mp", "requests"), 4000n);

    // A live producer's instance name cannot be taken.
    using clash = createSource("mp");
    clash.addValues(PROC_VALUES);
    assert.throws(
      () => register(clash, { export: { dir, instance: "w1" } }),
      (e: unknown) => e instanceof DefinitionError && /live producer/.test(e.message),
    );

    // Producers that die count nowhere: their files show as members gone, not as values.
    const w1file = join(dir, "mp", "w1.stats");
    const oldW1 = new BundleReader(openSync(w1file, "r"), w1file, 0, "w1");
    for (const k of kids) k.proc.send({ exit: true });
    for (const k of kids) assert.equal(await k.exited, 0);
    await shm.poll();
    assert.equal(shm.files.length, 0);
    assert.deepEqual(
      shm.members?.map((m) => [m.uri.slice(dir.length + 1), m.state]),
      ["mp/w0.stats", "mp/w1.stats", "mp/w2.stats"].map((p) => [p, "gone"]),
    );
    const dead = await cli("read", `shm:mp?dir=${dir}`, "--json");
    assert.doesNotMatch(dead.out, /"requests"/, "no value of a dead producer is read as current");

    // A restart under the same instance replaces that instance's files: no mis-decode anywhere.
    const again = start(dir, "w1", 5);
    assert.deepEqual((await again.next()).ready, true);
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), 5n, "only the live producer counts");
    assert.deepEqual(
      shm.members?.filter((m) => m.state === "ok").map((m) => m.uri.slice(dir.length + 1)),
      ["mp/w1.stats"],
    );
    oldW1.poll();
    const oldTop = oldW1.files[0];
    assert.equal(oldTop?.identity.id, "statsfs-w1/mp");
    assert.equal(statValue(oldTop.schema.descriptors[0] as never, oldTop.data), 5000n, "an fd on the old file keeps the old file");
    oldW1.close();
    assert.deepEqual(readdirSync(join(dir, "mp")).sort(), ["w0.stats", "w1.stats", "w2.stats"]);
    const check = await cli("check", `shm:mp?dir=${dir}&instances=all`);
    assert.equal(check.code, 0, check.out);

    // Pruning removes the dead producers' files only.
    const removed = pruneExports({ dir, name: "mp" })
      .map((p) => p.slice(dir.length + 1))
      .sort();
    assert.deepEqual(removed, ["mp/w0.stats", "mp/w2.stats"]);
    assert.deepEqual(readdirSync(join(dir, "mp")).sort(), ["w1.stats"]);
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), 5n);

    // A reader's zero resets the live producer's value in place; it keeps counting from there.
    const merged = shm.files.find((f) => f.identity.id === "statsfs/mp");
    assert.ok(merged && "write" in shm);
    const writer = shm as unknown as { write(f: unknown, name: string, v: number): void };
    assert.throws(() => writer.write(merged, "inflight", 0), DefinitionError);
    writer.write(merged, "requests", 0);
    again.proc.send({ inc: 10 });
    assert.deepEqual((await again.next()).incremented, true);
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/mp", "requests"), 10n);
    again.proc.send({ exit: true });
    assert.equal(await again.exited, 0);
  });
});
