/**
 * The exporter over a Node service's processes: it starts before the service, forgets dead
 * workers by itself (`up` per source, not per file), never drops a statistic whose name
 * collides, exports unions member by member, per-worker series on demand, and a source's
 * subordinates in one family labelled by `source`.
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { bufferIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run.js";
import { createSource, Registry } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import { metrics } from "../../src/views/http/producer.js";
import { cli } from "../helpers.js";

const WORKER = fileURLToPath(new URL("./fixtures/cluster-worker.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "statsfs-exporter-"));
const kids: ChildProcess[] = [];
after(() => {
  for (const k of kids) k.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

function start(dir: string, instance: string, k: number): Promise<ChildProcess> {
  const proc = fork(WORKER, [dir, instance, String(k)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  kids.push(proc);
  return new Promise((resolve, reject) => {
    proc.once("message", () => resolve(proc));
    proc.once("exit", (c) => reject(new Error(`worker exited ${c}`)));
  });
}

/** `statsfs serve --http 127.0.0.1:0 ARGS…` in-process: its URL and a stop function. */
async function serve(...args: string[]): Promise<{ url: string; err: () => string; stop: () => Promise<number> }> {
  const ac = new AbortController();
  const io = bufferIo(ac.signal);
  const done = runCli(["serve", "--http", "127.0.0.1:0", ...args], io);
  for (let i = 0; i < 200 && !/http:\S+\/metrics/.test(io.err()); i++) await new Promise((r) => setTimeout(r, 25));
  const url = /(http:\S+\/metrics)/.exec(io.err())?.[1];
  assert.ok(url, `serve printed its URL: ${io.err()}`);
  return {
    url,
    err: io.err,
    stop: async () => {
      ac.abort();
      return done;
    },
  };
}

const scrape = async (url: string) => (await fetch(url)).text();
const series = (text: string, prefix: string) => text.split("\n").filter((l) => l.startsWith(prefix));

