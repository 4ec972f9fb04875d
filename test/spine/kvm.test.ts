import assert from "node:assert/strict";
import { readSync } from "node:fs";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { checkSource } from "../../src/cli/commands/check/index.js";
import { amountOf, StatType, scalarValue } from "../../src/model/index.js";
import { FdStatsFile } from "../../src/providers/file/fd-file.js";
import { openSource } from "../../src/providers/registry.js";
import { encodeFile } from "../../src/views/binary/index.js";
import { cli, kvmSkipReason } from "../helpers.js";

const skip = kvmSkipReason();

/** Every byte the kernel serves for a stats fd, up to the end of its data block. */
function kernelBytes(f: FdStatsFile): Uint8Array {
  const len = f.reader.layout.dataOffset + f.schema.dataSize;
  const buf = new Uint8Array(len);
  assert.equal(readSync(f.fd, buf, 0, len, 0), len);
  return buf;
}

describe("real KVM through the stats-file model", { skip }, () => {
  it("our encoding of a real VM's and vCPUs' stats is byte-exact with the kernel's", async () => {
    await using s = await openSource("kvm:demo?vcpus=2&run=0");
    assert.equal(s.files.length, 3);
    for (const f of s.files) {
      assert.ok(f instanceof FdStatsFile);
      (f as FdStatsFile).poll();
      assert.deepEqual(encodeFile(f), kernelBytes(f as FdStatsFile), f.identity.id);
    }
    assert.deepEqual(
      s.files.map((f) => [f.identity.provider, f.identity.target]),
      [
        ["kvm", "vm"],
        ["kvm", "vcpu"],
        ["kvm", "vcpu"],
      ],
    );
    assert.match(s.files[2]?.identity.id ?? "", new RegExp(`^kvm-${process.pid}/vcpu-1$`));
  });

  it("real stats fds pass the conformance checker", async () => {
    const results = await checkSource("kvm:demo?vcpus=3");
    assert.equal(results.length, 4);
    for (const r of results) assert.deepEqual(r.violations, [], r.name);
    const r = await cli("check", "kvm:demo");
    assert.equal(r.code, 0, r.out + r.err);
    assert.match(r.out, /3 stats files checked: conforms/);
  });

  it("the demo guest moves exits and a halt histogram", async () => {
    await using s = await openSource("kvm:demo?vcpus=2");
    const vcpu = s.files[1];
    assert.ok(vcpu);
    const find = (n: string) => {
      const d = vcpu.schema.descriptors.find((x) => x.name === n);
      assert.ok(d, `vCPU stat ${n}`);
      return d;
    };
    const exits = find("exits");
    await s.poll();
    const e0 = scalarValue(exits, vcpu.data);
    await sleep(300);
    await s.poll();
    assert.ok(scalarValue(exits, vcpu.data) > e0, "exits grow");
    const hists = vcpu.schema.descriptors.filter((d) => d.type === StatType.Log2Histogram && d.name.startsWith("halt_"));
    assert.ok(hists.length > 0);
    assert.ok(
      hists.some((d) => (amountOf(d, vcpu.data) as bigint) > 0n),
      "a halt histogram has a non-zero bucket",
    );
  });

  it("read --json of a real VM is digit-exact JSON with booleans", async () => {
    const r = await cli("read", "kvm:demo?vcpus=1&run=0", "--json", "--target", "vcpu", "--names", "blocking,exits,halt_wait_hist");
    assert.equal(r.code, 0, r.err);
    const [res] = JSON.parse(r.out);
    assert.equal(res.target, "vcpu");
    assert.deepEqual(res.stats.map((s: { name: string }) => s.name).sort(), ["blocking", "exits", "halt_wait_hist"]);
    assert.equal(typeof res.stats.find((s: { name: string }) => s.name === "blocking").value, "boolean");
  });
});
