/**
 * A real Prometheus 2.42 scraping statsfs every second: a real demo KVM VM and a real QEMU over
 * QMP. PromQL answers over the HTTP API (rate, histogram_quantile, the buckets, _sum/_count)
 * must agree with the values statsfs read at the polls Prometheus's samples came from.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { log2Bucket } from "../../src/model/histogram.js";
import { openSource } from "../../src/providers/registry.js";
import { HttpExporter } from "../../src/views/http/index.js";
import { kvmSkipReason } from "../helpers.js";
import { qemuKvmSkipReason, startQemu } from "../qmp/qemu.js";
import { type Prometheus, prometheusSkipReason, promtoolCheck, type Sample, startPrometheus } from "./prometheus.js";
import { type Poll, recording, words } from "./recording.js";

const skip = prometheusSkipReason() ?? kvmSkipReason();

/** Exact decimal of n·10^-9 (independent of the exporter's own formatter). */
function nsText(n: bigint): string {
  const s = n.toString().padStart(10, "0");
  const frac = s.slice(-9).replace(/0+$/, "");
  return frac === "" ? s.slice(0, -9).replace(/^0+(?=\d)/, "") : `${s.slice(0, -9).replace(/^0+(?=\d)/, "")}.${frac}`;
}

/** Prometheus's histogram_quantile over KVM log2 buckets (ns), bounds from the kernel's rule. */
function quantile(q: number, buckets: readonly bigint[]): number {
  const n = buckets.length;
  const uppers = buckets.map((_, i) => {
    const high = log2Bucket(i, n).high;
    return high === undefined ? Number.POSITIVE_INFINITY : Number(high - 1n) / 1e9;
  });
  const cum: number[] = [];
  let c = 0;
  for (const b of buckets) {
    c += Number(b);
    cum.push(c);
  }
  const total = cum[n - 1] as number;
  const rank = q * total;
  let i = cum.findIndex((x) => x >= rank);
  if (i === n - 1) return uppers[n - 2] as number;
  if (i < 0) i = n - 1;
  const lower = i === 0 ? 0 : (uppers[i - 1] as number);
  const below = i === 0 ? 0 : (cum[i - 1] as number);
  const inBucket = (cum[i] as number) - below;
  const upper = uppers[i] as number;
  if (i === 0 && upper <= 0) return upper;
  return lower + (upper - lower) * ((rank - below) / inBucket);
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));

