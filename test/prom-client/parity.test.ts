/**
 * statsfs/prom-client against prom-client 15, operation for operation: each case runs the same
 * calls on a fresh registry of each library and compares the exposition text (0.0.4 and, where
 * the case says, OpenMetrics), `getMetricsAsJSON()` and what each call threw. The cases follow
 * the behaviour prom-client's own tests describe (counter, gauge, histogram, summary, registry,
 * exemplars), written here as our own table.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import * as ours from "../../src/prom-client/index.js";

const require = createRequire(import.meta.url);
// biome-ignore lint/suspicious/noExplicitAny: the peer is untyped CommonJS here, driven by the same calls as ours
type Client = any;
const peer: Client = require("prom-client");

interface Case {
  readonly name: string;
  /** Runs on `client` with `reg` (a fresh registry of that library); what it returns is compared too. */
  readonly run: (client: Client, reg: Client) => unknown;
  /** Also compare the OpenMetrics text (a registry of that type). */
  readonly openMetrics?: boolean;
}

const H = { help: "help text" };

/** Calls `f`, turning a throw into a comparable value (class name and message). */
function attempt(f: () => unknown): unknown {
  try {
    const r = f();
    return r === undefined ? "ok" : r;
  } catch (e) {
    return `threw ${(e as Error).constructor.name}: ${(e as Error).message}`;
  }
}

