/**
 * @module bench/main
 * `npm run bench [-- --json] [-- --only NAME]`: runs every benchmark group and prints a table,
 * or with --json one object per case: {"case","unit","ours","peers":{…}}.
 */
import { parseArgs } from "node:util";
import type { BenchCase } from "./case.js";

const GROUPS: Record<string, () => Promise<{ cases(): Promise<BenchCase[]> }>> = {
  spine: () => import("./spine/index.js"),
  producer: () => import("./producer/index.js"),
  qmp: () => import("./qmp/index.js"),
  host: () => import("./host/index.js"),
  toplog: () => import("./toplog/index.js"),
  openmetrics: () => import("./openmetrics/index.js"),
  fs: () => import("./fs/index.js"),
  web: () => import("./web/index.js"),
};

const { values } = parseArgs({ options: { json: { type: "boolean" }, only: { type: "string" } } });
const all: BenchCase[] = [];
for (const [name, load] of Object.entries(GROUPS)) {
  if (values.only !== undefined && values.only !== name) continue;
  try {
    const cases = await (await load()).cases();
    for (const c of cases) {
      all.push(c);
      if (values.json) console.log(JSON.stringify(c));
    }
  } catch (e) {
    console.error(`bench ${name}: failed: ${e instanceof Error ? e.message : e}`);
    if (process.env.BENCH_DEBUG) console.error(e);
    process.exitCode = 1;
  }
}
if (!values.json) {
  for (const c of all) {
    console.log(`\n${c.case}${c.note ? `  (${c.note})` : ""}`);
    console.log(`  ${"ours".padEnd(50)} ${String(c.ours).padStart(12)} ${c.unit}`);
    for (const [peer, v] of Object.entries(c.peers)) {
      const ratio = c.ours > 0 ? v / c.ours : Number.NaN;
      console.log(`  ${peer.padEnd(50)} ${String(v).padStart(12)} ${c.unit}   (${ratio.toFixed(2)}x ours)`);
    }
  }
}
