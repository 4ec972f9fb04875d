/**
 * @module bench/producer/prom-client
 * statsfs/prom-client against prom-client 15, the same calls in the same run: an unlabelled
 * `counter.inc()`, a kept child's `inc()` (1,000 children, round robin), `counter.labels(…).inc()`
 * looked up each time (two labels, 1,000 label sets), an unlabelled `gauge.set()`, an unlabelled
 * `histogram.observe()` with custom buckets (prom-client's default bounds), and memory per series
 * (100 counters × 1,000 label sets, after a full GC, heap plus array buffers). Each timed
 * function runs an inner loop of {@link OPS} calls; rounds interleave, the median is kept; the
 * values are checked afterwards, so no loop can be optimized away.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as ours from "../../src/prom-client/index.js";
import type { BenchCase } from "../case.js";
import { compare, round3 } from "../harness.js";
import { client } from "./peers.js";

const OPS = 1000;
const BATCH = 200;
const LABELS = 1000;
const METRICS = 100;
const H = { help: "h" };

function perOp(t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, round3(v / OPS)]));
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench prom-client: ${what} did not count (loop optimized away?)`);
}

/** The value of an unlabelled counter or gauge, as each library's get() gives it. */
async function current(m: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await m.get()).values[0]?.value ?? Number.NaN;
}

function row(name: string, t: Record<string, number>, note: string): BenchCase {
  return { case: `prom-client API: ${name}`, unit: "ns/op", ours: t.ours ?? 0, peers: { "prom-client 15": t.prom ?? 0 }, note };
}

async function counterInc(): Promise<BenchCase> {
  const c = new ours.Counter({ name: "c_total", ...H, registers: [new ours.Registry()] });
  const p = new client.Counter({ name: "c_total", ...H, registers: [new client.Registry()] });
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) c.inc();
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) p.inc();
        },
      },
      BATCH,
    ),
  );
  check((await current(c)) === (await current(p)), "counter.inc()");
  return row("counter.inc()", t, "unlabelled counter");
}

async function childInc(): Promise<BenchCase> {
  const c = new ours.Counter({ name: "c_total", ...H, labelNames: ["method", "route"], registers: [new ours.Registry()] });
  const p = new client.Counter({ name: "c_total", ...H, labelNames: ["method", "route"], registers: [new client.Registry()] });
  const oc = Array.from({ length: LABELS }, (_, i) => c.labels("GET", `/r${i}`));
  const pc = Array.from({ length: LABELS }, (_, i) => p.labels("GET", `/r${i}`));
  let k0 = 0;
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) (oc[(k0 + k) % LABELS] as ours.CounterChild).inc();
          k0 += 7;
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) (pc[(k0 + k) % LABELS] as { inc(): void }).inc();
          k0 += 7;
        },
      },
      BATCH,
    ),
  );
  const sum = async (m: { get(): Promise<{ values: { value: number }[] }> }) => (await m.get()).values.reduce((a, v) => a + v.value, 0);
  check((await sum(c)) === (await sum(p)), "child.inc()");
  return row("cached child.inc()", t, "goal >= 20x; kept labels(method, route) children, 1,000 label sets round robin");
}

async function labelsInc(): Promise<BenchCase> {
  const c = new ours.Counter({ name: "c_total", ...H, labelNames: ["method", "route"], registers: [new ours.Registry()] });
  const p = new client.Counter({ name: "c_total", ...H, labelNames: ["method", "route"], registers: [new client.Registry()] });
  const routes = Array.from({ length: LABELS }, (_, i) => `/r${i}`);
  let k0 = 0;
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) c.labels("GET", routes[(k0 + k) % LABELS] as string).inc();
          k0 += 7;
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) p.labels("GET", routes[(k0 + k) % LABELS] as string).inc();
          k0 += 7;
        },
      },
      BATCH,
    ),
  );
  const size = async (m: { get(): Promise<{ values: unknown[] }> }) => (await m.get()).values.length;
  check((await size(c)) === LABELS && (await size(p)) === LABELS, "labels().inc()");
  return row("counter.labels(…).inc()", t, "goal >= 5x; labels(method, route) looked up on every call, 1,000 label sets");
}

async function gaugeSet(): Promise<BenchCase> {
  const g = new ours.Gauge({ name: "g", ...H, registers: [new ours.Registry()] });
  const p = new client.Gauge({ name: "g", ...H, registers: [new client.Registry()] });
  let x = 0;
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) g.set(x++ * 0.5);
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) p.set(x++ * 0.5);
        },
      },
      BATCH,
    ),
  );
  check((await current(g)) > 0 && (await current(p)) > 0, "gauge.set()");
  return row("gauge.set()", t, "unlabelled gauge, fractional values");
}

async function histogramObserve(): Promise<BenchCase> {
  const buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
  const h = new ours.Histogram({ name: "h", ...H, buckets, registers: [new ours.Registry()] });
  const p = new client.Histogram({ name: "h", ...H, buckets, registers: [new client.Registry()] });
  const xs = new Float64Array(4096);
  let seed = 12345;
  for (let i = 0; i < xs.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    xs[i] = 10 ** (-4 + (5 * seed) / 2 ** 32); // 100 µs … 10 s, log-uniform
  }
  let k0 = 0;
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) h.observe(xs[(k0 + k) & 4095] as number);
          k0 += 3;
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) p.observe(xs[(k0 + k) & 4095] as number);
          k0 += 3;
        },
      },
      BATCH,
    ),
  );
  const count = async (m: { get(): Promise<{ values: { metricName?: string; value: number }[] }> }) =>
    (await m.get()).values.find((v) => v.metricName === "h_count")?.value;
  check((await count(h)) === (await count(p)), "histogram.observe()");
  return row("histogram.observe()", t, "goal >= 20x; unlabelled, prom-client's 11 default bounds as custom buckets");
}

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function used(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function bytesPerSeries(build: () => unknown): number {
  const before = used();
  const keep = build();
  const after = used();
  if (!keep) throw new Error("bench prom-client memory: nothing built");
  return (after - before) / (METRICS * LABELS);
}

function memory(): BenchCase {
  // The same strings for both (a service's label values come from its requests either way).
  const routes = Array.from({ length: LABELS }, (_, i) => `/r${i}`);
  const mine = bytesPerSeries(() => {
    const reg = new ours.Registry();
    for (let i = 0; i < METRICS; i++) {
      const c = new ours.Counter({ name: `v${i}_total`, ...H, labelNames: ["route"], registers: [reg] });
      for (let s = 0; s < LABELS; s++) c.labels(routes[s]).inc();
    }
    return reg;
  });
  const theirs = bytesPerSeries(() => {
    const reg = new client.Registry();
    for (let i = 0; i < METRICS; i++) {
      const c = new client.Counter({ name: `v${i}_total`, ...H, labelNames: ["route"], registers: [reg] });
      for (let s = 0; s < LABELS; s++) c.labels(routes[s] as string).inc();
    }
    return reg;
  });
  return {
    case: "prom-client API: memory per series (100 metrics x 1,000 label sets)",
    unit: "bytes/series",
    ours: round3(mine),
    peers: { "prom-client 15": round3(theirs) },
    note: "goal <= 1/3 of prom-client's; heap + ArrayBuffers after GC, label strings shared by both",
  };
}

/** Every prom-client API case. */
export async function promClientCases(): Promise<BenchCase[]> {
  return [await counterInc(), await childInc(), await labelsInc(), await gaugeSet(), await histogramObserve(), memory()];
}
