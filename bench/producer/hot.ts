/**
 * @module bench/producer/hot
 * Write-path costs, ours beside the peers in one run: counter increment, labeled increment,
 * histogram record, peak update. Each timed function runs an inner loop of {@link OPS} updates
 * (its own call site, so every contender is inlined and monomorphic alike); rounds interleave,
 * the median is kept. Values are checked afterwards so that no loop can be optimized away.
 */

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSource, register } from "../../src/producer/index.js";
import type { BenchCase } from "../case.js";
import { compare, round3 } from "../harness.js";
import { attrSets, client, otel, prom } from "./peers.js";

/** Updates per timed call. */
export const OPS = 1000;
const BATCH = 200;
const LABELS = 1000;

/** Samples: log-uniform over 100 ns … 10 ms, as a latency histogram sees. */
function samples(): Float64Array {
  const xs = new Float64Array(4096);
  let seed = 12345;
  for (let i = 0; i < xs.length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    xs[i] = Math.floor(10 ** (2 + (5 * seed) / 2 ** 32));
  }
  return xs;
}

function perOp(t: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(t).map(([k, v]) => [k, round3(v / OPS)]));
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bench producer: ${what} did not count (loop optimized away?)`);
}

/** Counter increment: one value. */
function counterInc(): BenchCase {
  using src = createSource("bench");
  const { c } = src.addValues({ c: {} });
  // The same, exported: the handle writes into a mapped live file.
  const dir = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "statsfs-bench-"));
  using mapped = createSource("bench-mapped");
  const { c: cm } = mapped.addValues({ c: {} });
  using _reg = register(mapped, { export: { dir, instance: "b" } });
  const f64 = new Float64Array(8);
  const u32 = new Uint32Array(8);
  const reg = prom();
  const pc = new client.Counter({ name: "c_total", help: "c", labelNames: ["route"], registers: [reg] });
  const child = pc.labels("r0");
  const { meter } = otel();
  const oc = meter.createCounter("c");
  const attrs = { route: "r0" };
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) c.inc();
        },
        mapped: () => {
          for (let k = 0; k < OPS; k++) cm.inc();
        },
        f64: () => {
          for (let k = 0; k < OPS; k++) f64[3] = (f64[3] as number) + 1;
        },
        u32: () => {
          for (let k = 0; k < OPS; k++) u32[3] = (u32[3] as number) + 1;
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) child.inc();
        },
        otel: () => {
          for (let k = 0; k < OPS; k++) oc.add(1, attrs);
        },
      },
      BATCH,
    ),
  );
  check(c.get() === BigInt(f64[3] ?? -1) && cm.get() === c.get(), "counter");
  _reg.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    case: "counter inc",
    unit: "ns/op",
    ours: t.ours ?? 0,
    peers: {
      "ours, exported (writes a mapped live file)": t.mapped ?? 0,
      "raw Float64Array[i]++": t.f64 ?? 0,
      "raw Uint32Array[i]++ (wraps at 2^32)": t.u32 ?? 0,
      "prom-client labeled child.inc()": t.prom ?? 0,
      "OpenTelemetry counter.add(1, attrs)": t.otel ?? 0,
    },
    note: "goal <= 1.5x raw typed-array increment, >= 30x faster than prom-client and OpenTelemetry",
  };
}

/** Labeled increment: 1,000 label values, round robin. */
function labeledInc(): BenchCase {
  using parent = createSource("bench-labels");
  const handles = Array.from({ length: LABELS }, (_, i) => parent.addSubordinate(createSource(`r-${i}`)).addValues({ c: {} }).c);
  const routes = Array.from({ length: LABELS }, (_, i) => `r${i}`);
  const reg = prom();
  const pc = new client.Counter({ name: "c_total", help: "c", labelNames: ["route"], registers: [reg] });
  const children = routes.map((r) => pc.labels(r));
  const { meter } = otel();
  const oc = meter.createCounter("c");
  const attrs = attrSets(LABELS);
  let k0 = 0;
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) (handles[(k0 + k) % LABELS] as (typeof handles)[number]).inc();
          k0 += 7;
        },
        promLookup: () => {
          for (let k = 0; k < OPS; k++) pc.labels(routes[(k0 + k) % LABELS] as string).inc();
          k0 += 7;
        },
        promChild: () => {
          for (let k = 0; k < OPS; k++) (children[(k0 + k) % LABELS] as (typeof children)[number]).inc();
          k0 += 7;
        },
        otel: () => {
          for (let k = 0; k < OPS; k++) oc.add(1, attrs[(k0 + k) % LABELS]);
          k0 += 7;
        },
      },
      BATCH,
    ),
  );
  check(
    handles.some((h) => h.get() > 0n),
    "labeled counter",
  );
  return {
    case: "per-source (labeled) inc, 1,000 label values",
    unit: "ns/op",
    ours: t.ours ?? 0,
    peers: {
      "prom-client counter.labels(v).inc()": t.promLookup ?? 0,
      "prom-client cached child.inc()": t.promChild ?? 0,
      "OpenTelemetry counter.add(1, attrs[v])": t.otel ?? 0,
    },
    note: "ours: one subordinate source per label value, its handle kept",
  };
}

/** Histogram record. */
function histogramRecord(): BenchCase {
  const xs = samples();
  using src = createSource("bench-hist");
  const { h, lin } = src.addValues({
    h: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 32 },
    lin: { type: "linear-histogram", unit: "seconds", exponent: -9, buckets: 32, bucketSize: 312_500 },
  });
  const reg = prom();
  const bounds = client.exponentialBuckets(1, 2, 31);
  const ph = new client.Histogram({ name: "h_ns", help: "h", buckets: bounds, registers: [reg] });
  const { meter } = otel();
  const oh = meter.createHistogram("h", { advice: { explicitBucketBoundaries: bounds } });
  const raw = new Float64Array(32);
  let k0 = 0;
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) h.record(xs[(k0 + k) & 4095] as number);
          k0 += 3;
        },
        lin: () => {
          for (let k = 0; k < OPS; k++) lin.record(xs[(k0 + k) & 4095] as number);
          k0 += 3;
        },
        raw: () => {
          for (let k = 0; k < OPS; k++) {
            const x = xs[(k0 + k) & 4095] as number;
            const b = 32 - Math.clz32(x);
            const i = b < 32 ? b : 31;
            raw[i] = (raw[i] as number) + 1;
          }
          k0 += 3;
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) ph.observe(xs[(k0 + k) & 4095] as number);
          k0 += 3;
        },
        otel: () => {
          for (let k = 0; k < OPS; k++) oh.record(xs[(k0 + k) & 4095] as number);
          k0 += 3;
        },
      },
      BATCH,
    ),
  );
  const total = h.get().reduce((a, b) => a + b, 0n);
  check(total === lin.get().reduce((a, b) => a + b, 0n) && total > 0n, "histogram");
  return {
    case: "histogram record (32 buckets)",
    unit: "ns/op",
    ours: t.ours ?? 0,
    peers: {
      "ours, linear histogram": t.lin ?? 0,
      "raw clz32 + Float64Array[b]++": t.raw ?? 0,
      "prom-client histogram.observe()": t.prom ?? 0,
      "OpenTelemetry histogram.record()": t.otel ?? 0,
    },
    note: "goal >= 30x faster than prom-client and OpenTelemetry; same 2^k bucket bounds for all",
  };
}

/** Peak update. */
function peakUpdate(): BenchCase {
  const xs = samples();
  using src = createSource("bench-peak");
  const { p } = src.addValues({ p: { type: "peak" } });
  const raw = new Float64Array(4);
  const reg = prom();
  const pg = new client.Gauge({ name: "g", help: "g", registers: [reg] });
  const { meter } = otel();
  const og = meter.createGauge("g");
  let k0 = 0;
  let promMax = 0;
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k++) p.max(xs[(k0 + k) & 4095] as number);
          k0 += 5;
        },
        raw: () => {
          for (let k = 0; k < OPS; k++) {
            const x = xs[(k0 + k) & 4095] as number;
            if (x > (raw[1] as number)) raw[1] = x;
          }
          k0 += 5;
        },
        prom: () => {
          for (let k = 0; k < OPS; k++) {
            const x = xs[(k0 + k) & 4095] as number;
            if (x > promMax) {
              promMax = x;
              pg.set(x);
            }
          }
          k0 += 5;
        },
        promSet: () => {
          for (let k = 0; k < OPS; k++) pg.set(xs[(k0 + k) & 4095] as number);
          k0 += 5;
        },
        otel: () => {
          for (let k = 0; k < OPS; k++) og.record(xs[(k0 + k) & 4095] as number);
          k0 += 5;
        },
      },
      BATCH,
    ),
  );
  check(p.get() === BigInt(raw[1] ?? -1), "peak");
  return {
    case: "peak update",
    unit: "ns/op",
    ours: t.ours ?? 0,
    peers: {
      "raw compare + Float64Array store": t.raw ?? 0,
      "prom-client gauge, caller keeps the max": t.prom ?? 0,
      "prom-client gauge.set() every sample": t.promSet ?? 0,
      "OpenTelemetry gauge.record() (last value)": t.otel ?? 0,
    },
  };
}

/** Gauge up and down (an in-flight count): the range check must cost nothing measurable. */
function gaugeIncDec(): BenchCase {
  using src = createSource("bench-gauge");
  const { g } = src.addValues({ g: { type: "instant" } });
  g.set(1);
  const raw = new Float64Array(4);
  raw[1] = 1;
  const reg = prom();
  const pg = new client.Gauge({ name: "inflight", help: "g", registers: [reg] });
  const { meter } = otel();
  const og = meter.createUpDownCounter("inflight");
  const t = perOp(
    compare(
      {
        ours: () => {
          for (let k = 0; k < OPS; k += 2) {
            g.inc();
            g.dec();
          }
        },
        raw: () => {
          for (let k = 0; k < OPS; k += 2) {
            raw[1] = (raw[1] as number) + 1;
            raw[1] = (raw[1] as number) - 1;
          }
        },
        prom: () => {
          for (let k = 0; k < OPS; k += 2) {
            pg.inc();
            pg.dec();
          }
        },
        otel: () => {
          for (let k = 0; k < OPS; k += 2) {
            og.add(1);
            og.add(-1);
          }
        },
      },
      BATCH,
    ),
  );
  check(g.get() === 1n && raw[1] === 1, "gauge");
  return {
    case: "gauge inc + dec",
    unit: "ns/op",
    ours: t.ours ?? 0,
    peers: {
      "raw Float64Array[i] += 1, -= 1": t.raw ?? 0,
      "prom-client gauge.inc() / dec()": t.prom ?? 0,
      "OpenTelemetry upDownCounter.add(±1)": t.otel ?? 0,
    },
    note: "ours never goes below zero (kept at 0 with one warning), checked on every dec",
  };
}

/** The write-path cases. */
export function hotCases(): BenchCase[] {
  return [counterInc(), labeledInc(), histogramRecord(), peakUpdate(), gaugeIncDec()];
}