describe("prometheus scrapes kvm:demo", { skip }, () => {
  let prom: Prometheus;
  let exporter: HttpExporter;
  let src: ReturnType<typeof recording>;
  before(async () => {
    src = recording(await openSource("kvm:demo?vcpus=2"));
    exporter = await HttpExporter.listen({ address: { host: "127.0.0.1", port: 0 }, sources: [src] });
    prom = await startPrometheus([{ job_name: "demo", static_configs: [{ targets: [`127.0.0.1:${exporter.address.port}`] }] }]);
  });
  after(async () => {
    await prom?.stop();
    await exporter?.close();
    await src?.close();
  });

  /** The recorded poll whose vCPU-0 exits equal a sample's value (exits move on every poll). */
  const pollOf = (value: string): Poll => {
    const hits = src.polls.filter((p) => String(words(vcpu0(p), "exits")[0]) === value);
    assert.ok(hits.length >= 1, `no poll served exits=${value}`);
    return hits[hits.length - 1] as Poll;
  };
  const vcpu0 = (p: Poll) => {
    for (const [k, v] of p) if (JSON.parse(k).vcpu === "0") return v;
    throw new Error("no vcpu 0");
  };

  it("rate(kvm_vcpu_exits_total[…]), the buckets, _sum, _count and histogram_quantile(0.9) agree with what statsfs read", async () => {
    const samples = await prom.until("5 samples of kvm_vcpu_exits_total", async () => {
      const r = await prom.query('kvm_vcpu_exits_total{vcpu="0"}[1m]');
      const v = r[0]?.values;
      return v && v.length >= 5 && (await prom.targets())[0]?.health === "up" ? v : undefined;
    });
    const t = await prom.targets();
    assert.equal(t[0]?.lastError, "");
    // Every stored sample is a value that a poll read, in poll order.
    let last = -1;
    for (const [, v] of samples) {
      const i = src.polls.lastIndexOf(pollOf(v));
      assert.ok(i > last, "samples follow the polls' order");
      last = i;
    }
    const first = samples[0] as Sample;
    const end = samples[samples.length - 1] as Sample;
    const t0 = Math.round(first[0] * 1000);
    const t1 = Math.round(end[0] * 1000);
    const at = (t1 / 1000).toFixed(3);
    // A window from the first sample to the last: no extrapolation, rate = Δ / Δt exactly.
    const r = await prom.query(`rate(kvm_vcpu_exits_total{vcpu="0"}[${t1 - t0}ms])`, Number(at));
    const delta = Number(words(vcpu0(pollOf(end[1])), "exits")[0]) - Number(words(vcpu0(pollOf(first[1])), "exits")[0]);
    assert.ok(delta > 0, "the demo VM exits");
    assert.ok(close(Number(r[0]?.value?.[1]), delta / ((t1 - t0) / 1000)), `rate ${r[0]?.value?.[1]} vs ${delta / ((t1 - t0) / 1000)}`);

    const p = vcpu0(pollOf(end[1]));
    const hist = words(p, "halt_wait_hist");
    const total = hist.reduce((a, b) => a + b, 0n);
    assert.ok(total > 0n, "the demo VM halts");
    const buckets = await prom.query('kvm_vcpu_halt_wait_hist_seconds_bucket{vcpu="0"}', Number(at));
    assert.equal(buckets.length, 32);
    const byLe = new Map(buckets.map((b) => [b.metric.le, b.value?.[1]]));
    let cum = 0n;
    for (let i = 0; i < 32; i++) {
      cum += hist[i] as bigint;
      const high = log2Bucket(i, 32).high;
      const le = high === undefined ? "+Inf" : nsText(high - 1n);
      assert.equal(byLe.get(le), String(cum), `le=${le}`);
    }
    const count = await prom.query('kvm_vcpu_halt_wait_hist_seconds_count{vcpu="0"}', Number(at));
    assert.equal(count[0]?.value?.[1], String(total));
    const sum = await prom.query('kvm_vcpu_halt_wait_hist_seconds_sum{vcpu="0"}', Number(at));
    assert.ok(close(Number(sum[0]?.value?.[1]), Number(words(p, "halt_wait_ns")[0]) / 1e9));
    const q = await prom.query('histogram_quantile(0.9, kvm_vcpu_halt_wait_hist_seconds_bucket{vcpu="0"})', Number(at));
    const expected = quantile(0.9, hist);
    assert.ok(close(Number(q[0]?.value?.[1]), expected), `quantile ${q[0]?.value?.[1]} vs ${expected}`);
  });

  it("what Prometheus scraped is clean under promtool (text) and was OpenMetrics", async () => {
    const text = await (await fetch(exporter.url)).text();
    assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
    // Prometheus 2.42 asks for OpenMetrics first; the scrape parsed, so the target is up.
    const up = await prom.query('up{job="demo"}');
    assert.equal(up[0]?.value?.[1], "1");
    const gauges = await prom.query('kvm_vcpu_blocking{vcpu="1"}');
    assert.ok(["0", "1"].includes(gauges[0]?.value?.[1] ?? ""));
  });
});

describe("prometheus scrapes QEMU over QMP through statsfs", { skip: prometheusSkipReason() ?? qemuKvmSkipReason() }, () => {
  it("every vCPU with its qom_path, values from the polls", async () => {
    await using qemu = await startQemu(4);
    const src = recording(await openSource(`qmp:${qemu.socket}`));
    await using exporter = await HttpExporter.listen({ address: { host: "127.0.0.1", port: 0 }, sources: [src] });
    const prom = await startPrometheus([{ job_name: "qemu", static_configs: [{ targets: [`127.0.0.1:${exporter.address.port}`] }] }]);
    try {
      const series = await prom.until("4 vCPUs", async () => {
        const r = await prom.query("kvm_vcpu_exits_total");
        return r.length === 4 ? r : undefined;
      });
      const paths = series.map((s) => s.metric.qom_path).sort();
      assert.equal(new Set(paths).size, 4);
      for (const p of paths) assert.match(p ?? "", /^\/machine\/unattached\/device\[\d+\]$/);
      for (const s of series) {
        const served = src.polls.map((p) => {
          for (const [k, v] of p) if (JSON.parse(k).qom_path === s.metric.qom_path) return String(words(v, "exits")[0]);
          return undefined;
        });
        assert.ok(served.includes(s.value?.[1]), `${s.metric.qom_path}: ${s.value?.[1]} not among ${served.join(",")}`);
      }
      const hist = await prom.query("count(kvm_vcpu_halt_wait_hist_seconds_bucket)");
      assert.equal(hist[0]?.value?.[1], String(4 * 32));
      assert.equal((await prom.query("count(kvm_vm_remote_tlb_flush_total)"))[0]?.value?.[1], "1");
      assert.deepEqual(promtoolCheck(await (await fetch(exporter.url)).text()), { code: 0, output: "" });
    } finally {
      await prom.stop();
      await src.close();
    }
  });
});
