/**
 * @module bench/producer/labels
 * `producer: 10,000 label sets created and exported`: a registered, exported source's value
 * given 10,000 label sets (`labels({...}).inc()`, one in a hundred with a 1 KiB label value),
 * from nothing to every label set in the process's bundle file; against the same label sets
 * in-process only (not exported) and prom-client's children for the same label values.
 */
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSource, register } from "../../src/producer/index.js";
import type { BenchCase } from "../case.js";
import { round3 } from "../harness.js";
import { client } from "./peers.js";

const SETS = 10_000;
const BIG = "x".repeat(1024);

const route = (i: number) => ({ route: `/r/${i}`, big: i % 100 === 0 ? BIG : "v" });

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

function timed(fn: () => void, runs: number): number {
  const out: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t0 = process.hrtime.bigint();
    fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(out);
}

/** The label-set creation case. */
export async function labelCases(): Promise<BenchCase[]> {
  const base = mkdtempSync(join(process.platform === "linux" ? "/dev/shm" : tmpdir(), "statsfs-bench-labels-"));
  let files = 0;
  try {
    let run = 0;
    const exported = timed(() => {
      const dir = join(base, String(run++));
      using src = createSource("bench-labels");
      const v = src.addValues({ hits: {} });
      using _reg = register(src, { export: { dir, instance: "b" } });
      for (let i = 0; i < SETS; i++) v.hits.labels(route(i)).inc();
      files = readdirSync(join(dir, "bench-labels")).length;
    }, 3);
    const inProcess = timed(() => {
      using src = createSource("bench-labels");
      const v = src.addValues({ hits: {} });
      for (let i = 0; i < SETS; i++) v.hits.labels(route(i)).inc();
    }, 3);
    const prom = timed(() => {
      const reg = new client.Registry();
      const c = new client.Counter({ name: "hits_total", help: "h", labelNames: ["route", "big"], registers: [reg] });
      for (let i = 0; i < SETS; i++) c.labels(route(i)).inc();
    }, 3);
    return [
      {
        case: "producer: 10,000 label sets created and exported",
        unit: "ms",
        ours: round3(exported),
        peers: {
          "ours in-process only (not exported)": round3(inProcess),
          "prom-client 15: 10,000 children (labels().inc())": round3(prom),
        },
        note: `ours: from nothing to every label set in ${files} exported file (1 in 100 with a 1 KiB label value); median of 3`,
      },
    ];
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
