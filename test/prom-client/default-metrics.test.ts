/**
 * collectDefaultMetrics() beside prom-client's, in one process: the same options (`register`,
 * `prefix`, `labels`, `gcDurationBuckets`) give the same families (HELP and TYPE lines, in the
 * same order), the same series names and label sets; values differ by when they were read.
 * Families whose label sets depend on what the process did meanwhile (GC kinds, handle types)
 * are compared by their HELP/TYPE lines only.
 */
import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { describe, it } from "node:test";
import * as ours from "../../src/prom-client/index.js";

const require = createRequire(import.meta.url);
const peer = require("prom-client") as typeof ours;

const TIMING = /^\w*(nodejs_gc_duration_seconds|nodejs_active_(handles|requests|resources))(_bucket|_sum|_count)?\{/;

function shape(text: string): { meta: string[]; series: string[] } {
  const lines = text.split("\n").filter((l) => l !== "");
  return {
    meta: lines.filter((l) => l.startsWith("#")),
    series: lines.filter((l) => !l.startsWith("#") && !TIMING.test(l)).map((l) => l.slice(0, l.lastIndexOf(" "))),
  };
}

async function collect(client: typeof ours, options: Record<string, unknown>): Promise<string> {
  const reg = new client.Registry();
  client.collectDefaultMetrics({ register: reg, ...options });
  await reg.metrics(); // the first scrape starts the event-loop lag reading
  await new Promise((r) => setTimeout(r, 20));
  return reg.metrics();
}

describe("statsfs/prom-client: collectDefaultMetrics", () => {
  for (const options of [{}, { prefix: "app_", labels: { service: "demo", zone: "a" }, gcDurationBuckets: [0.1, 1] }]) {
    it(`has prom-client's families and label sets with ${JSON.stringify(options)}`, async () => {
      const [theirs, mine] = [shape(await collect(peer, options)), shape(await collect(ours, options))];
      assert.deepEqual(mine.meta, theirs.meta);
      assert.deepEqual(mine.series, theirs.series);
      assert.ok(mine.meta.length > 40);
    });
  }

  it("refuses what prom-client refuses", () => {
    const refusal = (f: () => void) => {
      try {
        f();
        return "ok";
      } catch (e) {
        return `${(e as Error).constructor.name}: ${(e as Error).message}`;
      }
    };
    for (const client of [peer, ours])
      assert.equal(
        refusal(() => client.collectDefaultMetrics(3 as never)),
        "TypeError: config must be null, undefined, or an object",
      );
    const twice = (client: typeof ours) => {
      const reg = new client.Registry();
      client.collectDefaultMetrics({ register: reg });
      return refusal(() => client.collectDefaultMetrics({ register: reg }));
    };
    assert.equal(twice(ours), twice(peer));
  });
});
