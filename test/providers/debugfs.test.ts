/**
 * debugfs statistics are typed by the kernel's own schema, also where /dev/kvm is missing (the
 * recorded table of providers/debugfs/kvm-stats.ts): a falling gauge (`pages_4k`) is a signed
 * change, as kvm_stat prints it (-2), never a counter reset shown as a huge number. The table
 * agrees with this kernel's stats fds where /dev/kvm exists.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

// Play a host without /dev/kvm: the kinds must then come from the recorded table.
process.env.STATSFS_KVM_DEVICE = "/nonexistent/kvm";
const { openSource } = await import("../../src/providers/registry.js");
const { Sampler } = await import("../../src/sample/sampler.js");
const { fieldSums, LogWriter, PLAIN, columnsOf } = await import("../../src/views/log/index.js");
const { tableDescriptors } = await import("../../src/providers/debugfs/kvm-stats.js");
const { StatType } = await import("../../src/model/flags.js");
const { kvmSkipReason } = await import("../helpers.js");

const root = mkdtempSync(join(tmpdir(), "statsfs-debugfs-"));
after(() => rmSync(root, { recursive: true, force: true }));

describe("debugfs: typed by the kernel's schema", () => {
  it("pages_4k falling by 2 logs -2 (kvm_stat's signed change), counters their increase", async () => {
    const vm = join(root, "kvm", "4242-11");
    mkdirSync(vm, { recursive: true });
    const put = (name: string, v: number) => writeFileSync(join(vm, name), `${v}\n`);
    put("pages_4k", 509016);
    put("exits", 100);
    put("max_mmu_page_hash_collisions", 3);
    put("pid", 4242);
    await using s = await openSource(`debugfs:${join(root, "kvm")}`);
    const kinds = new Map(s.files[0]?.schema.descriptors.map((d) => [d.name, d.type]));
    assert.deepEqual(
      [...kinds],
      [
        ["exits", StatType.Cumulative],
        ["max_mmu_page_hash_collisions", StatType.Peak],
        ["pages_4k", StatType.Instant],
      ],
    );
    const sampler = new Sampler(s);
    const first = await sampler.sample();
    put("pages_4k", 509014);
    put("exits", 130);
    const second = await sampler.sample();
    const sums = fieldSums(second);
    assert.equal(sums.get("pages_4k")?.delta, -2n);
    assert.equal(sums.get("exits")?.delta, 30n);
    let text = "";
    const w = new LogWriter(PLAIN, { isFile: false, write: (t: string) => (text += t), size: () => 0 }, false);
    w.start(columnsOf(fieldSums(first)));
    w.sample(second.wall, sums, columnsOf(sums));
    const line = text.trimEnd().split("\n").pop() ?? "";
    assert.match(line, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {8}30 {9}0 {8}-2$/, text);
  });

  it("the recorded table is this kernel's schema", { skip: kvmSkipReason("/dev/kvm") }, async () => {
    const { Kvm } = await import("../../src/providers/kvm/kvm.js");
    const { FdStatsFile } = await import("../../src/providers/file/fd-file.js");
    const kvm = new Kvm("/dev/kvm");
    const vm = kvm.createVm();
    const vcpu = vm.createVcpu(0);
    const table = tableDescriptors();
    try {
      for (const fd of [vm.statsFd(), vcpu.statsFd()]) {
        const f = new FdStatsFile(fd, "probe", true);
        for (const d of f.schema.descriptors) {
          const t = table.get(d.name);
          assert.ok(t, `${d.name} is in the table`);
          assert.deepEqual(
            [t.type, t.unit, t.base, t.exponent, t.size, t.bucketSize],
            [d.type, d.unit, d.base, d.exponent, d.size, d.bucketSize],
          );
        }
        f.close();
      }
    } finally {
      vcpu.close();
      vm.close();
      kvm.close();
    }
  });
});
