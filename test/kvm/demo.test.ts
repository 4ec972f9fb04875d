/**
 * @module test/kvm/demo.test
 * The demo VM on real /dev/kvm: a running 2-vCPU guest moves exits, I/O exits and the halt
 * histograms; 256 idle vCPUs create and close cleanly; close releases every fd.
 */

import assert from "node:assert/strict";
import { fstatSync } from "node:fs";
import { describe, test } from "node:test";
import { KvmError } from "../../src/errors.js";
import { startDemoVm } from "../../src/providers/kvm/demo.js";
import { isPvmHost, kvmSkip, readStats, scalar, sleep } from "./helpers.js";

const skip = kvmSkip();

/** Asserts every fd in `fds` is closed. */
function assertClosed(fds: readonly number[]): void {
  for (const fd of fds) assert.throws(() => fstatSync(fd), { code: "EBADF" }, `fd ${fd} open`);
}

describe("demo VM", { skip }, () => {
  test("2 running vCPUs move exits, I/O exits and halt histograms", async (t) => {
    const errors: KvmError[] = [];
    const vm = await startDemoVm({ vcpus: 2, onError: (e) => errors.push(e) });
    const fds = [vm.vmStatsFd, ...vm.vcpuStatsFds];
    try {
      assert.equal(vm.pid, process.pid);
      assert.equal(vm.vcpuStatsFds.length, 2);
      assert.equal(readStats(vm.vmStatsFd).id, `kvm-${process.pid}`);
      assert.ok(vm.running);

      const before = vm.vcpuStatsFds.map(readStats);
      const ioBefore = vm.ioExitCounts();
      await sleep(300);
      const after = vm.vcpuStatsFds.map(readStats);
      const ioAfter = vm.ioExitCounts();

      for (let id = 0; id < 2; id++) {
        const a = before[id];
        const b = after[id];
        assert.ok(a && b);
        assert.equal(b.id, `kvm-${process.pid}/vcpu-${id}`);
        const exits = scalar(b, "exits") - scalar(a, "exits");
        const io = scalar(b, "io_exits") - scalar(a, "io_exits");
        const ioSeen = (ioAfter[id] ?? 0n) - (ioBefore[id] ?? 0n);
        t.diagnostic(`vCPU ${id}: +${exits} exits, +${io} io_exits, +${ioSeen} KVM_EXIT_IO in 300 ms`);
        assert.ok(exits > 0n, `vCPU ${id}: exits did not grow`);
        assert.ok(ioSeen > 0n, `vCPU ${id}: no KVM_EXIT_IO reached userspace`);
        if (isPvmHost()) {
          // PVM emulates the guest's OUT in its instruction emulator and never counts io_exits.
          t.diagnostic(`vCPU ${id}: host KVM is PVM (kvm_pvm), io_exits is never counted there`);
          assert.equal(io, 0n);
        } else {
          assert.ok(io > 0n, `vCPU ${id}: io_exits did not grow`);
        }
        const halts = ["halt_wait_hist", "halt_poll_success_hist", "halt_poll_fail_hist"];
        const nonZero = halts.filter((h) => b.values.get(h)?.some((v) => v > 0n));
        assert.ok(nonZero.length > 0, `vCPU ${id}: no halt histogram has a sample`);
        assert.ok(scalar(b, "halt_exits") > scalar(a, "halt_exits"));
      }

      const t0 = performance.now();
      await vm.stop();
      const stopMs = performance.now() - t0;
      t.diagnostic(`stop() took ${stopMs.toFixed(1)} ms`);
      assert.ok(stopMs < 1000, `stop() took ${stopMs} ms`);
      assert.equal(vm.running, false);
      const frozen = scalar(readStats(vm.vcpuStatsFds[0] ?? -1), "exits");
      await sleep(50);
      assert.equal(scalar(readStats(vm.vcpuStatsFds[0] ?? -1), "exits"), frozen);
    } finally {
      await vm.close();
    }
    await vm.close();
    await vm[Symbol.asyncDispose]();
    assertClosed(fds);
    assert.deepEqual(errors, []);
    assert.deepEqual(vm.errors, []);
  });

  test("close() while running stops the threads and releases everything", async () => {
    const vm = await startDemoVm({ vcpus: 2 });
    const fds = [vm.vmStatsFd, ...vm.vcpuStatsFds];
    await sleep(20);
    await Promise.all([vm.close(), vm.close()]);
    assert.equal(vm.running, false);
    assertClosed(fds);
  });

  test("256 vCPUs with run: false create and close cleanly", async (t) => {
    const t0 = performance.now();
    const vm = await startDemoVm({ vcpus: 256, run: false });
    const ms = performance.now() - t0;
    t.diagnostic(`256 vCPUs created in ${ms.toFixed(1)} ms`);
    const fds = [vm.vmStatsFd, ...vm.vcpuStatsFds];
    try {
      assert.equal(vm.running, false);
      assert.equal(vm.vcpuStatsFds.length, 256);
      assert.equal(new Set(fds).size, 257);
      assert.equal(readStats(vm.vcpuStatsFds[255] ?? -1).id, `kvm-${process.pid}/vcpu-255`);
    } finally {
      await vm.close();
    }
    await vm.close();
    assertClosed(fds);
  });

  test("a bad vCPU count is a KvmError", async () => {
    await assert.rejects(startDemoVm({ vcpus: 0 }), (err: unknown) => err instanceof KvmError && err.code === "KVM_DEMO");
  });
});
