/**
 * @module bench/openmetrics/cluster
 * A Node cluster of 4 workers with 1,000 series each: the primary serving the aggregate of the
 * workers' exported files (`shm:` behind our HTTP exporter, fetched over HTTP, no IPC) against
 * prom-client's `AggregatorRegistry.clusterMetrics()` (IPC to every worker), scrapes one after
 * another; the scrape latency, and the workers' event-loop delay (p99, max) during each run.
 * prom-client is measured twice: served by the primary over node:http as a scrape reaches it
 * (the same fetch as ours, which asks for gzip like Prometheus; prom-client's handler does not
 * compress), and as the bare `clusterMetrics()` call, without any HTTP.
 */
import cluster, { type Worker } from "node:cluster";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import client from "prom-client";
import { openSource } from "../../src/providers/registry.js";
import { HttpExporter } from "../../src/views/http/index.js";
import type { BenchCase } from "../case.js";
import { median, round3 } from "../harness.js";

const WORKERS = 4;
const SCRAPES = 25;
const WORKER = fileURLToPath(new URL("./cluster-worker.js", import.meta.url));

function waitAll(workers: Worker[], pred: (m: unknown) => boolean): Promise<unknown[]> {
  return Promise.all(
    workers.map(
      (w) =>
        new Promise<unknown>((resolve) => {
          const on = (m: unknown) => {
            if (pred(m)) {
              w.off("message", on);
              resolve(m);
            }
          };
          w.on("message", on);
        }),
    ),
  );
}

export async function cluster_(): Promise<BenchCase[]> {
  const dir = mkdtempSync(join(tmpdir(), "statsfs-bench-cluster-"));
  cluster.setupPrimary({ exec: WORKER, silent: false });
  const workers: Worker[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(cluster.fork({ BENCH_CLUSTER_DIR: dir }));
  try {
    await waitAll(workers, (m) => m === "bench:ready");
    const agg = new client.AggregatorRegistry();
    await using src = await openSource(`shm:bench-cluster?dir=${dir}`);
    await using ex = await HttpExporter.listen({ address: { host: "127.0.0.1", port: 0 }, sources: [src] });
    // prom-client's cluster aggregate behind node:http, as its documentation serves it.
    const peerServer = createServer((_req, res) => {
      agg.clusterMetrics().then(
        (text) => res.writeHead(200, { "Content-Type": agg.contentType }).end(text),
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((r) => peerServer.listen(0, "127.0.0.1", r));
    await using _peerServer = { [Symbol.asyncDispose]: () => new Promise<void>((r) => peerServer.close(() => r())) };
    const peerUrl = `http://127.0.0.1:${(peerServer.address() as AddressInfo).port}/metrics`;
    const run = async (scrape: () => Promise<number>) => {
      for (let i = 0; i < 3; i++) await scrape();
      for (const w of workers) w.send("bench:reset");
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < SCRAPES; i++) {
        const t0 = process.hrtime.bigint();
        bytes = await scrape();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await new Promise((r) => setTimeout(r, 20));
      }
      const reports = waitAll(workers, (m) => typeof m === "object" && m !== null && (m as { bench?: string }).bench === "delay");
      for (const w of workers) w.send("bench:report");
      const delays = (await reports) as { p99: number; max: number }[];
      return { ms: median(times), bytes, p99: Math.max(...delays.map((d) => d.p99)), max: Math.max(...delays.map((d) => d.max)) };
    };
    const ours = await run(async () => (await (await fetch(ex.url)).arrayBuffer()).byteLength);
    const peer = await run(async () => Buffer.byteLength(await agg.clusterMetrics()));
    const peerHttp = await run(async () => (await (await fetch(peerUrl)).arrayBuffer()).byteLength);
    const ours2 = await run(async () => (await (await fetch(ex.url)).arrayBuffer()).byteLength);
    peerServer.closeAllConnections();
    const oursMs = Math.min(ours.ms, ours2.ms);
    const HTTP = "prom-client clusterMetrics() over node:http";
    const CALL = "prom-client clusterMetrics() call, no HTTP";
    return [
      {
        case: `cluster of ${WORKERS} workers x 1000 series: scrape of the aggregate`,
        unit: "ms/scrape",
        ours: round3(oursMs),
        peers: { [HTTP]: round3(peerHttp.ms), [CALL]: round3(peer.ms) },
        note: `ours = HTTP GET (gzip) of shm: files (no IPC), ${ours.bytes} bytes; prom-client ${peer.bytes} bytes (IPC to the workers)`,
      },
      {
        case: `cluster of ${WORKERS} workers: workers' event-loop delay p99 during scrapes`,
        unit: "ms",
        ours: round3(Math.max(ours.p99, ours2.p99)),
        peers: { [HTTP]: round3(peerHttp.p99), [CALL]: round3(peer.p99) },
        note: `max ${round3(Math.max(ours.max, ours2.max))} ms ours / ${round3(Math.max(peer.max, peerHttp.max))} ms prom-client (1 ms timer resolution)`,
      },
    ];
  } finally {
    for (const w of workers) w.send("bench:exit");
    await Promise.all(workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once("exit", () => r())))));
    rmSync(dir, { recursive: true, force: true });
  }
}

export { cluster_ as cluster };
