/**
 * @module statsfs/prometheus
 * The package entry `statsfs/prometheus`: what a prom-client user reaches for on the scrape
 * side — `metrics()`, `metricsHandler()`, `clusterMetrics()`, `contentType()` — plus the
 * exposition of any stats files and the HTTP exporter.
 */
export { collectDefaultMetrics } from "../../producer/default-metrics.js";
export { negotiateFormat } from "../openmetrics/negotiate.js";
export { CONTENT_TYPES, Exposition, type ExpositionFormat, renderExposition } from "../openmetrics/render.js";
export { HttpExporter, type HttpExporterOptions, loadWebConfig, parseWebConfig } from "./index.js";
export { clusterMetrics, contentType, metrics, metricsHandler } from "./producer.js";
