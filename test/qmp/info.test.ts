/**
 * `info stats` text: QEMU's unit spelling for every unit, base and exponent combination,
 * unsigned u64, bucket order, and no crash without vCPUs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layOut } from "../../src/model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../src/model/flags.js";
import { makeIdentity } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { infoStats, schemaText } from "../../src/views/hmp/index.js";
import { cli } from "../helpers.js";

const d = (init: Parameters<typeof layOut>[0][number]) => layOut([init]).descriptors[0] as ReturnType<typeof layOut>["descriptors"][number];

describe("info stats text", () => {
  it("spells units as QEMU's print_stats_schema_value", () => {
    assert.equal(schemaText(d({ name: "x" })), "(cumulative)");
    assert.equal(schemaText(d({ name: "x", type: StatType.Instant, unit: StatUnit.Boolean })), "(instant, boolean)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Seconds, exponent: -9 })), "(cumulative, ns)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Seconds, exponent: -6 })), "(cumulative, us)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Seconds })), "(cumulative, s)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Bytes, base: StatBase.Pow2, exponent: 10 })), "(cumulative, KiB)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Bytes, exponent: 3 })), "(cumulative, KB)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Bytes, base: StatBase.Pow2, exponent: 7 })), "(cumulative, * 2^7 bytes)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Cycles, exponent: 3 })), "(cumulative, * 10^3 cycles)");
    assert.equal(schemaText(d({ name: "x", unit: StatUnit.Cycles })), "(cumulative, cycles)");
    assert.equal(schemaText(d({ name: "x", exponent: -9 })), "(cumulative, * 10^-9)");
    assert.equal(
      schemaText(d({ name: "x", type: StatType.LinearHistogram, size: 4, bucketSize: 50 })),
      "(linear-histogram, bucket size=50)",
    );
    assert.equal(schemaText(d({ name: "x", type: StatType.Peak, unit: StatUnit.Bytes })), "(peak, B)");
  });

  const file = (id: string, target: string, path?: string): StatsFile => {
    const { descriptors, dataSize } = layOut([{ name: "big" }, { name: "h", type: StatType.Log2Histogram, size: 3 }]);
    const data = new BigUint64Array(dataSize / 8);
    data.set([(1n << 64n) - 1n, 1n, 2n, 3n]);
    return {
      identity: makeIdentity(id, "kvm", target, {}, path),
      schema: { descriptors, dataSize, nameSize: 48 },
      data,
    };
  };

  it("prints u64 unsigned, buckets in order, one vCPU by default, all with --vcpu all", () => {
    const files = [file("kvm-1", "vm"), file("kvm-1/vcpu-0", "vcpu"), file("kvm-1/vcpu-1", "vcpu", "/cpu1")];
    assert.equal(
      infoStats(files, { target: "vm" }),
      "provider: kvm\n    big (cumulative): 18446744073709551615\n    h (log2-histogram): [1]=1 [2]=2 [3]=3 \n",
    );
    assert.equal(infoStats(files, { target: "vcpu", names: "h", provider: "kvm" }), "    h (log2-histogram): [1]=1 [2]=2 [3]=3 \n");
    assert.equal(
      infoStats(files, { target: "vcpu", vcpu: "/cpu1", names: "big" }),
      "provider: kvm\n    big (cumulative): 18446744073709551615\n",
    );
    assert.equal(
      infoStats(files, { target: "vcpu", vcpu: "all", names: "big", provider: "kvm" }),
      "qom-path: /kvm-1/vcpu-0\n    big (cumulative): 18446744073709551615\nqom-path: /cpu1\n    big (cumulative): 18446744073709551615\n",
    );
    assert.equal(infoStats(files, { target: "vm", names: "nope" }), "");
  });

  it("prints nothing for a VM without vCPUs (QEMU 7.2 crashes)", () => {
    assert.equal(infoStats([file("kvm-1", "vm")], { target: "vcpu" }), "");
  });

  it("refuses an unknown target or provider in QEMU's words", async () => {
    const t = await cli("info", "sim:?vcpus=1", "--target", "bogus");
    assert.equal(t.code, 2);
    assert.equal(t.err, "statsfs: invalid stats target bogus\n");
    const p = await cli("info", "sim:?vcpus=1", "--provider", "foo");
    assert.equal(p.err, "statsfs: invalid stats provider foo\n");
    const ok = await cli("info", "sim:?vcpus=2", "--target", "vcpu", "--vcpu", "1", "--names", "blocking");
    assert.equal(ok.code, 0, ok.err);
    assert.match(ok.out, /^provider: kvm\n {4}blocking \(instant, boolean\): (yes|no)\n$/);
  });
});
