/**
 * @module prom-client
 * `statsfs/prom-client`: prom-client 15's API (Counter, Gauge, Histogram, Summary, Registry and
 * the global `register`, collectDefaultMetrics, bucket generators, name checks, content types,
 * AggregatorRegistry, exemplars) with the same exposition text, and typed-array writes: a kept
 * child's `inc()` or `observe()` is a Float64Array add, `labels(…)` one Map lookup.
 *
 * ```ts
 * const client = require("statsfs/prom-client"); // or: import * as client from "statsfs/prom-client"
 * const c = new client.Counter({ name: "http_requests_total", help: "Requests.", labelNames: ["method"] });
 * c.labels("GET").inc();
 * res.end(await client.register.metrics());
 * ```
 */
import { globalRegistry } from "./registry.js";

export { AggregatorFactory, aggregators } from "./aggregators.js";
export { exponentialBuckets, linearBuckets } from "./buckets.js";
export { AggregatorRegistry } from "./cluster.js";
export { Counter, CounterChild, type CounterConfiguration } from "./counter.js";
export { collectDefaultMetrics, type DefaultMetricsCollectorConfiguration } from "./default-metrics.js";
export { Exemplar } from "./exemplar.js";
export { Gauge, GaugeChild, type GaugeConfiguration } from "./gauge.js";
export { Histogram, HistogramChild, type HistogramConfiguration } from "./histogram.js";
export type { MetricConfiguration } from "./metric.js";
export { globalRegistry as register, type Labels, type MetricObject, type MetricValue, Registry } from "./registry.js";
export { Summary, type SummaryConfiguration } from "./summary.js";
export { validateLabelName, validateMetricName } from "./validation.js";

/** The text 0.0.4 content type. */
export const prometheusContentType = "text/plain; version=0.0.4; charset=utf-8";
/** The OpenMetrics 1.0.0 content type. */
export const openMetricsContentType = "application/openmetrics-text; version=1.0.0; charset=utf-8";
/**
 * The global registry's content type when this module loaded (the CommonJS build makes it a
 * live property, as prom-client's; in ES modules read `register.contentType` for the current one).
 */
export let contentType: string = globalRegistry.contentType;

/** Sets the global registry's content type (text 0.0.4 or OpenMetrics). */
export function setContentType(type: string): void {
  globalRegistry.setContentType(type);
  contentType = type;
}
