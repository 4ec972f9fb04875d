/**
 * @module bench/openmetrics/cluster
 * A Node cluster of 4 workers with the same 1,000 series each: the primary serving the
 * aggregate of the workers' exported files (`shm:` behind our HTTP exporter, no IPC) against
 * prom-client's `AggregatorRegistry.clusterMetrics()` (IPC to every worker) served by the
 * primary over node:http, as its documentation serves it.
 *
 * Like with like: both servers are scraped by the same client (node:http, one keep-alive
 * connection, as Prometheus keeps one; the body's bytes received, not decompressed), asking
 * for text format 0.0.4, once with `Accept-Encoding: gzip` — prom-client's handler then gzips
 * its text as ours does (level 1, on the event loop) — and once without (both plain). Before
 * timing, both bodies are decoded and checked to hold the same 1,000 series. Rounds alternate
 * ours and the peer (3 rounds of 20 scrapes each, after warm-up), 20 ms apart; the figure is
 * the median scrape, and the workers' event-loop delay p99 (the worst worker, median over the
 * rounds). The bare `clusterMetrics()` call, without HTTP or gzip, is shown beside them, and
 * the time of our poll of the files alone (what a scrape spends before rendering).
 */
import cluster, { type Worker } from "node:cluster";
import { mkdtempSync, rmSync } from "node:fs";
import { Agent, createServer, request } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { constants, gunzipSync, gzipSync } from "node:zlib";
import client from "prom-client";
import { openSource } from "../../src/providers/registry.js";
import { isSyncSource } from "../../src/providers/source.js";
import { HttpExporter } from "../../src/views/http/index.js";
import type { BenchCase } from "../case.js";
import { median, round3 } from "../harness.js";
import { ROUTES, VALUES } from "./cluster-worker.js";

const WORKERS = 4;
const ROUNDS = 3;
const SCRAPES = 20;
const PAUSE_MS = 20;
const WORKER = fileURLToPath(new URL("./cluster-worker.js", import.meta.url));
/** prom-client's handler compresses as ours does (views/http/scrape: gzip level 1, inline). */
const GZIP = { level: constants.Z_BEST_SPEED };

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

interface Reply {
  readonly body: Buffer;
  readonly gzipped: boolean;
}

/** GET `url` over `agent`'s kept-alive connection; the body as received. */
function get(agent: Agent, url: string, gzip: boolean): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers = { Accept: "text/plain;version=0.0.4", "Accept-Encoding": gzip ? "gzip" : "identity" };
    request(url, { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        if (res.statusCode !== 200) reject(new Error(`${url}: HTTP ${res.statusCode}`));
        else resolve({ body: Buffer.concat(chunks), gzipped: res.headers["content-encoding"] === "gzip" });
      });
      res.on("error", reject);
    })
      .on("error", reject)
      .end();
  });
}

/** The bench's series in an exposition: `<family>_v<k>_total{source="/bench-cluster/route-<r>"} N` lines, by series. */
function benchSeries(r: Reply): Map<string, bigint> {
  const text = (r.gzipped ? gunzipSync(r.body) : r.body).toString("utf8");
  const out = new Map<string, bigint>();
  for (const m of text.matchAll(/^\S*?_(v\d+)_total\{source="\/bench-cluster\/(route-\d+)"\} (\d+)$/gm)) {
    out.set(`${m[1]} ${m[2]}`, BigInt(m[3] as string));
  }
  return out;
}

