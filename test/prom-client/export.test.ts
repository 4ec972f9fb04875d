/**
 * A prom-client registry exported as one statsfs bundle file (src/prom-client/export.ts): what
 * the file says equals what `getMetricsAsJSON()` says, through region growth, file rebuilds,
 * removals, compaction, resets and metrics registered later; a child process's counters, gauges
 * and histogram read exactly by `statsfs read shm:`; 10,000 label sets in one file and no fd each.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { decodeLabelSet } from "../../src/model/label-set.js";
import { metricsOfBundle } from "../../src/prom-client/cluster-files.js";
import { Counter, Gauge, Histogram, type MetricObject, Registry, Summary } from "../../src/prom-client/index.js";
import { openSource } from "../../src/providers/registry.js";
import { renderExposition } from "../../src/views/openmetrics/render.js";
import { cli } from "../helpers.js";

const ROOT = join(import.meta.dirname, "../../..");
const tmp = mkdtempSync(join(tmpdir(), "statsfs-promexport-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** One line per sample, label values as printed, keys sorted: what both sides must agree on. */
function canon(metrics: readonly MetricObject[]): string[] {
  const out: string[] = [];
  for (const m of metrics) {
    out.push(`# ${m.name} ${m.type} ${m.aggregator} ${m.help}`);
    for (const v of m.values) {
      const labels = Object.keys(v.labels)
        .filter((k) => v.labels[k] !== undefined)
        .sort()
        .map((k) => `${k}=${String(v.labels[k])}`);
      out.push(`${v.metricName ?? m.name}{${labels.join(",")}} ${v.value}`);
    }
  }
  return out;
}

function fileMetrics(path: string): MetricObject[] {
  const fd = openSync(path, "r");
  const got = metricsOfBundle(fd, path, "t");
  assert.ok(got, "the file holds no summary");
  return got;
}

async function same(reg: Registry, path: string, what: string): Promise<void> {
  const theirs = (await reg.getMetricsAsJSON()).filter((m) => m.type !== "summary" && m.values.length > 0);
  assert.deepEqual(canon(fileMetrics(path)), canon(theirs), what);
}

