/**
 * The producer's scrape side: label sets (`counter.labels({…})`), `metrics()`, the node:http
 * handler, default process metrics, and the cluster aggregate read from files (no IPC).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DefinitionError } from "../../src/errors.js";
import { decodeLabelSet, encodeLabelSet } from "../../src/model/label-set.js";
import { collectDefaultMetrics, createSource, Registry } from "../../src/producer/index.js";
import { clusterMetrics, metrics, metricsHandler } from "../../src/views/http/prometheus.js";
import { prometheusSkipReason, promtoolCheck } from "../prometheus/prometheus.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-prodprom-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("producer: label sets", () => {
  it("encode any value into one source-name segment and back", () => {
    const cases = [{ route: "/users/:id", method: "GET" }, { a: 'x"y\\z\n', b: "ü ~.,={}%" }, {}];
    for (const c of cases) {
      const seg = encodeLabelSet(c);
      assert.match(seg, /^\{[\x21-\x7e]*\}$/);
      assert.doesNotMatch(seg.slice(1, -1), /[./~{}]/);
      assert.deepEqual(decodeLabelSet(seg), c);
    }
    assert.equal(encodeLabelSet({ b: "1", a: "2" }), encodeLabelSet({ a: "2", b: "1" }));
    assert.equal(decodeLabelSet("route-1"), undefined);
  });

  it("counter.labels() → a kept handle per set, shown as the parent's family with those labels", () => {
    const reg = new Registry();
    const http = createSource("http");
    const v = http.addValues({
      requests: { writable: true, help: 'HTTP requests served, by "route"' },
      latency: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 16 },
    });
    reg.register(http);
    const get = v.requests.labels({ route: "/users/:id", method: "GET" });
    assert.equal(v.requests.labels({ method: "GET", route: "/users/:id" }), get);
    const odd = v.requests.labels({ route: 'a"b\\c\nd', method: "POST" });
    get.inc();
    get.inc();
    odd.add(5);
    v.latency.labels({ route: "/x" }).record(1000);
    const text = metrics(reg);
    assert.match(text, /^# HELP statsfs_http_requests_total HTTP requests served, by "route"$/m);
    assert.match(metrics(reg, "openmetrics"), /^# HELP statsfs_http_requests HTTP requests served, by \\"route\\"$/m);
    assert.throws(() => createSource("y").addValues({ c: { help: "two\nlines" } }), DefinitionError);
    assert.match(text, /^statsfs_http_requests_total\{source="\/http",method="GET",route="\/users\/:id"\} 2$/m);
    assert.match(text, /^statsfs_http_requests_total\{source="\/http",method="POST",route="a\\"b\\\\c\\\\x0ad"\} 5$/m); // a newline: \x0a by the one escaping function, its backslash escaped
    // The parent's aggregate of its label sets is not a second series of the same family.
    assert.equal(text.match(/^statsfs_http_requests_total/gm)?.length, 2);
    assert.match(text, /^statsfs_http_latency_seconds_bucket\{source="\/http",route="\/x",le="0.000001023"\} 1$/m);
    assert.throws(() => v.requests.labels({ le: "1" }), DefinitionError);
    assert.throws(() => v.requests.labels({ "bad-name": "1" }), DefinitionError);
    assert.throws(() => v.requests.labels({ a: Symbol("x") as unknown as string }), DefinitionError);
    if (!prometheusSkipReason()) assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
  });
});

describe("producer: scrape side", () => {
  it("metricsHandler serves a registry over node:http; default process metrics move", async () => {
    const reg = new Registry();
    using dm = collectDefaultMetrics({ registry: reg, intervalMs: 0 });
    const server = createServer(metricsHandler(reg));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const addr = server.address();
      const url = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}/metrics`;
      let burn = 0;
      for (let i = 0; i < 2e6; i++) burn += Math.sqrt(i);
      assert.ok(burn > 0);
      dm.update();
      const r = await fetch(url, { headers: { Accept: "application/openmetrics-text;version=1.0.0" } });
      assert.equal(r.headers.get("content-type"), "application/openmetrics-text; version=1.0.0; charset=utf-8");
      const om = await r.text();
      assert.match(om, /# EOF\n$/);
      const value = (name: string) => Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, "m").exec(om)?.[1]);
      assert.ok(value("statsfs_process_cpu_user_seconds_total") > 0);
      assert.ok(value("statsfs_process_resident_memory_bytes") > 1_000_000);
      assert.ok(value("statsfs_process_open_fds") > 2);
      assert.ok(value("statsfs_process_max_fds") >= value("statsfs_process_open_fds"));
      assert.ok(Math.abs(value("statsfs_process_start_time_seconds") - (Date.now() / 1000 - process.uptime())) < 5);
      assert.match(om, /^# TYPE statsfs_process_eventloop_lag_seconds histogram$/m);
      assert.equal((await fetch(url, { method: "POST" })).status, 405);
      const text = await (await fetch(url)).text();
      if (!prometheusSkipReason()) assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
    } finally {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("clusterMetrics: the aggregate of several processes' files, read from the files", async () => {
    const dir = join(tmp, "cluster");
    const regs = ["w1", "w2", "w3"].map((instance, i) => {
      const reg = new Registry();
      const app = createSource("app");
      const v = app.addValues({ jobs: {} });
      v.jobs.labels({ queue: "mail" }).add(i + 1);
      v.jobs.labels({ queue: "sms" }).add(10 * (i + 1));
      return reg.register(app, { export: { dir, instance, nameSize: 128 } });
    });
    try {
      const text = await clusterMetrics("app", { dir });
      assert.match(text, /^statsfs_app_jobs_total\{source="\/app",queue="mail"\} 6$/m);
      assert.match(text, /^statsfs_app_jobs_total\{source="\/app",queue="sms"\} 60$/m);
      assert.equal(text.match(/^statsfs_app_jobs_total/gm)?.length, 2);
    } finally {
      for (const r of regs) r.close();
    }
  });
});

describe("producer: histograms that keep their sum", () => {
  it("sum: true adds <name>_sum, record() adds each sample, OpenMetrics shows _sum and _count", () => {
    const reg = new Registry();
    const api = createSource("api");
    const v = api.addValues({
      latency: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 12, sum: true },
      by_route: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 12, sum: true },
    });
    reg.register(api);
    assert.deepEqual(
      api.values.map((x) => x.name),
      ["latency", "latency_sum", "by_route", "by_route_sum"],
    );
    for (const ns of [5, 100, 1000, 2047]) v.latency.record(ns);
    const slow = v.by_route.labels({ route: "/slow" });
    slow.record(1_500_000);
    const om = metrics(reg, "openmetrics");
    assert.match(om, /^statsfs_api_latency_seconds_count\{source="\/api"\} 4$/m);
    assert.match(om, /^statsfs_api_latency_seconds_sum\{source="\/api"\} 0\.000003152$/m);
    assert.match(om, /^statsfs_api_by_route_seconds_sum\{source="\/api",route="\/slow"\} 0\.0015$/m);
    assert.match(om, /^statsfs_api_by_route_seconds_count\{source="\/api",route="\/slow"\} 1$/m);
    // The companion is the histogram's _sum, not a counter of its own.
    assert.doesNotMatch(om, /latency_sum_seconds_total/);
    assert.throws(() => createSource("x").addValues({ c: { sum: true } }), DefinitionError);
  });
});

describe("producer: a value used with and without labels", () => {
  it("the unlabelled part is the parent's own series (its sum minus its label sets'), nothing counted twice", () => {
    const reg = new Registry();
    const svc = createSource("svc");
    const v = svc.addValues({
      hits: {},
      lat: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 8, sum: true },
      peak: { type: "peak" },
    });
    reg.register(svc);
    v.hits.add(7);
    v.hits.labels({ code: "200" }).add(3);
    v.hits.labels({ code: "500" }).add(1);
    v.lat.record(3);
    v.lat.labels({ code: "200" }).record(100);
    v.peak.max(9);
    v.peak.labels({ code: "200" }).max(4);
    const text = metrics(reg);
    assert.match(text, /^statsfs_svc_hits_total\{source="\/svc"\} 7$/m);
    assert.match(text, /^statsfs_svc_hits_total\{source="\/svc",code="200"\} 3$/m);
    assert.match(text, /^statsfs_svc_hits_total\{source="\/svc",code="500"\} 1$/m);
    assert.equal(text.match(/^statsfs_svc_hits_total/gm)?.length, 3);
    assert.match(text, /^statsfs_svc_lat_seconds_count\{source="\/svc"\} 1$/m);
    assert.match(text, /^statsfs_svc_lat_seconds_sum\{source="\/svc"\} 0\.000000003$/m);
    assert.match(text, /^statsfs_svc_lat_seconds_bucket\{source="\/svc",le="0\.000000003"\} 1$/m);
    assert.match(text, /^statsfs_svc_lat_seconds_bucket\{source="\/svc",le="0\.000000001"\} 0$/m);
    assert.match(text, /^statsfs_svc_lat_seconds_sum\{source="\/svc",code="200"\} 0\.0000001$/m);
    // A peak's parent is a max, not a sum: no own part can be told, only the label sets show.
    assert.doesNotMatch(text, /^statsfs_svc_peak\{source="\/svc"\}/m);
    assert.match(text, /^statsfs_svc_peak\{source="\/svc",code="200"\} 4$/m);
    if (!prometheusSkipReason()) assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
  });
});