export async function cluster_(): Promise<BenchCase[]> {
  const dir = mkdtempSync(join(tmpdir(), "statsfs-bench-cluster-"));
  cluster.setupPrimary({ exec: WORKER, silent: false });
  const workers: Worker[] = [];
  for (let i = 0; i < WORKERS; i++) workers.push(cluster.fork({ BENCH_CLUSTER_DIR: dir }));
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    await waitAll(workers, (m) => m === "bench:ready");
    const agg = new client.AggregatorRegistry();
    await using src = await openSource(`shm:bench-cluster?dir=${dir}`);
    // As `serve --http` runs it (its dashboard samples nothing until its page is opened).
    await using ex = await HttpExporter.listen({ address: { host: "127.0.0.1", port: 0 }, sources: [src] });
    // prom-client's cluster aggregate behind node:http, gzipped when asked as ours is.
    const peerServer = createServer((req, res) => {
      const gz = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
      agg.clusterMetrics().then(
        (text) => {
          const body = gz ? gzipSync(text, GZIP) : Buffer.from(text);
          res.writeHead(200, {
            "Content-Type": agg.contentType,
            "Content-Length": body.length,
            ...(gz ? { "Content-Encoding": "gzip" } : {}),
          });
          res.end(body);
        },
        (e: unknown) => res.writeHead(500).end(String(e)),
      );
    });
    await new Promise<void>((r) => peerServer.listen(0, "127.0.0.1", r));
    await using _peerServer = {
      [Symbol.asyncDispose]: () =>
        new Promise<void>((r) => {
          peerServer.close(() => r());
          peerServer.closeAllConnections();
        }),
    };
    const peerUrl = `http://127.0.0.1:${(peerServer.address() as AddressInfo).port}/metrics`;

    // Same series on both sides, in both encodings (else the comparison says nothing).
    for (const gz of [true, false]) {
      const a = benchSeries(await get(agent, ex.url, gz));
      const b = benchSeries(await get(agent, peerUrl, gz));
      const want = ROUTES * VALUES;
      if (a.size !== want || b.size !== want || [...a.keys()].some((k) => !b.has(k))) {
        throw new Error(`cluster: series differ (ours ${a.size}, prom-client ${b.size}, expected ${want} each)`);
      }
    }

    interface Round {
      readonly times: number[];
      readonly bytes: number;
      readonly p99: number;
      readonly max: number;
    }
    const round = async (scrape: () => Promise<number>): Promise<Round> => {
      for (let i = 0; i < 3; i++) await scrape();
      for (const w of workers) w.send("bench:reset");
      const times: number[] = [];
      let bytes = 0;
      for (let i = 0; i < SCRAPES; i++) {
        const t0 = process.hrtime.bigint();
        bytes = await scrape();
        times.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
      const reports = waitAll(workers, (m) => typeof m === "object" && m !== null && (m as { bench?: string }).bench === "delay");
      for (const w of workers) w.send("bench:report");
      const delays = (await reports) as { p99: number; max: number }[];
      return { times, bytes, p99: Math.max(...delays.map((d) => d.p99)), max: Math.max(...delays.map((d) => d.max)) };
    };
    const summary = (rs: readonly Round[]) => ({
      ms: median(rs.flatMap((r) => r.times)),
      bytes: rs[rs.length - 1]?.bytes ?? 0,
      p99: median(rs.map((r) => r.p99)),
      max: Math.max(...rs.map((r) => r.max)),
    });
    const sides = {
      ours: (gz: boolean) => async () => (await get(agent, ex.url, gz)).body.length,
      http: (gz: boolean) => async () => (await get(agent, peerUrl, gz)).body.length,
      call: async () => Buffer.byteLength(await agg.clusterMetrics()),
    };
    const measured = new Map<string, Round[]>();
    const add = async (key: string, scrape: () => Promise<number>) => {
      const r = await round(scrape);
      measured.set(key, [...(measured.get(key) ?? []), r]);
    };
    for (let r = 0; r < ROUNDS; r++) {
      // Alternate which side goes first, so drift in the machine's load hits both alike.
      const order = r % 2 === 0 ? (["ours", "http"] as const) : (["http", "ours"] as const);
      for (const gz of [true, false]) for (const side of order) await add(`${side}:${gz}`, sides[side](gz));
      await add("call", sides.call);
    }
    // Where our scrape's time goes: the poll of the files alone (`shm:`), the same way spaced.
    const pollMs: number[] = [];
    if (isSyncSource(src)) {
      for (let i = 0; i < SCRAPES; i++) {
        const t0 = process.hrtime.bigint();
        src.pollSync();
        pollMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    }
    const files = src.members?.length ?? src.files.length;
    const s = (k: string) => summary(measured.get(k) ?? []);
    const [oursGz, oursPlain, httpGz, httpPlain, call] = [s("ours:true"), s("ours:false"), s("http:true"), s("http:false"), s("call")];
    const HTTP = "prom-client clusterMetrics() over node:http";
    const CALL = "prom-client clusterMetrics() call, no HTTP";
    const what = `cluster of ${WORKERS} workers x ${ROUTES * VALUES} series: scrape of the aggregate over HTTP`;
    return [
      {
        case: `${what}, gzip`,
        unit: "ms/scrape",
        ours: round3(oursGz.ms),
        peers: { [`${HTTP}, gzip`]: round3(httpGz.ms), [CALL]: round3(call.ms) },
        note: `both gzip level 1; ours = shm: files (no IPC), ${oursGz.bytes} bytes, of which the poll of ${files} files alone ${round3(median(pollMs))} ms; prom-client ${httpGz.bytes} bytes (IPC to the workers)`,
      },
      {
        case: `${what}, no compression`,
        unit: "ms/scrape",
        ours: round3(oursPlain.ms),
        peers: { [HTTP]: round3(httpPlain.ms), [CALL]: round3(call.ms) },
        note: `ours ${oursPlain.bytes} bytes; prom-client ${httpPlain.bytes} bytes`,
      },
      {
        case: `cluster of ${WORKERS} workers: workers' event-loop delay p99 during scrapes (gzip)`,
        unit: "ms",
        ours: round3(oursGz.p99),
        peers: { [`${HTTP}, gzip`]: round3(httpGz.p99), [CALL]: round3(call.p99) },
        note: `max ${round3(oursGz.max)} ms ours / ${round3(Math.max(httpGz.max, call.max))} ms prom-client (1 ms timer resolution)`,
      },
    ];
  } finally {
    agent.destroy();
    for (const w of workers) w.send("bench:exit");
    await Promise.all(workers.map((w) => new Promise<void>((r) => (w.isDead() ? r() : w.once("exit", () => r())))));
    rmSync(dir, { recursive: true, force: true });
  }
}

export { cluster_ as cluster };
