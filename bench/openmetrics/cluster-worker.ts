/**
 * @module bench/openmetrics/cluster-worker
 * One worker of the cluster benchmark: the same 1,000 series (100 routes × 10 counters) kept
 * both in prom-client's default registry (which AggregatorRegistry asks over IPC) and in an
 * exported statsfs source (which the primary reads from the files), a small steady workload
 * updating both, and its event-loop delay reported on request. Does nothing outside a cluster
 * worker started with BENCH_CLUSTER_DIR (test runners and `bench` load every file).
 */
import cluster from "node:cluster";
import { monitorEventLoopDelay } from "node:perf_hooks";
import client from "prom-client";
import { createSource, register } from "../../src/producer/index.js";

export const ROUTES = 100;
export const VALUES = 10;

const dir = process.env.BENCH_CLUSTER_DIR;
if (cluster.isWorker && dir !== undefined) {
  // prom-client answers the primary's IPC requests once an AggregatorRegistry exists here too.
  new client.AggregatorRegistry();
  const counters = Array.from(
    { length: VALUES },
    (_, k) => new client.Counter({ name: `bench_route_v${k}_total`, help: `value ${k}`, labelNames: ["source"] }),
  );
  const app = createSource("bench-cluster");
  const handles: { add(n: number): void }[][] = [];
  const children: { inc(n: number): void }[][] = [];
  for (let r = 0; r < ROUTES; r++) {
    const sub = app.addSubordinate(createSource(`route-${r}`));
    const defs: Record<string, object> = {};
    for (let k = 0; k < VALUES; k++) defs[`v${k}`] = {};
    handles.push(Object.values(sub.addValues(defs)) as { add(n: number): void }[]);
    children.push(counters.map((c) => c.labels({ source: `/bench-cluster/route-${r}` })));
  }
  const reg = register(app, { export: { dir, instance: `w${cluster.worker?.id ?? process.pid}` } });
  let i = 0;
  const work = setInterval(() => {
    for (let n = 0; n < 200; n++, i++) {
      const r = i % ROUTES;
      const k = (i >> 7) % VALUES;
      handles[r]?.[k]?.add(1);
      children[r]?.[k]?.inc(1);
    }
  }, 1);
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  process.on("message", (m: unknown) => {
    if (m === "bench:reset") delay.reset();
    else if (m === "bench:report") process.send?.({ bench: "delay", p99: delay.percentile(99) / 1e6, max: delay.max / 1e6 });
    else if (m === "bench:exit") {
      clearInterval(work);
      delay.disable();
      reg.close();
      process.disconnect?.();
    }
  });
  process.send?.("bench:ready");
}
