/**
 * Exposition view: exact values, names, labels, histograms, selection and negotiation, checked
 * against `promtool check metrics` where Prometheus is installed.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layOut } from "../../src/model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../src/model/flags.js";
import { makeIdentity, parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { openSource } from "../../src/providers/registry.js";
import {
  acceptsGzip,
  decimalText,
  formatterFor,
  leBounds,
  negotiateFormat,
  renderExposition,
  scaledText,
} from "../../src/views/openmetrics/index.js";
import { kvmSkipReason } from "../helpers.js";
import { prometheusSkipReason, promtoolCheck } from "../prometheus/prometheus.js";

function file(id: string, inits: Parameters<typeof layOut>[0], values: bigint[], identity = parseId(id)): StatsFile {
  const { descriptors, dataSize } = layOut(inits);
  return { identity, schema: { descriptors, dataSize, nameSize: 48 }, data: BigUint64Array.from(values) };
}

const U64_MAX = (1n << 64n) - 1n;

describe("openmetrics: exact values", () => {
  it("scales by 10^e and 2^e on the integer", () => {
    assert.equal(decimalText(U64_MAX, -9), "18446744073.709551615");
    assert.equal(scaledText(U64_MAX, StatBase.Pow10, -9), "18446744073.709551615");
    assert.equal(scaledText(1500000000n, StatBase.Pow10, -9), "1.5");
    assert.equal(scaledText(7n, StatBase.Pow10, -9), "0.000000007");
    assert.equal(scaledText(3n, StatBase.Pow10, 3), "3000");
    assert.equal(scaledText(3n, StatBase.Pow2, 10), "3072");
    assert.equal(scaledText(1n, StatBase.Pow2, -3), "0.125");
    assert.equal(scaledText(0n, StatBase.Pow10, -9), "0");
    const f = formatterFor(StatBase.Pow10, -9);
    for (const v of [0n, 1n, 9n, 10n, 999999999n, 1000000000n, 1000000001n, 123456789012345678n, U64_MAX]) {
      assert.equal(f(v), decimalText(v, -9), `${v}`);
    }
  });

  it("a counter keeps every digit of a u64 (no float on the way)", () => {
    const f = file("kvm-1/vcpu-0", [{ name: "exits" }, { name: "halt_wait_ns", unit: StatUnit.Seconds, exponent: -9 }], [U64_MAX, U64_MAX]);
    const text = renderExposition([f], "text");
    assert.match(text, /^kvm_vcpu_exits_total\{pid="1",vcpu="0"\} 18446744073709551615$/m);
    assert.match(text, /^kvm_vcpu_halt_wait_seconds_total\{pid="1",vcpu="0"\} 18446744073\.709551615$/m);
  });
});

describe("openmetrics: scaled values digit by digit", () => {
  it("a u64 × 10^-k renders as decimalText does, at every boundary of the fast path and past it", () => {
    const values = [0n, 1n, 9n, 10n, 11n, 99n, 100n, 101n, 123456789n, 999999999n, 1000000000n, 1000000001n, 1999999999n];
    for (const b of [2n ** 32n, 2n ** 52n, 2n ** 53n]) values.push(b - 1n, b, b + 1n);
    for (const k of [3n, 6n, 9n, 12n, 15n])
      values.push(10n ** k - 1n, 10n ** k, 10n ** k + 1n, 7n * 10n ** k, 4503599627370495n - (4503599627370495n % 10n ** k));
    values.push(U64_MAX, U64_MAX - 1n, 2n ** 63n);
    let seed = 7n;
    for (let i = 0; i < 200; i++) {
      seed = (seed * 6364136223846793005n + 1442695040888963407n) % 2n ** 64n;
      values.push(seed >> BigInt(i % 64));
    }
    for (const exponent of [-1, -3, -6, -9, -12, -15, -16]) {
      const inits = values.map((_, i) => ({ name: `w${i}`, type: StatType.Instant, unit: StatUnit.Seconds, exponent }));
      const f = file("kvm-1/vcpu-0", inits, values);
      const text = renderExposition([f], "text");
      const got = new Map([...text.matchAll(/^kvm_vcpu_w(\d+)_seconds\{[^}]*\} (\S+)$/gm)].map((m) => [Number(m[1]), m[2]]));
      for (const [i, v] of values.entries()) assert.equal(got.get(i), decimalText(v, exponent), `${v} x 10^${exponent}`);
    }
  });
});

describe("openmetrics: names, types and labels", () => {
  const f = file(
    "kvm-7/vcpu-3",
    [
      { name: "exits" },
      { name: "halt_wait_ns", unit: StatUnit.Seconds, exponent: -9 },
      { name: "blocking", type: StatType.Instant, unit: StatUnit.Boolean },
      { name: "max_mmu_rmap_size", type: StatType.Peak },
      { name: "tsc_cycles", unit: StatUnit.Cycles },
      { name: "mem_kb", type: StatType.Instant, unit: StatUnit.Bytes, base: StatBase.Pow2, exponent: 10 },
    ],
    [5n, 2500n, 1n, 9n, 11n, 3n],
  );
  const text = renderExposition([f], "text");
  const om = renderExposition([f], "openmetrics");

  it("names are <provider>_<target>_<stat> in base units, counters end in _total", () => {
    assert.match(text, /^# TYPE kvm_vcpu_exits_total counter$/m);
    assert.match(text, /^kvm_vcpu_halt_wait_seconds_total\{pid="7",vcpu="3"\} 0\.0000025$/m);
    assert.match(text, /^# TYPE kvm_vcpu_blocking gauge$/m);
    assert.match(text, /^# TYPE kvm_vcpu_max_mmu_rmap_size gauge$/m);
    assert.match(text, /^kvm_vcpu_tsc_cycles_total\{pid="7",vcpu="3"\} 11$/m);
    assert.match(text, /^kvm_vcpu_mem_bytes\{pid="7",vcpu="3"\} 3072$/m);
    assert.match(
      text,
      /^# HELP kvm_vcpu_halt_wait_seconds_total kvm vcpu statistic halt_wait_ns \(cumulative, raw unit ns, here in seconds\)$/m,
    );
  });

  it("OpenMetrics names families without _total, has UNIT, ends with # EOF", () => {
    assert.match(
      om,
      /^# TYPE kvm_vcpu_halt_wait_seconds counter\n# UNIT kvm_vcpu_halt_wait_seconds seconds\n# HELP kvm_vcpu_halt_wait_seconds /m,
    );
    assert.match(om, /^kvm_vcpu_halt_wait_seconds_total\{pid="7",vcpu="3"\} 0\.0000025$/m);
    assert.match(om, /^# UNIT kvm_vcpu_mem_bytes bytes$/m);
    assert.ok(om.endsWith("\n# EOF\n"));
    assert.ok(!text.includes("# EOF"));
  });

  it("label values are escaped; instance is renamed (Prometheus owns it)", () => {
    const id = makeIdentity("statsfs-p1/app", "statsfs", "app", { instance: "p1", source: "/app", route: '/a"b\\c\nd' }, "/app");
    const g = file("x", [{ name: "hits" }], [1n], id);
    const t = renderExposition([g], "text");
    // A newline is shown as the text \x0a (the one escaping function), whose backslash the format escapes.
    assert.match(t, /^statsfs_app_hits_total\{producer_instance="p1",source="\/app",route="\/a\\"b\\\\c\\\\x0ad"\} 1$/m);
  });

  it("clean under promtool check metrics", { skip: prometheusSkipReason() }, () => {
    assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
  });
});

describe("openmetrics: histograms", () => {
  const f = file(
    "kvm-1/vcpu-0",
    [
      { name: "halt_wait_ns", unit: StatUnit.Seconds, exponent: -9 },
      { name: "halt_wait_hist", type: StatType.Log2Histogram, unit: StatUnit.Seconds, exponent: -9, size: 4 },
      { name: "lin_hist", type: StatType.LinearHistogram, size: 3, bucketSize: 10 },
    ],
    [1234n, 1n, 2n, 3n, 4n, 5n, 6n, 7n],
  );
  const text = renderExposition([f], "text");
  const om = renderExposition([f], "openmetrics");

  it("log2 bounds: bucket 0 holds 0, bucket i holds [2^(i-1), 2^i), le = largest integer sample", () => {
    assert.deepEqual(leBounds(f.schema.descriptors[1] as never), ["0", "0.000000001", "0.000000003", "+Inf"]);
    const lines = text.split("\n").filter((l) => l.startsWith("kvm_vcpu_halt_wait_hist_seconds"));
    assert.deepEqual(lines, [
      'kvm_vcpu_halt_wait_hist_seconds_bucket{pid="1",vcpu="0",le="0"} 1',
      'kvm_vcpu_halt_wait_hist_seconds_bucket{pid="1",vcpu="0",le="0.000000001"} 3',
      'kvm_vcpu_halt_wait_hist_seconds_bucket{pid="1",vcpu="0",le="0.000000003"} 6',
      'kvm_vcpu_halt_wait_hist_seconds_bucket{pid="1",vcpu="0",le="+Inf"} 10',
      'kvm_vcpu_halt_wait_hist_seconds_count{pid="1",vcpu="0"} 10',
      'kvm_vcpu_halt_wait_hist_seconds_sum{pid="1",vcpu="0"} 0.000001234',
    ]);
  });

  it("linear bounds: bucket i holds [i*size, (i+1)*size); no paired total, so no _sum", () => {
    const lines = text.split("\n").filter((l) => l.startsWith("kvm_vcpu_lin_hist"));
    assert.deepEqual(lines, [
      'kvm_vcpu_lin_hist_bucket{pid="1",vcpu="0",le="9"} 5',
      'kvm_vcpu_lin_hist_bucket{pid="1",vcpu="0",le="19"} 11',
      'kvm_vcpu_lin_hist_bucket{pid="1",vcpu="0",le="+Inf"} 18',
      'kvm_vcpu_lin_hist_count{pid="1",vcpu="0"} 18',
    ]);
    // OpenMetrics: _count only together with _sum.
    assert.ok(!om.includes("kvm_vcpu_lin_hist_count"));
    assert.ok(om.includes('kvm_vcpu_lin_hist_bucket{pid="1",vcpu="0",le="+Inf"} 18'));
  });

  it("clean under promtool", { skip: prometheusSkipReason() }, () => {
    assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
  });
});

describe("openmetrics: nothing counted twice", () => {
  it("producer: per-process files beside the merged one and parents' aggregates are left out", () => {
    const merged = (path: string, names: string[], values: bigint[]) =>
      file(
        "",
        names.map((name) => ({ name })),
        values,
        parseId(`statsfs${path}`),
      );
    const parent = merged("/app", ["requests", "hits", "hits.max"], [5n, 30n, 20n]);
    const c1 = merged("/app/route-1", ["hits"], [10n]);
    const c2 = merged("/app/route-2", ["hits"], [20n]);
    const proc = file("", [{ name: "requests" }, { name: "hits" }], [2n, 10n], parseId("statsfs-p1/app"));
    const t = renderExposition([parent, c1, c2, proc], "text");
    assert.match(t, /^statsfs_app_requests_total\{source="\/app"\} 5$/m);
    assert.doesNotMatch(t, /source="\/app"\} (30|20)$/m, "the parent's aggregate and its companion are not series");
    assert.doesNotMatch(t, /hits_max/);
    assert.doesNotMatch(t, /producer_instance/);
    // Subordinates share the root's family, told apart by `source`: sum() adds them.
    assert.match(t, /^statsfs_app_hits_total\{source="\/app\/route-1"\} 10$/m);
    assert.match(t, /^statsfs_app_hits_total\{source="\/app\/route-2"\} 20$/m);
    assert.equal(t.match(/^# TYPE statsfs_app_hits_total/gm)?.length, 1);
  });

  it("the same file twice is shown once", () => {
    const a = file("kvm-1/vcpu-0", [{ name: "exits" }], [1n]);
    const b = file("kvm-1/vcpu-0", [{ name: "exits" }], [1n]);
    assert.equal(renderExposition([a, b], "text").match(/^kvm_vcpu_exits_total/gm)?.length, 1);
  });
});

describe("openmetrics: negotiation", () => {
  it("Prometheus's Accept gets OpenMetrics; curl and text/plain get 0.0.4", () => {
    const prom =
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    assert.equal(negotiateFormat(prom), "openmetrics");
    assert.equal(negotiateFormat("*/*"), "text");
    assert.equal(negotiateFormat(undefined), "text");
    assert.equal(negotiateFormat("text/plain;version=0.0.4"), "text");
    assert.equal(negotiateFormat("application/openmetrics-text;version=2.0.0"), "text");
    assert.equal(negotiateFormat("application/openmetrics-text;q=0, text/plain"), "text");
    assert.equal(acceptsGzip("gzip, deflate"), true);
    assert.equal(acceptsGzip("gzip;q=0"), false);
    assert.equal(acceptsGzip("identity"), false);
    assert.equal(acceptsGzip("*"), true);
  });
});

describe("openmetrics: real sources under promtool", { skip: prometheusSkipReason() }, () => {
  it("sim:", async () => {
    await using s = await openSource("sim:?vcpus=3");
    await s.poll();
    assert.deepEqual(promtoolCheck(renderExposition(s.files, "text")), { code: 0, output: "" });
  });
  it("kvm:demo", { skip: kvmSkipReason() }, async () => {
    await using s = await openSource("kvm:demo?vcpus=2");
    await s.poll();
    const text = renderExposition(s.files, "text");
    assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
    assert.match(text, /^# TYPE kvm_vcpu_halt_wait_hist_seconds histogram$/m);
    assert.match(text, /^kvm_vcpu_halt_wait_hist_seconds_sum\{pid="\d+",vcpu="1"\} /m);
    assert.match(text, /^# TYPE kvm_vm_max_mmu_rmap_size gauge$/m);
  });
});
