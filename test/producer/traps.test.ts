/**
 * The native producer API has no silent traps: every number is added, stored or counted as
 * given, or refused at the call with one line naming the value and the number; a value used
 * with labels never shows an unlabelled series below zero or above the sum of its parts; label
 * values are what prom-client takes (numbers, long strings); a source cannot pose as a label set.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { DefinitionError, ValueError } from "../../src/errors.js";
import { encodeLabelSet } from "../../src/model/label-set.js";
import { statValue } from "../../src/model/value.js";
import { collectDefaultMetrics, createSource, liveSource, Registry } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import { metrics } from "../../src/views/http/prometheus.js";

const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const tmp = mkdtempSync(join(base, "statsfs-traps-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const U64_MAX = 2n ** 64n - 1n;

/** Asserts that `fn` throws a one-line ValueError whose message contains every part. */
function refused(fn: () => void, ...parts: string[]): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ValueError, `expected a ValueError, got ${String(e)}`);
    assert.doesNotMatch(e.message, /\n/);
    for (const p of parts) assert.ok(e.message.includes(p), `${JSON.stringify(e.message)} should name ${p}`);
    return true;
  });
}

/** Every series value of an exposition, as bigints where integral. */
function seriesValues(text: string): { line: string; value: number }[] {
  return text
    .split("\n")
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((line) => ({ line, value: Number(line.slice(line.lastIndexOf(" ") + 1)) }));
}

describe("counters: inc(n) adds n, or is refused", () => {
  it("inc(5) adds 5; inc() adds 1; inc(0.5), inc(-1), inc(NaN), inc({…}) are refused and add nothing", () => {
    using s = createSource("http");
    const { requests } = s.addValues({ requests: {} });
    requests.inc(5);
    requests.inc();
    requests.inc(0);
    requests.inc(2 ** 32 + 3);
    assert.equal(requests.get(), 6n + 2n ** 32n + 3n);
    const before = requests.get();
    refused(() => requests.inc(0.5), "requests", "inc(0.5)", "integer");
    refused(() => requests.inc(-1), "inc(-1)");
    refused(() => requests.inc(Number.NaN), "inc(NaN)");
    refused(() => requests.inc(Number.POSITIVE_INFINITY), "inc(Infinity)");
    refused(() => (requests.inc as (x: unknown) => void)({ method: "GET" }), "inc(");
    refused(() => requests.add(-5), "add(-5)");
    refused(() => requests.add(2.5), "add(2.5)");
    refused(() => (requests.add as (x: unknown) => void)("3"), "add(");
    refused(() => requests.addBig(-1n), "addBig(-1n)");
    assert.equal(requests.get(), before);
  });
});

describe("gauges, peaks and histograms take integers, or refuse", () => {
  it("gauge.set(36.6) is refused (was: stored 36); set/add/sub of integers are exact", () => {
    using s = createSource("g");
    const { temp } = s.addValues({ temp: { type: "instant" } });
    temp.set(36);
    refused(() => temp.set(36.6), "temp", "set(36.6)");
    refused(() => temp.add(0.5), "add(0.5)");
    refused(() => temp.sub(1.5), "sub(1.5)");
    refused(() => (temp.set as (x: unknown) => void)(undefined), "set(undefined)");
    assert.equal(temp.get(), 36n);
    temp.add(-6);
    temp.sub(10);
    temp.set(2 ** 40);
    temp.add(-(2 ** 33));
    assert.equal(temp.get(), 2n ** 40n - 2n ** 33n);
  });

  it("peak.max(2.5) is refused", () => {
    using s = createSource("p");
    const { depth } = s.addValues({ depth: { type: "peak" } });
    depth.max(3);
    refused(() => depth.max(2.5), "depth", "max(2.5)");
    depth.max(2 ** 35);
    depth.max(7);
    assert.equal(depth.get(), 2n ** 35n);
  });

  it("hist.record(0.0123) and record(-5) are refused (were: bucket 0 with a sum of 0, and a wrapped _sum)", () => {
    using s = createSource("h");
    const { lat, lin } = s.addValues({
      lat: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 8, sum: true },
      lin: { type: "linear-histogram", buckets: 4, bucketSize: 10, sum: true },
    });
    refused(() => lat.record(0.0123), "lat", "record(0.0123)", "integer");
    refused(() => lat.record(-5), "record(-5)");
    refused(() => lin.record(-5), "lin", "record(-5)");
    refused(() => lin.record(12.5), "record(12.5)");
    lat.record(0);
    lat.record(3);
    lat.record(2 ** 40);
    lin.record(12);
    lin.record(2 ** 33);
    assert.deepEqual(lat.get(), [1n, 0n, 1n, 0n, 0n, 0n, 0n, 1n]);
    assert.deepEqual(lin.get(), [0n, 1n, 0n, 1n]);
    const sums = s.values.filter((v) => v.name.endsWith("_sum")).map((v) => (s.value(v.name) as { get(): bigint }).get());
    assert.deepEqual(sums, [3n + 2n ** 40n, 12n + 2n ** 33n]);
  });
});

