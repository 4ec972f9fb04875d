/**
 * Prometheus as the engine for fleets: two `statsfs serve --http` processes (two "hosts", each
 * Prometheus target its own `instance`) scraped by one Prometheus answer `sum by (…)` across
 * both exactly; and a scrape over TLS with basic auth (web config in the exporter toolkit's
 * format, certificate made with openssl), configured as a real Prometheus scrape config.
 * @serial: a bcrypt-checked TLS scrape within Prometheus's scrape timeout missed it in the
 * concurrent pass on two loaded cores.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import bcrypt from "bcryptjs";
import { encodeStatsFile } from "../../src/codec/index.js";
import { layOut } from "../../src/model/descriptor.js";
import { StatType, StatUnit } from "../../src/model/flags.js";
import { kvmVcpuId, kvmVmId } from "../../src/model/identity.js";
import { QmpClient } from "../../src/qmp/client/client.js";
import { prometheusSkipReason, startExporter, startPrometheus } from "./prometheus.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-fleet-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

const VCPU = layOut([
  { name: "exits" },
  { name: "halt_wait_ns", unit: StatUnit.Seconds, exponent: -9 },
  { name: "blocking", type: StatType.Instant, unit: StatUnit.Boolean },
]);
const VM = layOut([{ name: "remote_tlb_flush" }]);

/** A directory of binary stats files standing for one host: VM `pid` with vCPUs of these exits. */
function host(name: string, pid: number, exits: readonly bigint[]): string {
  const dir = join(tmp, name);
  mkdirSync(dir);
  writeFileSync(
    join(dir, "vm.stats"),
    encodeStatsFile({ id: kvmVmId(pid), descriptors: VM.descriptors, data: BigUint64Array.of(BigInt(pid)) }),
  );
  exits.forEach((e, i) => {
    writeFileSync(
      join(dir, `vcpu${i}.stats`),
      encodeStatsFile({ id: kvmVcpuId(pid, i), descriptors: VCPU.descriptors, data: BigUint64Array.of(e, e * 1000n, BigInt(i % 2)) }),
    );
  });
  return dir;
}

describe("two exporters, one Prometheus", { skip: prometheusSkipReason() }, () => {
  it("sum by (vcpu) and by (instance) across both hosts", async () => {
    await using a = await startExporter([host("a", 100, [1n, 2n, 3n])]);
    await using b = await startExporter([host("b", 200, [10n, 20n])]);
    const prom = await startPrometheus([{ job_name: "fleet", static_configs: [{ targets: [a.target, b.target] }] }]);
    try {
      await prom.until("both hosts", async () => {
        const r = await prom.query("count(kvm_vcpu_exits_total)");
        return r[0]?.value?.[1] === "5" ? true : undefined;
      });
      const byVcpu = await prom.query("sum by (vcpu) (kvm_vcpu_exits_total)");
      assert.deepEqual(Object.fromEntries(byVcpu.map((s) => [s.metric.vcpu, s.value?.[1]])), { "0": "11", "1": "22", "2": "3" });
      const byInstance = await prom.query("sum by (instance) (kvm_vcpu_exits_total)");
      assert.deepEqual(Object.fromEntries(byInstance.map((s) => [s.metric.instance, s.value?.[1]])), { [a.target]: "6", [b.target]: "30" });
      const wait = await prom.query("sum(kvm_vcpu_halt_wait_seconds_total)");
      // Prometheus sums floats: exact to the last bit is not promised, the exporter's text is.
      assert.ok(Math.abs(Number(wait[0]?.value?.[1]) - 36e-6) < 1e-15, wait[0]?.value?.[1]);
      const blocking = await prom.query("sum by (instance) (kvm_vcpu_blocking)");
      assert.deepEqual(Object.fromEntries(blocking.map((s) => [s.metric.instance, s.value?.[1]])), { [a.target]: "1", [b.target]: "1" });
      // VM statistics are not vCPU sums: their own name, one series per VM.
      const vms = await prom.query("sum by (pid) (kvm_vm_remote_tlb_flush_total)");
      assert.deepEqual(Object.fromEntries(vms.map((s) => [s.metric.pid, s.value?.[1]])), { "100": "100", "200": "200" });
    } finally {
      await prom.stop();
    }
  });
});

describe("TLS and basic auth through a Prometheus scrape config", { skip: prometheusSkipReason() }, () => {
  it("the right password scrapes; a wrong one, none, and plain HTTP do not", async () => {
    const dir = join(tmp, "tls");
    mkdirSync(dir);
    const r = spawnSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        join(dir, "server.key"),
        "-out",
        join(dir, "server.crt"),
        "-days",
        "1",
        "-subj",
        "/CN=statsfs-test",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
      ],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const hash = bcrypt.hashSync("scrape-pw", 6).replace(/^\$2b\$/, "$2y$");
    const config = join(dir, "web.yml");
    writeFileSync(
      config,
      `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: ${hash}\n`,
    );
    await using ex = await startExporter(["--web-config", config, host("tls-host", 300, [7n])]);
    assert.match(ex.url, /^https:/);
    const tls = { ca_file: join(dir, "server.crt") };
    const job = (name: string, extra: Record<string, unknown>) => ({
      job_name: name,
      static_configs: [{ targets: [ex.target] }],
      ...extra,
    });
    const prom = await startPrometheus([
      job("good", { scheme: "https", tls_config: tls, basic_auth: { username: "prometheus", password: "scrape-pw" } }),
      job("wrongpw", { scheme: "https", tls_config: tls, basic_auth: { username: "prometheus", password: "nope" } }),
      job("noauth", { scheme: "https", tls_config: tls }),
      job("plain", { scheme: "http", basic_auth: { username: "prometheus", password: "scrape-pw" } }),
    ]);
    try {
      const targets = await prom.until("every job scraped", async () => {
        const t = await prom.targets();
        return t.length === 4 && t.every((x) => x.health !== "unknown") ? t : undefined;
      });
      const by = Object.fromEntries(targets.map((t) => [t.scrapePool, t]));
      assert.equal(by.good?.health, "up", by.good?.lastError);
      assert.equal(by.wrongpw?.health, "down");
      assert.match(by.wrongpw?.lastError ?? "", /401/);
      assert.equal(by.noauth?.health, "down");
      assert.match(by.noauth?.lastError ?? "", /401/);
      assert.equal(by.plain?.health, "down");
      const v = await prom.query('kvm_vcpu_exits_total{job="good"}');
      assert.equal(v[0]?.value?.[1], "7");
      assert.equal((await prom.query('kvm_vcpu_exits_total{job="wrongpw"}')).length, 0);
    } finally {
      await prom.stop();
    }
  });
});

describe("serve --http and --qmp in one process", () => {
  it("one set of sources, both protocols, the same values", async () => {
    const sock = join(tmp, "both.sock");
    await using ex = await startExporter(["--qmp", `unix:${sock}`, host("both", 400, [41n, 42n])]);
    const text = await (await fetch(ex.url)).text();
    assert.match(text, /^kvm_vcpu_exits_total\{pid="400",vcpu="1"\} 42$/m);
    await using q = await QmpClient.connect(`unix:${sock}`);
    const r = (await q.execute("query-stats", { target: "vcpu" })) as { stats: { name: string; value: unknown }[] }[];
    assert.equal(r.length, 2);
    assert.equal(String(r[1]?.stats.find((x) => x.name === "exits")?.value), "42");
  });
});
