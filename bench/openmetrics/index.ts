/**
 * @module bench/openmetrics
 * The exporter's benchmarks: exposition of 47,000 series against prom-client, a 4-worker
 * cluster scrape against prom-client's AggregatorRegistry, and the "has this been measured?"
 * table (every value of a 32-vCPU VM into memory: binary, QMP, OpenMetrics, debugfs).
 */
import type { BenchCase } from "../case.js";
import { cluster } from "./cluster.js";
import { exposition } from "./exposition.js";
import { measured } from "./measured.js";

export async function cases(): Promise<BenchCase[]> {
  return [...(await exposition()), ...(await cluster()), ...(await measured())];
}
