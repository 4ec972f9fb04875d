/**
 * A Node service's own statistics in Prometheus: two producer processes (a cluster's workers)
 * export source "shop"; one `statsfs serve --http shm:shop` serves their aggregate without IPC;
 * a real Prometheus answers per-route sums that equal what the producers counted, and `sum()`
 * over the routes counts each hit once.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { prometheusSkipReason, startExporter, startPrometheus } from "./prometheus.js";

const SHOP = fileURLToPath(new URL("./fixtures/shop.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "statsfs-shop-"));
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) c.kill("SIGKILL");
  rmSync(tmp, { recursive: true, force: true });
});

async function worker(instance: string, h1: number, h2: number): Promise<ChildProcess> {
  const c = spawn(process.execPath, [SHOP, tmp, instance, String(h1), String(h2)], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, STATSFS_SHOP_CHILD: "1" },
  });
  children.push(c);
  await new Promise<void>((resolve, reject) => {
    c.stdout?.on("data", (b: Buffer) => b.toString().includes("ready") && resolve());
    c.once("exit", (code) => reject(new Error(`producer ${instance} exited ${code}`)));
  });
  return c;
}

describe("prometheus scrapes a Node producer through statsfs", { skip: prometheusSkipReason() }, () => {
  it("a producer counter by label, summed over two processes", async () => {
    await worker("w1", 3, 5);
    await worker("w2", 10, 20);
    await using ex = await startExporter([`shm:shop?dir=${tmp}`]);
    const prom = await startPrometheus([{ job_name: "shop", static_configs: [{ targets: [ex.target] }] }]);
    try {
      const routes = await prom.until("both routes", async () => {
        const r = await prom.query("sum by (source) (statsfs_shop_hits_total)");
        return r.length === 2 ? r : undefined;
      });
      assert.deepEqual(Object.fromEntries(routes.map((s) => [s.metric.source, s.value?.[1]])), {
        "/shop/route-1": "13",
        "/shop/route-2": "25",
      });
      // One family for the root and its subordinates: sum() adds the routes.
      assert.equal((await prom.query("sum(statsfs_shop_hits_total)"))[0]?.value?.[1], "38");
      // Label sets (counter.labels({…})): one series per set, summed over the processes.
      const byRoute = await prom.query("sum by (route, method) (statsfs_shop_orders_total)");
      assert.deepEqual(Object.fromEntries(byRoute.map((s) => [`${s.metric.method} ${s.metric.route}`, s.value?.[1]])), {
        "GET /users/:id": "13",
        'POST /odd "path"': "25",
      });
      assert.equal((await prom.query("sum(statsfs_shop_orders_total)"))[0]?.value?.[1], "38");
      assert.equal((await prom.query("sum(statsfs_shop_requests_total)"))[0]?.value?.[1], "38");
      assert.equal((await prom.query("sum(statsfs_shop_inflight)"))[0]?.value?.[1], "2");
      // Neither the per-process files nor the parent's aggregate of its routes are series.
      assert.equal((await prom.query("count({producer_instance!=''})")).length, 0);
      assert.equal((await prom.query('statsfs_shop_hits_total{source="/shop"}')).length, 0);
    } finally {
      await prom.stop();
    }
  });
});
