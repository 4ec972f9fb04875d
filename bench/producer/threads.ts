/**
 * @module bench/producer/threads
 * 8 worker threads incrementing one value: ours (a shard per thread, plain stores) against
 * Atomics.add on one shared slot, in wall-clock ns per increment across all threads from a
 * common start flag to the last thread done (thread start-up excluded). The machine's core
 * count bounds the parallelism; it is printed in the note.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { createSource, liveSource, type SharedSource } from "../../src/producer/index.js";
import type { BenchCase } from "../case.js";
import { median, round3 } from "../harness.js";

const THREADS = 8;
const N = 10_000_000;
const WARM = 500_000;
const ROUNDS = 3;
const WORKER = new URL("./thread-worker.js", import.meta.url);

async function runOnce(
  mode: "ours" | "atomics",
  shared: SharedSource | undefined,
  slot: SharedArrayBuffer,
  threads = THREADS,
): Promise<number> {
  const go = new SharedArrayBuffer(4);
  const workers = Array.from({ length: threads }, () => new Worker(WORKER, { workerData: { mode, n: N, warm: WARM, shared, slot, go } }));
  const exited = workers.map((w) => new Promise((resolve) => w.once("exit", resolve)));
  const phase = (want: string) =>
    Promise.all(
      workers.map(
        (w) =>
          new Promise<void>((resolve, reject) => {
            const on = (m: unknown) => {
              if (m === want) {
                w.off("message", on);
                resolve();
              }
            };
            w.on("message", on);
            w.once("error", reject);
          }),
      ),
    );
  await phase("ready");
  const done = phase("done");
  const t0 = process.hrtime.bigint();
  Atomics.store(new Int32Array(go), 0, 1);
  Atomics.notify(new Int32Array(go), 0);
  await done;
  const ns = Number(process.hrtime.bigint() - t0);
  await Promise.all(exited);
  return ns / (threads * N);
}

/** The thread case. */
export async function threadCases(): Promise<BenchCase[]> {
  using src = createSource("bench-threads", { shards: THREADS + 1 });
  src.addValues({ hits: {} });
  const shared = src.share();
  const slot = new SharedArrayBuffer(4);
  const ours: number[] = [];
  const atomics: number[] = [];
  const single: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    ours.push(await runOnce("ours", shared, slot));
    atomics.push(await runOnce("atomics", undefined, slot));
    single.push(await runOnce("ours", shared, slot, 1));
  }
  const live = liveSource(src);
  const f = live.files[0];
  const total = f ? f.data[0] : undefined;
  const want = ROUNDS * THREADS * (N + WARM);
  if (total !== BigInt(want + ROUNDS * (N + WARM)))
    throw new Error(`bench threads: counted ${total}, expected ${want + ROUNDS * (N + WARM)}`);
  const atomicTotal = new Int32Array(slot)[0] ?? 0;
  if (atomicTotal !== want) throw new Error(`bench threads: Atomics peer counted ${atomicTotal}`);
  return [
    {
      case: `${THREADS} worker threads incrementing one value`,
      unit: "ns/inc (wall, all threads)",
      ours: round3(median(ours)),
      peers: { "Atomics.add on one shared Int32 slot": round3(median(atomics)), "ours, 1 worker thread alone": round3(median(single)) },
      note: `${availableParallelism()} cores; both totals checked exact (${total})`,
    },
  ];
}
