/**
 * Exact values of every kind, end to end: a producer's f64 and s64 values and a bounds
 * histogram, written through handles, exported as files with statsfs's descriptor extensions,
 * and read back exactly by `read` (text and --json), the exporter, `check`, mount's value text
 * and QMP's query-stats, in-process and across processes' files.
 */
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { DefinitionError, ValueError } from "../../src/errors.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { statValue } from "../../src/model/value.js";
import { createSource, liveSource, Registry } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import { valueText as fsValueText } from "../../src/views/fs/text.js";
import { metrics } from "../../src/views/http/prometheus.js";
import { cli } from "../helpers.js";
import { prometheusSkipReason, promtoolCheck } from "../prometheus/prometheus.js";

const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const tmp = mkdtempSync(join(base, "statsfs-enc-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const DEFS = {
  temp: { type: "instant", encoding: "f64", unit: "none" },
  balance: { type: "instant", encoding: "s64" },
  spent: { encoding: "f64", unit: "seconds" },
  best: { type: "peak", encoding: "f64" },
  latency: { type: "bounds-histogram", unit: "seconds", buckets: [0.005, 0.01, 0.025, 0.1], sum: true },
} as const;

function mergedValue(files: readonly StatsFile[], path: string, name: string) {
  const f = files.find((x) => x.identity.path === path && x.identity.labels.instance === undefined);
  const d = f?.schema.descriptors.find((x) => x.name === name);
  assert.ok(f && d, `${path} ${name}`);
  return statValue(d, f.data);
}

describe("producer values in every encoding", () => {
  it("f64 counters, gauges and peaks take fractions and negatives; s64 gauges go below zero; bounds histograms take seconds", () => {
    using s = createSource("enc");
    const v = s.addValues(DEFS);
    v.temp.set(36.6);
    v.temp.dec(0.5);
    v.balance.set(10);
    v.balance.sub(15);
    v.spent.inc(0.1);
    v.spent.inc(0.2);
    v.best.max(3.5);
    v.best.max(2);
    v.latency.record(0.0123);
    v.latency.record(0.005);
    v.latency.record(3);
    assert.equal(v.temp.get(), 36.1);
    assert.equal(v.balance.get(), -5n);
    assert.equal(v.spent.get(), 0.30000000000000004);
    assert.equal(v.best.get(), 3.5);
    assert.deepEqual(v.latency.get(), [1n, 0n, 1n, 0n, 1n]);
    assert.equal(v.latency.sum(), 3.0173);
    assert.throws(() => v.spent.inc(-1), ValueError);
    assert.throws(() => v.temp.set(Number.NaN), ValueError);
    assert.throws(() => v.balance.set(1.5), ValueError);
    assert.throws(() => v.latency.record(Number.POSITIVE_INFINITY), ValueError);
    assert.throws(() => createSource("x").addValues({ h: { type: "log2-histogram", buckets: 4, encoding: "f64" } }), DefinitionError);
    assert.throws(() => createSource("x").addValues({ c: { encoding: "s64" } }), DefinitionError);
    assert.throws(() => createSource("x").addValues({ h: { type: "bounds-histogram", buckets: [1, 1] } }), DefinitionError);
  });

  it("in-process: read's table, query-stats JSON and the exposition show every value exactly", async () => {
    const reg = new Registry();
    const s = createSource("enc");
    const v = s.addValues(DEFS);
    using _r = reg.register(s);
    v.temp.set(36.6);
    v.balance.set(-5);
    v.spent.inc(0.1);
    v.spent.inc(0.2);
    v.latency.record(0.0123);
    v.latency.labels({ route: "/a" }).record(0.2);
    const text = metrics(reg);
    assert.match(text, /^statsfs_enc_temp\{source="\/enc"\} 36\.6$/m);
    assert.match(text, /^statsfs_enc_balance\{source="\/enc"\} -5$/m);
    assert.match(text, /^statsfs_enc_spent_seconds_total\{source="\/enc"\} 0\.30000000000000004$/m);
    assert.match(text, /^statsfs_enc_latency_seconds_bucket\{source="\/enc",le="0\.025"\} 1$/m);
    assert.match(text, /^statsfs_enc_latency_seconds_bucket\{source="\/enc",le="0\.005"\} 0$/m);
    assert.match(text, /^statsfs_enc_latency_seconds_bucket\{source="\/enc",le="\+Inf"\} 1$/m);
    assert.match(text, /^statsfs_enc_latency_seconds_sum\{source="\/enc",route="\/a"\} 0\.2$/m);
    assert.match(text, /^statsfs_enc_latency_seconds_count\{source="\/enc",route="\/a"\} 1$/m);
    if (!prometheusSkipReason()) assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
    const live = liveSource(reg);
    live.pollSync();
    // The parent sums its label set in (doubles as doubles).
    assert.equal(mergedValue(live.files, "/enc", "latency_sum"), 0.0123 + 0.2);
    assert.equal(mergedValue(live.files, "/enc", "balance"), -5n);
  });

  it("exported: shm: merges two processes' doubles and signed values; read, --json, check, mount text and query-stats agree", async () => {
    const dir = join(tmp, "two");
    const regs = [1, 2].map((k) => {
      const reg = new Registry();
      const s = createSource("enc");
      const v = s.addValues(DEFS);
      const registration = reg.register(s, { export: { dir, instance: `w${k}` } });
      v.temp.set(k === 1 ? 36.6 : 0.4);
      v.balance.set(k === 1 ? -7 : 2);
      v.spent.inc(0.25 * k);
      v.best.max(k === 1 ? 1.5 : 2.5);
      v.latency.record(k === 1 ? 0.0123 : 0.05);
      return registration;
    });
    try {
      await using shm = await openSource(`shm:enc?dir=${dir}`);
      await shm.poll();
      assert.equal(mergedValue(shm.files, "/enc", "temp"), 37);
      assert.equal(mergedValue(shm.files, "/enc", "balance"), -5n);
      assert.equal(mergedValue(shm.files, "/enc", "spent"), 0.75);
      assert.equal(mergedValue(shm.files, "/enc", "best"), 2.5);
      assert.deepEqual(mergedValue(shm.files, "/enc", "latency"), [0n, 0n, 1n, 1n, 0n]);
      assert.equal(mergedValue(shm.files, "/enc", "latency_sum"), 0.0123 + 0.05);

      const read = await cli("read", `shm:enc?dir=${dir}`, "--names", "temp,balance,spent,latency");
      assert.equal(read.code, 0, read.err);
      assert.match(read.out, /temp\s+instant\s+37\s+\(f64\)/);
      assert.match(read.out, /balance\s+instant\s+-5\s+\(s64\)/);
      assert.match(read.out, /spent\s+cumulative\s+0\.75\s+s \(f64\)/);
      assert.match(read.out, /\(0\.01 s, 0\.025 s\]=1 \(0\.025 s, 0\.1 s\]=1/);
      const json = await cli("read", `shm:enc?dir=${dir}`, "--json", "--names", "temp,balance");
      assert.match(json.out, /"name": "temp",\s*"value": 37\s/);
      assert.match(json.out, /"name": "balance",\s*"value": -5\s/);

      // One process's own file, as the reader shows it (its bundle entry in the kernel layout).
      const check = await cli("check", `shm:enc?dir=${dir}&instances=all`);
      assert.equal(check.code, 0, check.out);
      assert.match(check.out, /temp: extension ext-encoding: encoding f64/);
      assert.match(check.out, /latency: extension ext-bounds/);
      assert.match(check.out, /statsfs-w1\/enc: temp: extension ext-encoding: encoding f64/);
      assert.match(check.out, /3 stats files checked: conforms \(18 statsfs extensions; --strict-kernel refuses them\)/);
      const strict = await cli("check", `shm:enc?dir=${dir}&instances=all`, "--strict-kernel");
      assert.equal(strict.code, 1);

      const merged = shm.files.find((f) => f.identity.path === "/enc" && f.identity.labels.instance === undefined);
      assert.ok(merged);
      const d = (name: string) => merged.schema.descriptors.find((x) => x.name === name) as never;
      assert.equal(fsValueText(d("temp"), merged.data), "37\n");
      assert.equal(fsValueText(d("balance"), merged.data), "-5\n");
      assert.match(fsValueText(d("latency"), merged.data), /^\(-inf, 0\.005\] s: 0\n.*\(0\.1, inf\) s: 0\n$/s);
    } finally {
      for (const r of regs) r.close();
    }
  });
});
