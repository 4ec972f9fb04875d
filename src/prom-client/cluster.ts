/**
 * @module prom-client/cluster
 * prom-client's AggregatorRegistry: `aggregate()` merges the metrics of several registries (or
 * workers) by each metric's `aggregator`; `setRegistries()` names the registries a worker
 * offers; `clusterMetrics()` in the primary reads each worker's exported file (a worker
 * exports its global registry when this module loads: prom-client/export.ts, instance
 * `<primary pid>-w<id>`; prom-client/cluster-files.ts) and aggregates with no IPC. A worker
 * without such a file (export off, a summary, other registries set) is asked for its
 * registries' `getMetricsAsJSON()` over node:cluster's IPC channel, with prom-client's message
 * types (so either library may sit on either side); 5 s without every answer is prom-client's
 * "Operation timed out." error. As in prom-client, constructing an AggregatorRegistry (in the
 * primary and in the workers) sets the listeners up.
 */
import cluster from "node:cluster";
import { aggregators } from "./aggregators.js";
import { readWorkerMetrics, workerInstance } from "./cluster-files.js";
import { globalRegistry, type MetricObject, Registry } from "./registry.js";

const REQ = "prom-client:getMetricsReq";
const RES = "prom-client:getMetricsRes";

let registries: Registry[] = [globalRegistry];
let requestCtr = 0;
let listening = false;

interface Pending {
  responses: MetricObject[][];
  pending: number;
  done: (err: Error | null, result?: string) => void;
  timer: NodeJS.Timeout;
}
const requests = new Map<number, Pending>();

interface Message {
  type?: unknown;
  requestId?: number;
  metrics?: MetricObject[][];
  error?: string;
}

function listen(): void {
  if (listening) return;
  listening = true;
  if (cluster.isPrimary) {
    cluster.on("message", (_worker, message: Message) => {
      if (message?.type !== RES) return;
      const request = requests.get(message.requestId as number);
      if (!request) return;
      if (message.error) {
        request.done(new Error(message.error));
        return;
      }
      for (const r of message.metrics ?? []) request.responses.push(r);
      request.pending--;
      if (request.pending === 0) {
        requests.delete(message.requestId as number);
        clearTimeout(request.timer);
        AggregatorRegistry.aggregate(request.responses)
          .metrics()
          .then((text) => request.done(null, text), request.done);
      }
    });
  }
  if (cluster.isWorker) {
    process.on("message", (message: Message) => {
      if (message?.type !== REQ) return;
      Promise.all(registries.map((r) => r.getMetricsAsJSON())).then(
        (metrics) => process.send?.({ type: RES, requestId: message.requestId, metrics }),
        (error: Error) => process.send?.({ type: RES, requestId: message.requestId, error: error.message }),
      );
    });
  }
}

/** prom-client's AggregatorRegistry. */
export class AggregatorRegistry extends Registry {
  constructor(contentType?: string) {
    super(contentType);
    listen();
  }

  /** The aggregate of every connected worker's metrics (primary only), as exposition text. */
  clusterMetrics(): Promise<string> {
    const requestId = requestCtr++;
    return new Promise((resolve, reject) => {
      let settled = false;
      const done = (err: Error | null, result?: string) => {
        if (settled) return;
        settled = true;
        if (err) reject(err);
        else resolve(result as string);
      };
      const fromFiles: MetricObject[][] = [];
      const asked: NonNullable<typeof cluster.workers>[string][] = [];
      for (const w of Object.values(cluster.workers ?? {})) {
        if (!w?.isConnected()) continue;
        const m = readWorkerMetrics(w.id, w.process.pid);
        if (m) fromFiles.push(m);
        else asked.push(w);
      }
      if (asked.length === 0) {
        // Every worker exports: no message at all.
        Promise.resolve()
          .then(() => (fromFiles.length === 0 ? "" : AggregatorRegistry.aggregate(fromFiles).metrics()))
          .then((text) => done(null, text), done);
        return;
      }
      const request: Pending = {
        responses: fromFiles,
        pending: 0,
        done,
        timer: setTimeout(() => request.done(new Error("Operation timed out.")), 5000),
      };
      requests.set(requestId, request);
      for (const w of asked) {
        w?.send({ type: REQ, requestId });
        request.pending++;
      }
    });
  }

  /** One registry of the metrics of `metricsArr` (one array of metric objects per worker), aggregated. */
  static aggregate(metricsArr: MetricObject[][], registryType: string = Registry.PROMETHEUS_CONTENT_TYPE): Registry {
    const out = new Registry();
    out.setContentType(registryType);
    const byName = new Map<string, MetricObject[]>();
    for (const metrics of metricsArr) {
      for (const m of metrics) {
        const g = byName.get(m.name);
        if (g) g.push(m);
        else byName.set(m.name, [m]);
      }
    }
    for (const metrics of byName.values()) {
      const name = (metrics[0] as MetricObject).aggregator;
      const fn = Object.hasOwn(aggregators, name) ? aggregators[name] : undefined;
      if (typeof fn !== "function") throw new Error(`'${name}' is not a defined aggregator.`);
      const m = fn(metrics);
      if (m) out.registerMetric(Object.assign({ get: () => m }, m));
    }
    return out;
  }

  /** Sets the registries a worker offers to the cluster's aggregate. */
  static setRegistries(regs: Registry | Registry[]): void {
    const list = Array.isArray(regs) ? regs : [regs];
    for (const r of list) if (!(r instanceof Registry)) throw new TypeError(`Expected Registry, got ${typeof r}`);
    registries = list;
    // The exported file holds the global registry only: for other registries the primary asks over IPC.
    if (cluster.isWorker && (list.length !== 1 || list[0] !== globalRegistry)) globalRegistry.unexportStats();
  }
}

/**
 * Exports the global registry when this module loads: always in a node:cluster worker (instance
 * `<primary pid>-w<id>`, what the primary's clusterMetrics() reads) unless STATSFS_EXPORT=0;
 * elsewhere when STATSFS_EXPORT=1 (instance: the pid). A failure is one warning, never an error:
 * the service runs on (and a worker is then asked over IPC).
 */
export function autoExport(): void {
  const env = process.env.STATSFS_EXPORT;
  const worker = cluster.isWorker && cluster.worker !== undefined;
  if (env === "0" || (!worker && env !== "1") || globalRegistry._export) return;
  try {
    globalRegistry.exportStats(worker ? { instance: workerInstance(process.ppid, (cluster.worker as { id: number }).id) } : {});
    const made = globalRegistry._export as { forPrimary: boolean } | undefined;
    if (worker && made) made.forPrimary = true;
  } catch (e) {
    process.emitWarning(`statsfs/prom-client: metrics not exported: ${(e as Error).message}`);
  }
}