describe("statsfs/prom-client: an exported registry", () => {
  it("holds what getMetricsAsJSON() says through growth, rebuilds, removals, compaction and resets", async () => {
    const reg = new Registry();
    const c = new Counter({ name: "req_total", help: "Requests.", labelNames: ["route", "code"], registers: [reg] });
    const g = new Gauge({ name: "temp", help: "Temperature.", registers: [reg], aggregator: "max" });
    const h = new Histogram({ name: "lat_seconds", help: "Latency.", labelNames: ["m"], buckets: [0.01, 0.1, 1], registers: [reg] });
    c.inc({ route: "/a", code: 200 }, 0.5);
    g.set(36.6);
    const path = reg.exportStats({ dir: tmp, name: "parity", instance: "one" });
    assert.equal(path, join(tmp, "parity", "one.stats"));
    await same(reg, path, "values given before the export");

    const builds0 = reg._export?.builds ?? 0;
    for (let i = 0; i < 300; i++) c.labels(`/r/${i}`, i % 3 === 0 ? 500 : "200").inc(i + 0.25);
    for (let i = 0; i < 40; i++) h.observe({ m: i % 2 ? "GET" : "POST" }, i / 20 - 0.5);
    g.set(-3);
    assert.ok((reg._export?.builds ?? 0) > builds0, "the file was replaced by a larger one");
    await same(reg, path, "after 300 label sets (regions moved, file rebuilt)");

    for (let i = 0; i < 250; i++) c.remove(`/r/${i}`, i % 3 === 0 ? 500 : "200");
    await same(reg, path, "after removals");
    for (let i = 0; i < 50; i++) c.labels(`/new/${i}`, 201).inc(); // past half removed: compaction
    await same(reg, path, "after compaction");

    const late = new Gauge({ name: "late", help: "Registered after the export.", labelNames: ["k"], registers: [reg] });
    late.set({ k: "x" }, 1.5);
    h.reset();
    h.observe({ m: "PUT" }, 0.05);
    await same(reg, path, "a metric registered later, a histogram reset");

    reg.removeSingleMetric("late");
    await same(reg, path, "a metric removed");

    // Bucket counts are u64 words: a count past 2^32 carries into the high half.
    const s = h.t.find({ m: "PUT" });
    const w = (s * h.t.stride + 1) * 2;
    h.t.u[w] = 0xffffffff;
    h.observe({ m: "PUT" }, 0.05);
    const bucket = fileMetrics(path)
      .find((m) => m.name === "lat_seconds")
      ?.values.find((v) => v.metricName === "lat_seconds_bucket" && v.labels.le === 0.1);
    assert.equal(bucket?.value, 2 ** 32);
    await same(reg, path, "after a carry");

    reg.unexportStats();
    c.labels("/after", 200).inc(2);
    assert.equal((await c.get()).values.find((v) => v.labels.route === "/after")?.value, 2, "values stay in the process");
    assert.deepEqual(readdirSync(join(tmp, "parity")), []);
  });

  it("takes a summary's sum and count, and tells the cluster primary to ask over IPC for its quantiles", () => {
    const reg = new Registry();
    new Summary({ name: "sz", help: "Size.", registers: [reg] }).observe(3);
    const path = reg.exportStats({ dir: tmp, name: "summary", instance: "one" });
    const fd = openSync(path, "r");
    assert.equal(metricsOfBundle(fd, path, "t"), undefined);
    reg.unexportStats();
  });

  it("10,000 label sets: one file, no fd each, all read by statsfs read shm:", async () => {
    const reg = new Registry();
    const c = new Counter({ name: "hits_total", help: "Hits.", labelNames: ["route", "method"], registers: [reg] });
    const fds = () => readdirSync("/proc/self/fd").length;
    const before = fds();
    reg.exportStats({ dir: tmp, name: "many", instance: "one" });
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 10_000; i++) c.labels(`/api/v1/customers/${i}/orders`, "GET").inc(i);
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const long = "x".repeat(1024);
    c.labels(long, "GET").inc(7);
    assert.ok(fds() - before <= 2, `fds: ${before} before, ${fds()} after`);
    assert.deepEqual(readdirSync(join(tmp, "many")), ["one.stats"]);
    process.stderr.write(`10,000 label sets created and exported in ${ms.toFixed(0)} ms\n`);

    const r = await cli("read", `shm:many?dir=${tmp}`, "--json");
    assert.equal(r.code, 0, r.err);
    const sets = (JSON.parse(r.out) as { "qom-path": string; stats: { name: string; value: number }[] }[])
      .map((s) => ({ labels: decodeLabelSet(s["qom-path"].split("/").pop() as string), value: s.stats[0]?.value }))
      .filter((s) => s.labels?.route !== undefined);
    assert.equal(sets.length, 10_001);
    for (const s of sets) {
      const m = /^\/api\/v1\/customers\/(\d+)\/orders$/.exec(s.labels?.route as string);
      assert.equal(s.value, m ? Number(m[1]) : 7, s.labels?.route);
      assert.equal(s.labels?.method, "GET");
    }
    assert.ok(sets.some((s) => s.labels?.route === long));
    reg.unexportStats();
  });

  describe("a child process using statsfs/prom-client", () => {
    let child: ChildProcess | undefined;
    after(() => child?.kill());

    it("shows its label sets with exact values in statsfs read shm: (what getMetricsAsJSON() says in the child)", async () => {
      const dir = join(tmp, "child");
      const script = `
        const client = require(${JSON.stringify(join(ROOT, "dist/cjs/prom-client.cjs"))});
        const c = new client.Counter({ name: "http_requests_total", help: "Requests.", labelNames: ["route", "code"] });
        c.labels("/users/:id", 200).inc(5);
        c.inc({ route: "/x", code: "404" }, 0.5);
        const g = new client.Gauge({ name: "temp_celsius", help: "Temperature.", labelNames: ["room"] });
        g.set({ room: "a" }, 36.6);
        g.set({ room: "b" }, -3);
        const h = new client.Histogram({ name: "rt_seconds", help: "Response time.", buckets: [0.01, 0.1, 1] });
        for (const v of [0.0123, 0.05, 5, -2]) h.observe(v);
        client.register.getMetricsAsJSON().then((j) => process.stdout.write(JSON.stringify(j) + "\\n"));
        process.stdin.resume();
      `;
      child = spawn(process.execPath, ["-e", script], {
        env: { ...process.env, STATSFS_EXPORT: "1", STATSFS_EXPORT_NAME: "svc", STATSFS_DIR: dir },
        stdio: ["pipe", "pipe", "inherit"],
      });
      const line = await new Promise<string>((resolve, reject) => {
        let buf = "";
        child?.stdout?.on("data", (d: Buffer) => {
          buf += d.toString();
          if (buf.includes("\n")) resolve(buf.slice(0, buf.indexOf("\n")));
        });
        child?.on("exit", (code) => reject(new Error(`child exited ${code}`)));
      });
      const theirs = JSON.parse(line) as MetricObject[];

      const r = await cli("read", `shm:svc?dir=${dir}`, "--json");
      assert.equal(r.code, 0, r.err);
      const byPath = new Map<string, Map<string, unknown>>();
      for (const s of JSON.parse(r.out) as { "qom-path": string; stats: { name: string; value: unknown }[] }[]) {
        byPath.set(s["qom-path"], new Map(s.stats.map((x) => [x.name, x.value])));
      }
      const stat = (metric: string, labels: Record<string, unknown>, name = metric) => {
        const set = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, String(v)]));
        const keys = Object.keys(set);
        const path = keys.length
          ? [...byPath.keys()].find((p) => {
              const l = decodeLabelSet(p.split("/").pop() as string);
              return (
                p.startsWith(`/svc/${metric}/`) &&
                l !== undefined &&
                JSON.stringify(l) === JSON.stringify(Object.fromEntries(keys.sort().map((k) => [k, set[k]])))
              );
            })
          : `/svc/${metric}`;
        return byPath.get(path as string)?.get(name);
      };
      let checked = 0;
      for (const m of theirs) {
        if (m.type === "histogram") {
          const buckets = m.values.filter((v) => v.metricName?.endsWith("_bucket"));
          const counts = buckets.map((v, i) => v.value - (i > 0 ? (buckets[i - 1]?.value as number) : 0));
          assert.deepEqual(stat(m.name, {}), counts, m.name);
          assert.equal(stat(m.name, {}, `${m.name}_sum`), m.values.find((v) => v.metricName?.endsWith("_sum"))?.value);
          checked++;
          continue;
        }
        for (const v of m.values) {
          assert.equal(stat(m.name, v.labels), v.value, `${m.name} ${JSON.stringify(v.labels)}`);
          checked++;
        }
      }
      assert.equal(checked, 5);
      assert.equal(stat("temp_celsius", { room: "a" }), 36.6);
      assert.equal(stat("temp_celsius", { room: "b" }), -3);

      const text = await cli("read", `shm:svc?dir=${dir}`);
      assert.match(text.out, /http_requests_total\{code="200",route="\/users\/:id"\}/);

      // top's totals are read's: a metric's node sums its label sets once (it was counted again
      // beside the root's aggregate: 11 for 5.5).
      const top = await cli("top", "-1", `shm:svc?dir=${dir}`);
      assert.equal(top.code, 0, top.err);
      assert.match(top.out, /^http_requests_total\s+5\.5\s/m);
      assert.match(top.out, /^rt_seconds\s+4\s/m);
      assert.match(top.out, /^temp_celsius\s+33\.6\s/m);

      // What serve --http shm:svc renders: every label set with its labels and exact value.
      await using src = await openSource(`shm:svc?dir=${dir}`);
      await src.poll();
      const om = renderExposition(src.files, "text");
      // The metrics' HELP texts, from the schema's description block.
      assert.match(om, /^# HELP statsfs_svc_http_requests_total Requests\.$/m);
      assert.match(om, /^# HELP statsfs_svc_temp_celsius Temperature\.$/m);
      assert.match(om, /^# HELP statsfs_svc_rt_seconds Response time\.$/m);
      assert.match(om, /^statsfs_svc_http_requests_total\{source="\/svc\/http_requests_total",code="200",route="\/users\/:id"\} 5$/m);
      assert.match(om, /^statsfs_svc_http_requests_total\{source="\/svc\/http_requests_total",code="404",route="\/x"\} 0\.5$/m);
      assert.match(om, /^statsfs_svc_temp_celsius\{source="\/svc\/temp_celsius",room="a"\} 36\.6$/m);
      assert.match(om, /^statsfs_svc_temp_celsius\{source="\/svc\/temp_celsius",room="b"\} -3$/m);
      assert.match(om, /^statsfs_svc_rt_seconds_bucket\{source="\/svc\/rt_seconds",le="0\.1"\} 3$/m);
      assert.match(om, /^statsfs_svc_rt_seconds_sum\{source="\/svc\/rt_seconds"\} 3\.0622999999999996$/m); // 0.0123 + 0.05 + 5 - 2 in doubles, as the child summed it
      closeSync(openSync(join(dir, "svc", `${child.pid}.stats`), "r"));
    });
  });
});
