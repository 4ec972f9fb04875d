/**
 * @module bench/producer
 * The producer library against prom-client and OpenTelemetry, measured side by side in one
 * run: write path (counter, labeled counter, histogram, peak), 8 threads on one value, a reader
 * aggregating 1,000 sources × 50 values, 10,000 label sets created and exported, and memory per
 * value; statsfs/prom-client against prom-client 15 (prom-client.ts).
 */
import type { BenchCase } from "../case.js";
import { hotCases } from "./hot.js";
import { labelCases } from "./labels.js";
import { memoryCases } from "./memory.js";
import { promClientCases } from "./prom-client.js";
import { readerCases } from "./reader.js";
import { threadCases } from "./threads.js";

/** Every producer case. */
export async function cases(): Promise<BenchCase[]> {
  return [
    ...hotCases(),
    ...(await promClientCases()),
    ...(await threadCases()),
    ...(await readerCases()),
    ...(await labelCases()),
    ...memoryCases(),
  ];
}
