/**
 * @module soak/producer-child
 * The soak's producer process: `node producer-child.js DIR` exports source "soak" to DIR and
 * writes to it continuously (counters, a gauge, a histogram) until killed. Sends "ready" over
 * IPC once the export file exists.
 */
import { createSource, register } from "../src/producer/index.js";

function main(dir: string): void {
  const src = createSource("soak");
  const v = src.addValues({
    requests: {},
    inflight: { type: "instant" },
    latency: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 32 },
  });
  register(src, { export: { dir, instance: "soak" } });
  let i = 0;
  setInterval(() => {
    for (let k = 0; k < 2000; k++) {
      v.requests.inc();
      v.latency.record((i * 7919) % 5_000_000);
      i++;
    }
    v.inflight.set(i % 64);
  }, 1);
  process.send?.({ ready: true });
}

const dir = process.argv[2];
if (process.send && dir) main(dir);