describe("a value used with labels: the unlabelled series is its own part", () => {
  it("aggregations: [] with labels(): no series of 2^64 - 3; the parent's value is the sum of its parts", () => {
    const reg = new Registry();
    const svc = createSource("svc");
    const v = svc.addValues({
      hits: { aggregations: [] },
      lat: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 8, sum: true, aggregations: [] },
      mean: { aggregations: ["avg"] },
    });
    reg.register(svc);
    v.hits.labels({ code: "200" }).add(2);
    v.hits.labels({ code: "500" }).add(1);
    v.lat.labels({ kind: "minor" }).record(100);
    v.lat.labels({ kind: "major" }).record(5000);
    v.mean.add(4);
    v.mean.labels({ a: "1" }).add(10);
    v.mean.labels({ a: "2" }).add(20);
    const text = metrics(reg);
    for (const { line, value } of seriesValues(text)) assert.ok(value < 2 ** 63, `no wrapped value: ${line}`);
    assert.match(text, /^statsfs_svc_hits_total\{source="\/svc",code="200"\} 2$/m);
    assert.doesNotMatch(text, /^statsfs_svc_hits_total\{source="\/svc"\}/m, "its own part is 0: not shown");
    assert.doesNotMatch(text, /^statsfs_svc_lat_seconds_count\{source="\/svc"\}/m);
    assert.match(text, /^statsfs_svc_lat_seconds_count\{source="\/svc",kind="major"\} 1$/m);
    assert.match(text, /^statsfs_svc_mean_total\{source="\/svc"\} 4$/m);
    assert.match(text, /^statsfs_svc_mean_total\{source="\/svc",a="2"\} 20$/m);
    // The parent's merged file: the sum of its parts, never an avg or a wrapped difference.
    const live = liveSource(reg);
    live.pollSync();
    const f = live.files.find((x) => x.identity.id === "statsfs/svc");
    const value = (name: string) => {
      const d = f?.schema.descriptors.find((x) => x.name === name);
      return d && f ? statValue(d, f.data) : undefined;
    };
    assert.equal(value("hits"), 3n);
    assert.equal(value("mean"), 34n);
    assert.deepEqual(value("lat"), [0n, 0n, 0n, 0n, 0n, 0n, 0n, 2n]);
  });

  it("collectDefaultMetrics: gc pauses by kind never show an unlabelled count above 2^64 (was 36893488147419103230)", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const reg = new Registry();
    using _dm = collectDefaultMetrics({ registry: reg, intervalMs: 0 });
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 20));
    }
    const text = metrics(reg);
    const counts = seriesValues(text).filter((x) => x.line.startsWith("statsfs_process_gc_seconds_count"));
    assert.ok(counts.length > 0, "gc pauses were seen");
    for (const { line, value } of counts) assert.ok(value >= 1 && value < 1e6, line);
    assert.doesNotMatch(text, /^statsfs_process_gc_seconds_count\{source="\/process"\}/m);
  });
});

