/**
 * Label sets at scale (issue 18 item 4): every label set of a process's tree lives in one bundle
 * file, so 10,000 label sets cost O(1) files and fds; readers see a label set made after their
 * first poll at their next poll; a bundle that runs out of room while a reader polls is replaced
 * without any reader seeing a counter go back or an update lost; a hostile bundle costs one
 * warning line naming it.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFile, fork } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { BundleHeaderField, encodeBundle } from "../../src/codec/bundle.js";
import { makeDescriptor } from "../../src/model/descriptor.js";
import { statValue } from "../../src/model/value.js";
import { createSource, register } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource, SyncStatsSource } from "../../src/providers/source.js";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const CHILD = fileURLToPath(new URL("./fixtures/label-child.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "statsfs-labels-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...filesUnder(join(dir, e.name)));
    else out.push(join(dir, e.name));
  }
  return out;
}

const fdCount = () => readdirSync("/proc/self/fd").length;

async function statsfs(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [MAIN, ...args], { encoding: "utf8", maxBuffer: 1 << 28 });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

function hits(s: StatsSource, id: string): bigint | undefined {
  const f = s.files.find((x) => x.identity.id === id);
  const d = f?.schema.descriptors.find((x) => x.name === "hits");
  return f && d ? (statValue(d, f.data) as bigint) : undefined;
}

describe("label sets at scale", () => {
  it("10,000 label sets (some with 1 KiB values): O(1) files and fds; statsfs read shows all of them with their labels", async () => {
    const dir = join(tmp, "scale");
    const fds0 = fdCount();
    using app = createSource("lbl");
    const v = app.addValues({ hits: {} });
    using reg = register(app, { export: { dir, instance: "p" } });
    const files0 = filesUnder(dir).length;
    const fds1 = fdCount();
    const big = "x".repeat(1024);
    for (let i = 0; i < 10_000; i++) v.hits.labels({ route: `/r/${i}`, big: i % 100 === 0 ? big : "v" }).add(i + 1);
    assert.deepEqual(filesUnder(dir), [join(dir, "lbl", "p.stats")], "one file for the tree and all its label sets");
    assert.equal(files0, 1);
    assert.ok(fdCount() - fds1 <= 2, `fds: ${fds0} before export, ${fds1} after, ${fdCount()} with 10,000 label sets`);
    assert.deepEqual(reg.exporter?.filesOf(app.subordinates[9_999] as never), [join(dir, "lbl", "p.stats")]);

    const r = await statsfs("read", `shm:lbl?dir=${dir}`);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.err, "");
    const heads = r.out.split("\n").filter((l) => l.startsWith("statsfs/lbl{"));
    assert.equal(heads.length, 10_000);
    const routes = new Set(heads.map((l) => /route="\/r\/(\d+)"/.exec(l)?.[1]));
    assert.equal(routes.size, 10_000);
    assert.ok(
      heads.some((l) => l.startsWith(`statsfs/lbl{big="${big}",route="/r/500"}`)),
      "a 1 KiB label value in full",
    );
    // The parent sums its label sets: 1 + 2 + … + 10,000.
    assert.match(r.out, /^statsfs\/lbl \(statsfs lbl \/lbl\)\n +name +type +value +unit\n +hits +cumulative +50005000\b/m);
  });

  it("a label set created after a reader's first poll appears at its next poll", async () => {
    const dir = join(tmp, "next");
    using app = createSource("nx");
    const v = app.addValues({ hits: {} });
    using _reg = register(app, { export: { dir, instance: "p" } });
    v.hits.labels({ code: 200 }).add(3);
    await using shm = (await openSource(`shm:nx?dir=${dir}`)) as StatsSource & SyncStatsSource;
    assert.equal(hits(shm, "statsfs/nx/{code=200}"), 3n);
    assert.equal(hits(shm, "statsfs/nx/{code=500}"), undefined);
    v.hits.labels({ code: 500 }).add(4);
    shm.pollSync();
    assert.equal(hits(shm, "statsfs/nx/{code=500}"), 4n);
    assert.equal(hits(shm, "statsfs/nx"), 7n);
    // And one more, and a value of an existing one, at the very next poll again.
    v.hits.labels({ code: 404 }).add(5);
    v.hits.labels({ code: 200 }).add(1);
    shm.pollSync();
    assert.equal(hits(shm, "statsfs/nx/{code=404}"), 5n);
    assert.equal(hits(shm, "statsfs/nx"), 13n);
  });

  it("a producer growing its bundle past its room while a reader polls: no counter goes back, no update is lost", async () => {
    const dir = join(tmp, "race");
    const proc = fork(CHILD, [dir, "g"], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
    children.push(proc);
    const messages: { ready?: boolean; total?: number; sets?: number }[] = [];
    proc.on("message", (m) => messages.push(m as never));
    const next = async () => {
      for (let i = 0; i < 1000 && messages.length === 0; i++) await sleep(10);
      return messages.shift() ?? {};
    };
    assert.equal((await next()).ready, true);
    await using shm = (await openSource(`shm:lg?dir=${dir}&instances=none`)) as StatsSource & SyncStatsSource;
    const seen = new Map<string, bigint>();
    let polls = 0;
    let sets = 0;
    const files = new Set<number>();
    const t0 = Date.now();
    while (sets < 3_000 && Date.now() - t0 < 60_000) {
      shm.pollSync();
      polls++;
      files.add(statSync(join(dir, "lg", "g.stats")).ino);
      const failed = (shm.members ?? []).filter((m) => m.state !== "ok");
      assert.deepEqual(failed, [], "the live bundle is read at every poll");
      let n = 0;
      for (const f of shm.files) {
        const d = f.schema.descriptors.find((x) => x.name === "hits");
        if (!d) continue;
        const value = statValue(d, f.data) as bigint;
        const before = seen.get(f.identity.id);
        assert.ok(before === undefined || value >= before, `${f.identity.id}: ${before} then ${value} at poll ${polls}`);
        seen.set(f.identity.id, value);
        n++;
      }
      sets = n - 1;
      await sleep(2);
    }
    proc.send({ stop: true });
    const done = await next();
    shm.pollSync();
    assert.ok(polls >= 5, `${polls} polls while it grew`);
    assert.ok(files.size >= 2, `the bundle was replaced (out of room) while the reader polled: ${files.size} files seen`);
    assert.equal(hits(shm, "statsfs/lg"), BigInt(done.total ?? -1), "every update counted");
    assert.equal(shm.files.length - 1, done.sets);
    assert.deepEqual(readdirSync(join(dir, "lg")), ["g.stats"]);
    proc.send({ exit: true });
  });

  it("a hostile bundle (truncated, offsets past its end, huge counts, a generation odd forever) costs one warning line naming it", async () => {
    const dir = join(tmp, "hostile");
    using app = createSource("hb");
    app.addValues({ hits: {} }).hits.add(42);
    using _reg = register(app, { export: { dir, instance: "ok" } });
    const good = encodeBundle([{ path: ["hb"], descriptors: [makeDescriptor({ name: "hits", offset: 0 })], data: BigUint64Array.of(1n) }]);
    const set = (at: number, value: number) => {
      const b = good.slice();
      new DataView(b.buffer).setUint32(at, value, true);
      return b;
    };
    const bad: Record<string, Uint8Array> = {
      "truncated.stats": good.subarray(0, good.length - 20),
      "past-end.stats": set(BundleHeaderField.metaOffset, 1 << 20),
      "huge-count.stats": set(BundleHeaderField.entryCount, 0xffffffff),
      "odd.stats": set(BundleHeaderField.generation, 7),
    };
    mkdirSync(join(dir, "hb"), { recursive: true });
    for (const [name, bytes] of Object.entries(bad)) writeFileSync(join(dir, "hb", name), bytes);
    const r = await statsfs("read", `shm:hb?dir=${dir}`, "--json");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /"name": "hits",\s*"value": 42\b/);
    const lines = r.err.trimEnd().split("\n");
    for (const name of Object.keys(bad)) {
      assert.equal(lines.filter((l) => l.includes(join(dir, "hb", name))).length, 1, `one line names ${name}:\n${r.err}`);
    }
    assert.match(r.err, /odd\.stats.*generation stays odd/);
    assert.match(r.err, /huge-count\.stats.*entry_count/);
    assert.equal(lines.length, 4, r.err);
  });
});
