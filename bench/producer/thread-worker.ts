/**
 * @module bench/producer/thread-worker
 * One of the 8 threads of the thread benchmark: attaches (ours) or takes the shared Int32Array
 * (Atomics peer), says ready, waits for the start flag, increments `n` times, reports. Both warm up first on the same loop.
 */
import { parentPort, workerData } from "node:worker_threads";
import { attachSource, type SharedSource } from "../../src/producer/index.js";

interface Job {
  readonly mode: "ours" | "atomics";
  readonly n: number;
  readonly warm: number;
  readonly shared?: SharedSource;
  readonly slot: SharedArrayBuffer;
  readonly go: SharedArrayBuffer;
}

const job = workerData as Job;
const go = new Int32Array(job.go);
const slot = new Int32Array(job.slot);
const shard = job.mode === "ours" && job.shared ? attachSource(job.shared, { hits: {} }) : undefined;
function run(n: number): void {
  if (shard) {
    const hits = shard.values.hits;
    for (let i = 0; i < n; i++) hits.inc();
  } else {
    for (let i = 0; i < n; i++) Atomics.add(slot, 0, 1);
  }
}

// Warm up the JIT on the very loop that is timed (these updates are counted too).
run(job.warm);
parentPort?.postMessage("ready");
while (Atomics.load(go, 0) === 0) Atomics.wait(go, 0, 0, 100);
run(job.n);
parentPort?.postMessage("done");
shard?.close();
