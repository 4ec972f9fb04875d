/**
 * A double (f64) value used both with and without labels: its unlabelled series is the parent's
 * own part, read as such, exactly (a double sum cannot be taken apart by subtraction:
 * 0.1 + 0.2 − 0.2 is 0.10000000000000003). Before, the exposition left that series out: a
 * prom-client-style counter `c.inc(0.1); c.labels({m}).inc(0.2)` showed only the labelled part.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSource, Registry } from "../../src/producer/index.js";
import { metrics } from "../../src/views/http/prometheus.js";

function lines(text: string, family: string): string[] {
  return text.split("\n").filter((l) => l.startsWith(family));
}

describe("exposition: the own part of a double value beside its label sets", () => {
  it("shows f64 counters, gauges and bounds-histogram sums unlabelled, exactly", () => {
    const reg = new Registry();
    const src = createSource("svc");
    const v = src.addValues({
      c: { encoding: "f64" },
      g: { type: "instant", encoding: "f64" },
      h: { type: "bounds-histogram", buckets: [0.5, 1], sum: true },
      z: { encoding: "f64" },
    });
    using _r = reg.register(src);
    v.c.inc(0.1);
    v.c.labels({ m: "GET" }).inc(0.2);
    v.g.set(-2.5);
    v.g.labels({ m: "GET" }).set(5);
    v.h.record(0.1);
    v.h.labels({ m: "GET" }).record(0.2);
    v.z.labels({ m: "GET" }).inc(1.25);
    const text = metrics(reg);
    assert.deepEqual(lines(text, "statsfs_svc_c_total"), [
      'statsfs_svc_c_total{source="/svc"} 0.1',
      'statsfs_svc_c_total{source="/svc",m="GET"} 0.2',
    ]);
    assert.deepEqual(lines(text, "statsfs_svc_g"), ['statsfs_svc_g{source="/svc"} -2.5', 'statsfs_svc_g{source="/svc",m="GET"} 5']);
    assert.ok(lines(text, "statsfs_svc_h_sum").includes('statsfs_svc_h_sum{source="/svc"} 0.1'), text);
    assert.ok(lines(text, "statsfs_svc_h_count").includes('statsfs_svc_h_count{source="/svc"} 1'), text);
    // A value used only through labels has no own part to show (as for u64 values: shown once non-zero).
    assert.deepEqual(lines(text, "statsfs_svc_z_total"), ['statsfs_svc_z_total{source="/svc",m="GET"} 1.25']);
    // Later writes show at the next scrape.
    v.c.inc(0.2);
    assert.ok(lines(metrics(reg), "statsfs_svc_c_total").includes('statsfs_svc_c_total{source="/svc"} 0.30000000000000004'));
  });
});
