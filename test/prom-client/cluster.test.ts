/**
 * AggregatorRegistry.clusterMetrics() across node:cluster workers: the same service (fixture
 * cluster.cjs: 3 workers, counters, gauges with each aggregator, a histogram, a summary) run
 * with prom-client and with statsfs/prom-client prints the same aggregate.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");
const FIXTURE = join(ROOT, "test/prom-client/fixtures/cluster.cjs");

function run(lib: string, workers: number): string {
  const r = spawnSync(process.execPath, [FIXTURE, lib, String(workers)], { cwd: ROOT, encoding: "utf8", timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("statsfs/prom-client: AggregatorRegistry.clusterMetrics()", () => {
  it("equals prom-client's aggregate for the same operations in 3 workers", () => {
    const theirs = run("prom-client", 3);
    const mine = run("statsfs/prom-client", 3);
    assert.match(theirs, /requests_total\{method="GET",code="200"\} 6/);
    assert.equal(mine, theirs);
  });
});