const CASES: Case[] = [
  // Counter
  {
    name: "counter: inc(), inc(5), inc(0.5), refused values",
    run: (c, reg) => {
      const m = new c.Counter({ name: "c_total", ...H, registers: [reg] });
      m.inc();
      m.inc(5);
      m.inc(0.5);
      return [attempt(() => m.inc(-1)), attempt(() => m.inc(Number.POSITIVE_INFINITY)), attempt(() => m.inc("3")), attempt(() => m.inc(0))];
    },
  },
  {
    name: "counter: labels by object, by position, numeric values, order of first use",
    run: (c, reg) => {
      const m = new c.Counter({ name: "req_total", ...H, labelNames: ["method", "code"], registers: [reg] });
      m.inc({ method: "GET", code: 200 });
      m.inc({ code: "200", method: "GET" }, 2);
      m.labels("POST", "500").inc();
      m.labels({ code: 404, method: "GET" }).inc(3);
      m.inc({ method: "PUT" });
      m.inc();
      return [attempt(() => m.inc({ bogus: 1 })), attempt(() => m.labels("a")), attempt(() => m.labels({ nope: 1 }).inc())];
    },
  },
  {
    name: "counter: remove, reset, re-created series goes last",
    run: (c, reg) => {
      const m = new c.Counter({ name: "r_total", ...H, labelNames: ["k"], registers: [reg] });
      const a = m.labels("a");
      a.inc();
      m.labels("b").inc(2);
      m.labels("c").inc(3);
      m.remove("a");
      a.inc(7);
      m.remove({ k: "b" });
      const u = new c.Counter({ name: "u_total", ...H, registers: [reg] });
      u.inc(4);
      u.reset();
      const l = new c.Counter({ name: "l_total", ...H, labelNames: ["k"], registers: [reg] });
      const kept = l.labels("x");
      kept.inc(2);
      l.reset();
      kept.inc();
      return attempt(() => m.remove("x", "y"));
    },
  },
  {
    name: "counter: escaping of help and label values, undefined and missing labels",
    run: (c, reg) => {
      const m = new c.Counter({ name: "e_total", help: 'a\\b\nc "q"', labelNames: ["p", "q"], registers: [reg] });
      m.inc({ p: 'x"y\\z\nw', q: "" });
      m.inc({ p: undefined, q: "only q" });
      m.inc({ q: "v" });
      m.inc({ p: "a,b:c", q: "d" });
      m.inc({ p: "a", q: "b,c:d" });
    },
  },
  {
    name: "one label: numbers, booleans, undefined, absent, churn past compaction",
    run: (c, reg) => {
      const m = new c.Counter({ name: "one_total", ...H, labelNames: ["code"], registers: [reg] });
      m.inc({ code: 200 });
      m.inc({ code: "200" }, 2);
      m.inc({ code: true });
      m.inc({ code: undefined });
      m.inc({});
      m.inc();
      const kept = m.labels("kept");
      kept.inc();
      for (let round = 0; round < 5; round++) {
        for (let i = 0; i < 100; i++) m.labels(`r${i}`).inc(i);
        for (let i = 0; i < 100; i += round + 1) m.remove(`r${i}`);
        kept.inc();
      }
      m.remove(200);
      const g = new c.Gauge({ name: "one_g", ...H, labelNames: ["code"], registers: [reg] });
      for (let i = 0; i < 150; i++) g.set({ code: i % 3 ? `${i}` : i }, i / 4);
      for (let i = 0; i < 150; i += 2) g.remove(i % 3 ? `${i}` : i);
      for (let i = 0; i < 150; i++) g.inc({ code: `${i}` });
      const s = new c.Summary({ name: "one_s", ...H, labelNames: ["k"], percentiles: [0.5], registers: [reg] });
      for (let i = 0; i < 80; i++) s.observe({ k: i % 7 }, i);
      s.remove(3);
    },
  },
  // Gauge
  {
    name: "gauge: set, inc, dec, negative and fractional values, NaN and infinities",
    run: (c, reg) => {
      const g = new c.Gauge({ name: "g", ...H, registers: [reg] });
      g.set(36.6);
      g.dec(40);
      g.inc(0.25);
      const n = new c.Gauge({ name: "g_nan", ...H, registers: [reg] });
      n.set(Number.NaN);
      const i = new c.Gauge({ name: "g_inf", ...H, labelNames: ["s"], registers: [reg] });
      i.set({ s: "+" }, Number.POSITIVE_INFINITY);
      i.set({ s: "-" }, Number.NEGATIVE_INFINITY);
      i.set({ s: "big" }, 2 ** 60);
      i.set({ s: "tiny" }, 1e-7);
      return [attempt(() => g.set("1")), attempt(() => g.inc(null)), attempt(() => g.set({ bad: 1 }, 1)), g._getValue()];
    },
  },
  {
    name: "gauge: labels, children, set() takes the key order of the labels given last",
    run: (c, reg) => {
      const g = new c.Gauge({ name: "gl", ...H, labelNames: ["a", "b"], registers: [reg] });
      g.set({ a: 1, b: 2 }, 1);
      g.set({ b: 2, a: 1 }, 2);
      g.inc({ a: 3, b: 4 }, 5);
      g.dec({ b: 4, a: 3 });
      const ch = g.labels("x", "y");
      ch.set(9);
      ch.inc();
      ch.dec(0.5);
      g.labels({ b: "q", a: "p" }).set(1);
      g.set({ a: "p", b: "q" }, 2);
      g.labels({ b: "q", a: "p" }).inc();
      g.remove("x", "y");
      g.set(7);
      return [g._getValue({ a: 1, b: 2 }), g._getValue({ a: "nope" })];
    },
  },
  {
    name: "gauge: reset keeps the unlabelled series at 0, drops labelled ones",
    run: (c, reg) => {
      const g = new c.Gauge({ name: "gr", ...H, registers: [reg] });
      g.set(3);
      g.reset();
      const l = new c.Gauge({ name: "grl", ...H, labelNames: ["x"], registers: [reg] });
      l.set({ x: "1" }, 1);
      l.reset();
      l.inc({ x: "2" });
    },
  },
  // Histogram
  {
    name: "histogram: default buckets, bound edges, _sum/_count/+Inf",
    run: (c, reg) => {
      const h = new c.Histogram({ name: "h", ...H, registers: [reg] });
      for (const v of [0.005, 0.0051, 0.01, 0.3, 10, 11, -1, 0]) h.observe(v);
      return [attempt(() => h.observe(Number.NaN)), attempt(() => h.observe("1")), attempt(() => h.observe())];
    },
  },
  {
    name: "histogram: custom buckets, labels, children, zero, remove, reset",
    run: (c, reg) => {
      const h = new c.Histogram({
        name: "hl",
        ...H,
        labelNames: ["route", "code"],
        buckets: c.linearBuckets(0.1, 0.2, 5),
        registers: [reg],
      });
      h.observe({ route: "/a", code: 200 }, 0.3);
      h.labels("/b", "500").observe(2);
      h.labels({ code: "200", route: "/a" }).observe(0.1);
      h.zero({ route: "/z", code: "0" });
      h.observe(0.2);
      const e = new c.Histogram({ name: "he", ...H, buckets: c.exponentialBuckets(1, 2, 20), registers: [reg] });
      for (let i = 0; i < 50; i++) e.observe(i * i * 37);
      const r = new c.Histogram({ name: "hr", ...H, buckets: [1, 2], registers: [reg] });
      r.observe(1);
      r.reset();
      h.remove("/b", "500");
      return [
        attempt(() => new c.Histogram({ name: "bad", ...H, labelNames: ["le"], registers: [reg] })),
        attempt(() => h.observe({ x: 1 }, 1)),
      ];
    },
  },
  {
    name: "histogram: many buckets (binary search), observe(0)",
    run: (c, reg) => {
      const h = new c.Histogram({ name: "hb", ...H, buckets: c.linearBuckets(0, 1, 40), registers: [reg] });
      for (let i = -2; i < 45; i += 0.5) h.observe(i);
      h.observe(0);
    },
  },
  // Summary
  {
    name: "summary: quantiles, sum, count, labels, reset keeps series",
    run: (c, reg) => {
      const s = new c.Summary({ name: "s", ...H, registers: [reg] });
      for (let i = 1; i <= 100; i++) s.observe(i);
      const l = new c.Summary({ name: "sl", ...H, labelNames: ["m"], percentiles: [0.1, 0.5, 0.9], registers: [reg] });
      for (let i = 0; i < 30; i++) l.observe({ m: i % 2 ? "odd" : "even" }, i * 1.5);
      l.labels("x").observe(3);
      const r = new c.Summary({ name: "sr", ...H, labelNames: ["m"], registers: [reg] });
      r.observe({ m: "a" }, 1);
      r.reset();
      return [
        attempt(() => s.observe(Number.NaN)),
        attempt(() => new c.Summary({ name: "q", ...H, labelNames: ["quantile"], registers: [reg] })),
      ];
    },
  },
  {
    name: "summary: sliding window options",
    run: (c, reg) => {
      const s = new c.Summary({ name: "sw", ...H, maxAgeSeconds: 600, ageBuckets: 5, registers: [reg] });
      for (let i = 0; i < 20; i++) s.observe(i);
    },
  },
  // Registry
  {
    name: "registry: default labels, collect callbacks (sync and async), getSingleMetric, remove, text of one metric",
    run: async (c, reg) => {
      reg.setDefaultLabels({ app: "svc", method: "default" });
      const m = new c.Counter({ name: "d_total", ...H, labelNames: ["method"], registers: [reg] });
      m.inc({ method: "GET" });
      m.inc();
      const h = new c.Histogram({ name: "dh", ...H, labelNames: ["method"], buckets: [1], registers: [reg] });
      h.observe({ method: "GET" }, 0.5);
      let n = 0;
      new c.Gauge({
        name: "collected",
        ...H,
        registers: [reg],
        collect() {
          this.set(++n);
        },
      });
      new c.Gauge({
        name: "collected_async",
        ...H,
        registers: [reg],
        async collect() {
          await new Promise((r) => setTimeout(r, 1));
          this.set(42);
        },
      });
      new c.Gauge({ name: "gone", ...H, registers: [reg] });
      reg.removeSingleMetric("gone");
      return [
        reg.getSingleMetric("d_total") === m,
        reg.getSingleMetric("nope"),
        await reg.getSingleMetricAsString("dh"),
        attempt(() => new c.Gauge({ name: "d_total", ...H, registers: [reg] })),
      ];
    },
  },
  {
    name: "registry: resetMetrics, clear, merge, content types, names",
    run: (c, reg) => {
      const m = new c.Counter({ name: "x_total", ...H, registers: [reg] });
      m.inc(3);
      const other = new c.Registry();
      new c.Gauge({ name: "y", ...H, registers: [other] }).set(2);
      reg.resetMetrics();
      const merged = c.Registry.merge([reg, other]);
      const empty = new c.Registry();
      new c.Gauge({ name: "z", ...H, registers: [empty] });
      empty.clear();
      return [
        merged.getMetricsAsArray().map((x: { name: string }) => x.name),
        empty.getMetricsAsArray().length,
        attempt(() => c.Registry.merge([reg, new c.Registry(c.Registry.OPENMETRICS_CONTENT_TYPE)])),
        attempt(() => new c.Registry("text/html")),
        attempt(() => reg.setContentType("x")),
        c.prometheusContentType,
        c.openMetricsContentType,
        c.Registry.PROMETHEUS_CONTENT_TYPE,
        c.Registry.OPENMETRICS_CONTENT_TYPE,
        c.validateMetricName("a:b_c"),
        c.validateMetricName("1a"),
        c.validateMetricName("a-b"),
        attempt(() => new c.Counter({ name: "bad-name", ...H, registers: [reg] })),
        attempt(() => new c.Counter({ name: "n", help: "", registers: [reg] })),
        attempt(() => new c.Counter({ name: "n", ...H, labelNames: ["a-b"], registers: [reg] })),
        attempt(() => new c.Counter({ name: "n", ...H, collect: 3, registers: [reg] })),
        attempt(() => new c.Counter("n")),
        c.linearBuckets(0.1, 0.1, 7),
        c.exponentialBuckets(0.001, 1.5, 9),
        attempt(() => c.linearBuckets(0, 1, 0)),
        attempt(() => c.exponentialBuckets(0, 2, 3)),
        attempt(() => c.exponentialBuckets(1, 1, 3)),
      ];
    },
  },
  {
    name: "OpenMetrics: counters get _total, # EOF, histograms and summaries",
    openMetrics: true,
    run: (c, reg) => {
      new c.Counter({ name: "om_requests_total", ...H, labelNames: ["k"], registers: [reg] }).inc({ k: "v" }, 2);
      new c.Counter({ name: "om_plain", ...H, registers: [reg] }).inc();
      new c.Gauge({ name: "om_g", ...H, registers: [reg] }).set(-1.5);
      new c.Histogram({ name: "om_h", ...H, buckets: [1, 5], registers: [reg] }).observe(3);
    },
  },
  {
    name: "exemplars: counter and histogram (timestamps masked)",
    openMetrics: true,
    run: (c, reg) => {
      const m = new c.Counter({ name: "ex_total", ...H, labelNames: ["k"], enableExemplars: true, registers: [reg] });
      m.inc({ labels: { k: "a" }, value: 2, exemplarLabels: { traceId: "abc", spanId: "1" } });
      m.inc({ labels: { k: "b" } });
      m.inc({ labels: { k: "a" }, value: 1, exemplarLabels: { traceId: "def" } });
      const h = new c.Histogram({ name: "ex_h", ...H, buckets: [1, 2], enableExemplars: true, registers: [reg] });
      h.observe({ value: 1.5, exemplarLabels: { traceId: "x" } });
      h.observe({ value: 9, exemplarLabels: { traceId: "y" } });
      h.observe({ value: 0.5 });
      return [
        attempt(() => m.inc({ value: 1, exemplarLabels: { t: "x".repeat(130) } })),
        attempt(() => new c.Counter({ name: "ex2", ...H, enableExemplars: true })),
      ];
    },
  },
];

