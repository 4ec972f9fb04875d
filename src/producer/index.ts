/**
 * @module producer
 * The statsfs producer library: sources of statistics for Node services, written through
 * typed-array handles on the hot path, aggregated by readers, readable in-process
 * ({@link liveSource}) or by any process through live binary stats files in the kernel's layout
 * (`register(source, { export: true })`, then `statsfs read shm:NAME`).
 *
 * ```ts
 * const http = createSource("http");
 * const v = http.addValues({
 *   requests: { writable: true },
 *   inflight: { type: "instant", aggregations: ["sum", "max"] },
 *   latency: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 40 },
 * });
 * register(http, { export: true });
 * v.requests.inc();
 * ```
 */

export { type PruneOptions, pruneExports } from "../providers/shm/prune.js";
export { collectDefaultMetrics, type DefaultMetrics, type DefaultMetricsOptions } from "./default-metrics.js";
export {
  type Aggregation,
  defineValues,
  type HandleOf,
  type Handles,
  type ValueInit,
  type ValueInits,
  type ValueMeta,
  type ValueSet,
  type ValueSlot,
  type ValueType,
  type ValueUnit,
} from "./definition.js";
export type { ExportOptions } from "./export/exporter.js";
export { Counter, Gauge, type Histogram, LinearHistogram, Log2Histogram, Peak, type ValueHandle } from "./handles.js";
export { type LabelValue, labelsOf } from "./labels.js";
export { LiveSource, liveSource, writeStat } from "./live-source.js";
export { helpOf } from "./notes.js";
export {
  type Attachment,
  defaultRegistry,
  type RegisterOptions,
  Registration,
  Registry,
  type RegistryObserver,
  register,
  registeredSources,
} from "./registry.js";
export { createSource, Source, type SourceOptions, type TreeObserver } from "./source.js";
export { attachSource, type SharedSource, ThreadShard } from "./threads.js";
