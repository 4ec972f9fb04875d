/**
 * AggregatorRegistry.clusterMetrics() across node:cluster workers: the same service (fixture
 * cluster.cjs: 3 workers, counters, gauges with each aggregator, a histogram, a summary) run
 * with prom-client and with statsfs/prom-client prints the same aggregate. Without summaries,
 * statsfs's primary reads the workers' exported files: no metrics answer crosses IPC (prom-client's
 * primary gets one per worker); with a summary, those workers are asked over IPC.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");
const FIXTURE = join(ROOT, "test/prom-client/fixtures/cluster.cjs");

function run(lib: string, workers: number, ...rest: string[]): { text: string; answers: number } {
  const dir = mkdtempSync(join(tmpdir(), "statsfs-cluster-"));
  try {
    const r = spawnSync(process.execPath, [FIXTURE, lib, String(workers), ...rest], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, STATSFS_DIR: dir },
    });
    assert.equal(r.status, 0, r.stderr);
    const m = /ipc-answers (\d+)/.exec(r.stderr);
    assert.ok(m, r.stderr);
    return { text: r.stdout, answers: Number(m[1]) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("statsfs/prom-client: AggregatorRegistry.clusterMetrics()", () => {
  it("equals prom-client's aggregate for the same operations in 3 workers", () => {
    const theirs = run("prom-client", 3);
    const mine = run("statsfs/prom-client", 3);
    assert.match(theirs.text, /requests_total\{method="GET",code="200"\} 6/);
    assert.equal(mine.text, theirs.text);
  });

  it("reads the workers' exported files: the same aggregate with no IPC answer", () => {
    const theirs = run("prom-client", 3, "no-summary");
    const mine = run("statsfs/prom-client", 3, "no-summary");
    assert.equal(theirs.answers, 3);
    assert.equal(mine.answers, 0);
    assert.match(mine.text, /latency_seconds_bucket\{le="1",route="\/a"\} 3/);
    assert.equal(mine.text, theirs.text);
  });

  it("asks a worker whose registry has default labels over IPC (they are not in its file)", () => {
    const theirs = run("prom-client", 3, "no-summary,default-labels");
    const mine = run("statsfs/prom-client", 3, "no-summary,default-labels");
    assert.match(theirs.text, /service="svc"/);
    assert.equal(mine.answers, 3);
    assert.equal(mine.text, theirs.text);
  });
});