/** Timestamps of exemplars differ by when they ran; everything else must not. */
function mask(text: string): string {
  return text.replace(/ (\d+(\.\d+)?)\n/g, (all, _t, _f, off, s: string) =>
    s.lastIndexOf("# {", off) > s.lastIndexOf("\n", off) ? " T\n" : all,
  );
}

function maskJson(x: unknown): unknown {
  return JSON.parse(JSON.stringify(x, (k, v) => (k === "timestamp" ? "T" : v)));
}

async function runOn(client: Client, c: Case): Promise<{ text: string; json: unknown; result: unknown }> {
  const reg = new client.Registry(c.openMetrics ? client.Registry.OPENMETRICS_CONTENT_TYPE : client.Registry.PROMETHEUS_CONTENT_TYPE);
  const result = await c.run(client, reg);
  const text = mask(await reg.metrics());
  const json = await reg.getMetricsAsJSON();
  return { text, json, result: typeof result === "string" ? mask(result) : result };
}

describe("statsfs/prom-client prints what prom-client prints for the same operations", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      const theirs = await runOn(peer, c);
      const mine = await runOn(ours, c);
      assert.equal(mine.text, theirs.text);
      assert.deepEqual(maskJson(mine.json), maskJson(theirs.json));
      assert.deepEqual(mine.result, theirs.result);
      // The exposition is also stable when asked twice (collect callbacks aside).
      if (!c.name.startsWith("registry: default")) assert.equal((await runOn(ours, c)).text, mine.text);
    });
  }
});

