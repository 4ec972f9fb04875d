import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Worker } from "node:worker_threads";
import { statValue } from "../../src/model/value.js";
import { createSource, liveSource, register, type SharedSource } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { THREAD_VALUES } from "./fixtures/values.js";

const WORKER = new URL("./fixtures/thread-worker.js", import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), "statsfs-thr-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function runWorker(
  shared: SharedSource,
  n: number,
  barrier?: { sab: SharedArrayBuffer; parties: number },
): Promise<{ shard: number; hits: string }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(WORKER, { workerData: { shared, n, barrier } });
    let msg: { shard: number; hits: string } | undefined;
    w.on("message", (m) => {
      msg = m;
    });
    w.on("error", reject);
    w.on("exit", (code) => (code === 0 && msg ? resolve(msg) : reject(new Error(`worker exited with ${code}`))));
  });
}

function valueIn(s: StatsSource, path: string, name: string) {
  const f = s.files.find((x) => x.identity.path === path);
  const d = f?.schema.descriptors.find((x) => x.name === name);
  return f && d ? statValue(d, f.data) : undefined;
}

describe("worker threads", () => {
  it("8 workers incrementing one value: the sum equals every increment", async () => {
    const N = 200_000;
    using s = createSource("threads", { shards: 9 });
    const v = s.addValues(THREAD_VALUES);
    const shared = s.share();
    const barrier = { sab: new SharedArrayBuffer(4), parties: 8 };
    const done = await Promise.all(Array.from({ length: 8 }, () => runWorker(shared, N, barrier)));
    v.hits.add(7);
    assert.deepEqual(
      done.map((d) => d.shard).sort((a, b) => a - b),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    for (const d of done) assert.equal(d.hits, String(N));
    const live = liveSource(s);
    assert.equal(valueIn(live, "/threads", "hits"), BigInt(8 * N + 7));
    const lat = valueIn(live, "/threads", "lat") as bigint[];
    assert.equal(
      lat.reduce((a, b) => a + b, 0n),
      BigInt(8 * N),
    );
    assert.equal(valueIn(live, "/threads", "peak"), 8000n);
  });

  it("an exported sharded source: its shards in one file beside the tree's, read back summed through shm:", async () => {
    const N = 50_000;
    const dir = join(tmp, "exp");
    using s = createSource("thx", { shards: 4 });
    const v = s.addValues(THREAD_VALUES);
    using _reg = register(s, { export: { dir, instance: "main" } });
    const shared = s.share();
    assert.equal(shared.files?.length, 4);
    await Promise.all([runWorker(shared, N), runWorker(shared, N), runWorker(shared, N)]);
    v.hits.inc();
    // The tree's bundle (here without other sources) and the sharded source's bundle: every shard in it.
    assert.deepEqual(readdirSync(join(dir, "thx")).sort(), ["main.stats", "main~1.stats"]);
    assert.ok(shared.files?.every((f) => f.path === join(dir, "thx", "main~1.stats")));
    await using shm = await openSource(`shm:thx?dir=${dir}&instances=all`);
    assert.equal(valueIn(shm, "/thx", "hits"), BigInt(3 * N + 1));
    assert.ok((valueIn(shm, "/thx", "peak") as bigint) >= 1000n);
    // Each shard shows as a per-process file with its own id.
    const ids = shm.files.map((f) => f.identity.id);
    assert.deepEqual(ids, ["statsfs/thx", "statsfs-main/thx", "statsfs-main~1/thx", "statsfs-main~2/thx", "statsfs-main~3/thx"]);
    // The in-process reader sees the same.
    assert.equal(valueIn(liveSource(s), "/thx", "hits"), BigInt(3 * N + 1));
  });

  it("a worker maps the producer's own memfd, checked by inode: never the path in the export directory", async () => {
    const dir = join(tmp, "exp-fd");
    using s = createSource("thfd", { shards: 3 });
    s.addValues(THREAD_VALUES);
    using _reg = register(s, { export: { dir, instance: "main" } });
    const shared = s.share();
    const files = shared.files ?? [];
    assert.equal(files.length, 3);
    // A path that leads elsewhere (as a link planted in the export directory would) is not followed.
    const moved: SharedSource = { ...shared, files: files.map((f) => ({ ...f, path: join(tmp, "planted", "x.stats") })) };
    await runWorker(moved, 1000);
    await using shm = await openSource(`shm:thfd?dir=${dir}`);
    assert.equal(valueIn(shm, "/thfd", "hits"), 1000n);
    // An fd that holds another file than the one exported is refused, in one line.
    const wrong: SharedSource = { ...shared, files: files.map((f) => ({ ...f, ino: f.ino + 1n })) };
    await assert.rejects(runWorker(wrong, 1), /its file is no longer exported/);
  });
});
