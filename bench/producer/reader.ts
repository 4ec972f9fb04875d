/**
 * @module bench/producer/reader
 * A reader aggregating 1,000 sources × 50 values (50,000 values and the parent's 50
 * aggregates): our in-process poll, and the same tree read from its exported files through
 * `shm:`, against prom-client's registry.metrics() and OpenTelemetry's collect() over the same
 * 50,000 series (50 counters × 1,000 label values).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Counter, createSource, liveSource, register } from "../../src/producer/index.js";
import { openShmSource } from "../../src/providers/shm/index.js";
import type { BenchCase } from "../case.js";
import { compareAsync, round3 } from "../harness.js";
import { attrSets, client, otel, prom } from "./peers.js";

const SOURCES = 1000;
const VALUES = 50;

/** The reader case. */
export async function readerCases(): Promise<BenchCase[]> {
  const names = Object.fromEntries(Array.from({ length: VALUES }, (_, i) => [`v${i}`, {}]));
  using root = createSource("bench-reader");
  for (let s = 0; s < SOURCES; s++) {
    const h = root.addSubordinate(createSource(`s-${s}`)).addValues(names) as Record<string, Counter>;
    for (const [i, c] of Object.values(h).entries()) c.add(s + i);
  }
  const live = liveSource(root);

  const reg = prom();
  const attrs = attrSets(SOURCES);
  const { meter, reader } = otel();
  for (let i = 0; i < VALUES; i++) {
    const pc = new client.Counter({ name: `v${i}_total`, help: "v", labelNames: ["route"], registers: [reg] });
    const oc = meter.createCounter(`v${i}`);
    for (let s = 0; s < SOURCES; s++) {
      pc.labels(`r${s}`).inc(s + i);
      oc.add(s + i, attrs[s]);
    }
  }

  const base = mkdtempSync(join(process.platform === "linux" ? "/dev/shm" : tmpdir(), "statsfs-bench-"));
  try {
    using _reg = register(root, { export: { dir: base, instance: "b" } });
    const shm = await openShmSource("shm:bench-reader", "bench-reader", new URLSearchParams({ dir: base }));
    let bytes = 0;
    const t = await compareAsync(
      {
        ours: async () => live.pollSync(),
        shm: async () => shm.pollSync(),
        prom: async () => {
          bytes = (await reg.metrics()).length;
        },
        otel: async () => {
          await reader.collect();
        },
      },
      3,
      7,
    );
    const top = live.files[0];
    const expected = BigInt((SOURCES * (SOURCES - 1)) / 2);
    if (!top || top.data[0] !== expected) throw new Error(`bench reader: aggregate v0 is ${top?.data[0]}, expected ${expected}`);
    const shmTop = shm.files[0];
    if (!shmTop || shmTop.data[0] !== expected) throw new Error("bench reader: shm aggregate differs");
    await shm.close();
    const ms = (ns: number | undefined) => round3((ns ?? 0) / 1e6);
    return [
      {
        case: `reader aggregating ${SOURCES.toLocaleString("en")} sources x ${VALUES} values`,
        unit: "ms/poll",
        ours: ms(t.ours),
        peers: {
          "ours through exported files (shm:, one bundle file)": ms(t.shm),
          [`prom-client registry.metrics() (${Math.round(bytes / 1024)} KiB text)`]: ms(t.prom),
          "OpenTelemetry reader.collect()": ms(t.otel),
        },
        note: "ours: every source's file plus the parent's aggregates recomputed per poll",
      },
    ];
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