describe("statsfs/prom-client: timers and clocks label and count as prom-client's", () => {
  it("startTimer (gauge, histogram, summary; start and end labels), setToCurrentTime", async () => {
    const run = async (c: Client) => {
      const reg = new c.Registry();
      const g = new c.Gauge({ name: "tg", ...H, labelNames: ["a", "b"], registers: [reg] });
      const h = new c.Histogram({ name: "th", ...H, labelNames: ["a", "b"], buckets: [100], registers: [reg] });
      const s = new c.Summary({ name: "ts", ...H, labelNames: ["a", "b"], percentiles: [0.5], registers: [reg] });
      const ends = [g.startTimer({ a: "1" }), h.startTimer({ a: "1" }), s.startTimer({ a: "1" }), g.labels("x", "y").startTimer()];
      const hc = h.labels("p", "q").startTimer();
      const returned = ends.map((end, i) => end(i === 3 ? undefined : { b: "2" }));
      returned.push(hc());
      g.setToCurrentTime({ a: "now", b: "t" });
      g.labels("child", "t").setToCurrentTime();
      const seconds = returned.every((x: unknown) => typeof x === "number" && x >= 0 && x < 10);
      const now = Date.now() / 1000;
      const clock = (await g.get()).values
        .filter((v: { labels: { b?: string } }) => v.labels.b === "t")
        .every((v: { value: number }) => Math.abs(v.value - now) < 10);
      // Durations and clocks differ by when they ran: mask the values, keep names, labels and counts.
      const text = (await reg.metrics()).replace(/^((?:tg|th_sum|ts(?:_sum)?)(?:\{[^}]*\})?) .*$/gm, "$1 V");
      return { text, seconds, clock };
    };
    const theirs = await run(peer);
    const mine = await run(ours);
    assert.equal(mine.text, theirs.text);
    assert.deepEqual([mine.seconds, mine.clock], [true, true]);
    assert.deepEqual([theirs.seconds, theirs.clock], [true, true]);
  });
});