describe("labels() takes what prom-client takes", () => {
  it("numeric and boolean values become strings; long values (the README's own example) export with the default name_size", async () => {
    const dir = join(tmp, "labels");
    const reg = new Registry();
    const http = createSource("http");
    const v = http.addValues({ requests: {} });
    using _r = reg.register(http, { export: { dir, instance: "t1" } });
    v.requests.labels({ route: "/users/:id", method: "GET" }).inc();
    v.requests.labels({ route: "/api/v1/customers/:customerId/orders", method: "POST" }).inc(2);
    v.requests.labels({ code: 200 }).inc(3);
    v.requests.labels({ ok: true }).inc(4);
    assert.equal(v.requests.labels({ code: 200 }), v.requests.labels({ code: "200" }));
    const text = metrics(reg);
    assert.match(text, /^statsfs_http_requests_total\{source="\/http",code="200"\} 3$/m);
    assert.match(text, /^statsfs_http_requests_total\{source="\/http",ok="true"\} 4$/m);
    await using shm = await openSource(`shm:http?dir=${dir}`);
    await shm.poll();
    const orders = shm.files.find((f) => f.identity.path?.includes("customerId"));
    assert.ok(orders, "the long label set is exported and read back");
    const d = orders.schema.descriptors.find((x) => x.name === "requests");
    assert.ok(d);
    assert.equal(statValue(d, orders.data), 2n);
  });
});

describe("labels() with values of 1 KiB", () => {
  it("exports (a digest directory name) and shm: reads it back with its labels", async () => {
    const dir = join(tmp, "long");
    const reg = new Registry();
    const app = createSource("app");
    const v = app.addValues({ jobs: {} });
    using _r = reg.register(app, { export: { dir, instance: "t1" } });
    const long = `/q/${"x".repeat(1024)}`;
    const wide = "é".repeat(600);
    v.jobs.labels({ path: long }).inc(7);
    v.jobs.labels({ path: wide }).inc(8);
    v.jobs.labels({ path: "short" }).inc(9);
    await using shm = await openSource(`shm:app?dir=${dir}`);
    await shm.poll();
    const byPath = (p: string) => shm.files.find((f) => f.identity.path === `/app/${encodeLabelSet({ path: p })}`);
    for (const [p, n] of [
      [long, 7n],
      [wide, 8n],
      ["short", 9n],
    ] as const) {
      const f = byPath(p);
      assert.ok(f, `label set of ${p.length} characters read back`);
      const d = f.schema.descriptors.find((x) => x.name === "jobs");
      assert.ok(d);
      assert.equal(statValue(d, f.data), n);
    }
    const parent = shm.files.find((f) => f.identity.path === "/app");
    const d = parent?.schema.descriptors.find((x) => x.name === "jobs");
    assert.ok(parent && d);
    assert.equal(statValue(d, parent.data), 24n);
  });
});

describe("a source cannot pose as a label set", () => {
  it('createSource("{method=GET}") is refused, so it never merges with labels({ method: "GET" }) (was: 1000 + 5 as one series)', () => {
    assert.throws(
      () => createSource("{method=GET}"),
      (e: unknown) => e instanceof DefinitionError && /label sets/.test(e.message),
    );
    assert.throws(() => createSource("{x"), DefinitionError);
    using s = createSource("a{b}");
    assert.equal(s.name, "a{b}");
  });
});

describe("gauges stay within u64 by a documented rule", () => {
  it("below zero stays 0, above 2^64-1 stays 2^64-1", () => {
    using s = createSource("r");
    const { g } = s.addValues({ g: { type: "instant" } });
    const saved = process.emitWarning;
    process.emitWarning = () => {};
    try {
      g.set(-3);
      assert.equal(g.get(), 0n);
      g.setBig(U64_MAX + 5n);
      assert.equal(g.get(), U64_MAX);
    } finally {
      process.emitWarning = saved;
    }
  });
});