describe("the exporter over a service's processes", () => {
  it("starts before the service, serves it once it appears, and forgets dead workers", async () => {
    const dir = join(tmp, "late");
    const src = `shm:app?dir=${dir}`;
    const ex = await serve(src);
    try {
      assert.match(ex.err(), /serving it as down until it appears/);
      let t = await scrape(ex.url);
      assert.deepEqual(series(t, "statsfs_exporter_source_up"), [`statsfs_exporter_source_up{source="${src}"} 0`]);
      assert.equal(series(t, "statsfs_app_").length, 0);
      const w1 = await start(dir, "w1", 1);
      await start(dir, "w2", 2);
      t = await scrape(ex.url);
      assert.deepEqual(series(t, "statsfs_exporter_source_up"), [`statsfs_exporter_source_up{source="${src}"} 1`]);
      assert.ok(series(t, 'statsfs_app_requests_total{source="/app"} 3000').length === 1, t);
      w1.kill("SIGKILL");
      await new Promise((r) => w1.once("exit", r));
      t = await scrape(ex.url);
      // One up line for the source, none per dead file; the dead worker's values are gone.
      assert.deepEqual(series(t, "statsfs_exporter_source_up"), [`statsfs_exporter_source_up{source="${src}"} 1`]);
      assert.ok(series(t, 'statsfs_app_requests_total{source="/app"} 2000').length === 1, t);
      // The subordinate is in the root's family, labelled by source, with read's number.
      const r = await cli("read", "--json", src);
      const db = (JSON.parse(r.out) as { id: string; stats: { name: string; value: number }[] }[]).find((f) => f.id === "statsfs/app/db");
      assert.deepEqual(series(t, "statsfs_app_hits_total"), [`statsfs_app_hits_total{source="/app/db"} ${db?.stats[0]?.value}`]);
      assert.deepEqual(series(t, "statsfs_app_requests_total"), [
        'statsfs_app_requests_total{source="/app"} 2000',
        'statsfs_app_requests_total{source="/app",method="GET",route="/users/:id"} 20',
      ]);
      for (const k of kids) k.kill("SIGKILL");
      await new Promise((r) => setTimeout(r, 100));
      t = await scrape(ex.url);
      assert.deepEqual(series(t, "statsfs_exporter_source_up"), [`statsfs_exporter_source_up{source="${src}"} 0`], "no live worker: down");
      assert.equal(series(t, "statsfs_app_").length, 0);
    } finally {
      assert.equal(await ex.stop(), 0);
    }
  });

  it("per-worker series on demand, the sum by default", async () => {
    const dir = join(tmp, "pw");
    await start(dir, "w1", 1);
    await start(dir, "w2", 2);
    const ex = await serve("--per-worker", `shm:app?dir=${dir}`);
    try {
      const t = await scrape(ex.url);
      assert.deepEqual(
        series(t, "statsfs_app_requests_total{").sort(),
        [
          'statsfs_app_requests_total{producer_instance="w1",source="/app"} 1000',
          'statsfs_app_requests_total{producer_instance="w1",source="/app",method="GET",route="/users/:id"} 10',
          'statsfs_app_requests_total{producer_instance="w2",source="/app"} 2000',
          'statsfs_app_requests_total{producer_instance="w2",source="/app",method="GET",route="/users/:id"} 20',
        ].sort(),
      );
    } finally {
      await ex.stop();
    }
  });

  it("exports a union member by member (two snapshots of VMs with the same ids)", async () => {
    const a = join(tmp, "snap1");
    const b = join(tmp, "snap2");
    assert.equal((await cli("snapshot", "sim:?vcpus=2&pid=7", "--out", a)).code, 0);
    assert.equal((await cli("snapshot", "sim:?vcpus=2&pid=7", "--out", b)).code, 0);
    const ex = await serve(a, b);
    try {
      const t = await scrape(ex.url);
      const exits = series(t, "kvm_vcpu_exits_total");
      assert.equal(exits.length, 4, exits.join("\n"));
      for (const m of ["0", "1"])
        for (const v of ["0", "1"]) assert.ok(exits.some((l) => l.includes(`vcpu="${v}"`) && l.includes(`member="${m}"`)));
      assert.deepEqual(series(t, "statsfs_exporter_source_up"), [
        `statsfs_exporter_source_up{source="${a}"} 1`,
        `statsfs_exporter_source_up{source="${b}"} 1`,
      ]);
    } finally {
      await ex.stop();
    }
  });
});

describe("dead workers' files", () => {
  it("are reported as gone for a grace period, then ignored until pruned", async () => {
    const dir = join(tmp, "grace");
    const w1 = await start(dir, "w1", 1);
    await start(dir, "w2", 2);
    w1.kill("SIGKILL");
    await new Promise((r) => w1.once("exit", r));
    await using s = await openSource(`shm:app?dir=${dir}&grace=1`);
    const gone = () => (s.members ?? []).filter((m) => m.state === "gone").length;
    assert.ok(gone() > 0, "gone at first");
    await new Promise((r) => setTimeout(r, 1200));
    await s.poll();
    assert.equal(gone(), 0, JSON.stringify(s.members));
    assert.ok((s.members ?? []).some((m) => m.state === "ok"));
  });
});

describe("exposition names that collide", () => {
  it("keeps both statistics under distinct names, never drops one", () => {
    const reg = new Registry();
    const s = createSource("svc");
    const v = s.addValues({
      wait_ns: { unit: "seconds", exponent: -9 },
      wait_us: { unit: "seconds", exponent: -6 },
      req: {},
      req_total: {},
    });
    reg.register(s);
    v.wait_ns.add(2_000_000_000);
    v.wait_us.add(3_000_000);
    v.req.add(5);
    v.req_total.add(7);
    const t = metrics(reg);
    const samples = t.split("\n").filter((l) => l.startsWith("statsfs_svc_"));
    assert.equal(samples.length, 4, t);
    assert.ok(samples.includes('statsfs_svc_wait_seconds_total{source="/svc"} 2'), t);
    assert.ok(samples.includes('statsfs_svc_wait_us_seconds_total{source="/svc"} 3'), t);
    assert.ok(samples.includes('statsfs_svc_req_total{source="/svc"} 5'), t);
    assert.ok(samples.includes('statsfs_svc_req_total_total{source="/svc"} 7'), t);
  });
});
