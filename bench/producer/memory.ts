/**
 * @module bench/producer/memory
 * Memory per value: 100,000 values as 1,000 sources × 100 values (ours) against 100 metrics ×
 * 1,000 label values (prom-client series, OpenTelemetry attribute sets), after a full GC, heap
 * plus array buffers. Each contender is built alone and measured as the growth it causes.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { createSource, type Source } from "../../src/producer/index.js";
import type { BenchCase } from "../case.js";
import { round3 } from "../harness.js";
import { attrSets, client, otel, prom } from "./peers.js";

const SOURCES = 1000;
const VALUES = 100;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function used(): number {
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

function measure(build: () => unknown): number {
  const before = used();
  const keep = build();
  const after = used();
  if (!keep) throw new Error("bench memory: nothing built");
  return (after - before) / (SOURCES * VALUES);
}

/** The memory case. */
export function memoryCases(): BenchCase[] {
  const defs = Object.fromEntries(Array.from({ length: VALUES }, (_, i) => [`v${i}`, {}]));
  let roots: Source[] = [];
  const ours = measure(() => {
    const root = createSource("bench-mem");
    for (let s = 0; s < SOURCES; s++) root.addSubordinate(createSource(`s-${s}`)).addValues(defs);
    roots = [root];
    return root;
  });
  const promBytes = measure(() => {
    const reg = prom();
    for (let i = 0; i < VALUES; i++) {
      const c = new client.Counter({ name: `v${i}_total`, help: "v", labelNames: ["route"], registers: [reg] });
      for (let s = 0; s < SOURCES; s++) c.labels(`r${s}`).inc();
    }
    return reg;
  });
  const otelBytes = measure(() => {
    const o = otel();
    const attrs = attrSets(SOURCES);
    for (let i = 0; i < VALUES; i++) {
      const c = o.meter.createCounter(`v${i}`);
      for (let s = 0; s < SOURCES; s++) c.add(1, attrs[s]);
    }
    return o;
  });
  for (const r of roots) r.close();
  return [
    {
      case: "memory per value (1,000 sources x 100 values)",
      unit: "bytes/value",
      ours: round3(ours),
      peers: { "prom-client per series": round3(promBytes), "OpenTelemetry per attribute set": round3(otelBytes) },
      note: "ours: 8 bytes of data + its handle + a share of the source; heap + ArrayBuffers after GC",
    },
  ];
}
