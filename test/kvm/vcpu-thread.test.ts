/**
 * @module test/kvm/vcpu-thread.test
 * A vCPU thread stops promptly even when its guest never exits to userspace (a spin, or HLT
 * with interrupts off): stop flag + immediate_exit + a signal to the thread.
 */

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Kvm } from "../../src/providers/kvm/kvm.js";
import { KvmRegs, KvmSregs, setSegment } from "../../src/providers/kvm/structs.js";
import { VcpuThread } from "../../src/providers/kvm/vcpu-thread.js";
import { libc, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from "../../src/sys/libc.js";
import { kvmSkip, sleep } from "./helpers.js";

const skip = kvmSkip();

/** Runs `code` (real mode, at 0x1000) on one vCPU for a moment, then times stop(). */
async function stopMs(code: number[]): Promise<number> {
  using kvm = new Kvm();
  using vm = kvm.createVm();
  vm.createIrqchip();
  const ram = libc().mmap(0x10000, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, "ram");
  try {
    new Uint8Array(ram.bytes, 0x1000, code.length).set(code);
    vm.setUserMemoryRegion(0, 0n, 0x10000, ram.address);
    using vcpu = vm.createVcpu(0);
    const sregs = vcpu.getSregs();
    setSegment(sregs, KvmSregs.cs, 0, 0n);
    vcpu.setSregs(sregs);
    const regs = Buffer.alloc(144);
    regs.writeBigUInt64LE(0x1000n, KvmRegs.rip);
    regs.writeBigUInt64LE(0x2n, KvmRegs.rflags);
    vcpu.setRegs(regs);
    const errors: string[] = [];
    const shared = { control: new SharedArrayBuffer(4), ioExits: new SharedArrayBuffer(8) };
    const thread = new VcpuThread(vcpu, kvm.vcpuMmapSize(), shared, (e) => errors.push(e.message));
    await thread.ready;
    await sleep(100);
    const t0 = performance.now();
    const stopped = await thread.stop(3000);
    const ms = performance.now() - t0;
    assert.ok(stopped, "thread did not stop");
    assert.equal(thread.alive, false);
    assert.deepEqual(errors, []);
    return ms;
  } finally {
    libc().munmap(ram);
  }
}

describe("vCPU thread", { skip }, () => {
  test("stops a guest that spins without exits", async (t) => {
    const ms = await stopMs([0xeb, 0xfe]); // jmp $
    t.diagnostic(`stop() took ${ms.toFixed(1)} ms`);
    assert.ok(ms < 500);
  });

  test("stops a guest halted with interrupts off", async (t) => {
    const listeners = process.listenerCount("SIGWINCH");
    const ms = await stopMs([0xfa, 0xf4, 0xeb, 0xfd]); // cli; hlt; jmp $-3
    t.diagnostic(`stop() took ${ms.toFixed(1)} ms`);
    assert.ok(ms < 500);
    assert.equal(process.listenerCount("SIGWINCH"), listeners, "the kick listener was left behind");
  });
});
