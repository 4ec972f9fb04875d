/**
 * @module test/kvm/kvm.test
 * Real /dev/kvm, no mocks: the system fd, a VM, a vCPU and their binary stats fds.
 */

import assert from "node:assert/strict";
import { closeSync, fstatSync } from "node:fs";
import { describe, test } from "node:test";
import { KvmError } from "../../src/errors.js";
import {
  KVM_CAP_BINARY_STATS_FD,
  KVM_GET_REGS,
  KVM_GET_SREGS,
  KVM_SET_MP_STATE,
  KVM_SET_REGS,
  KVM_SET_SREGS,
  KVM_SET_USER_MEMORY_REGION,
} from "../../src/providers/kvm/ioctl.js";
import { Kvm, kvmUnavailableReason } from "../../src/providers/kvm/kvm.js";
import { kvmSkip, readStats } from "./helpers.js";

const skip = kvmSkip();

describe("ioctl numbers", () => {
  test("sized ioctls match linux/kvm.h on x86-64", () => {
    assert.equal(KVM_SET_USER_MEMORY_REGION, 0x4020ae46);
    assert.equal(KVM_GET_REGS, 0x8090ae81);
    assert.equal(KVM_SET_REGS, 0x4090ae82);
    assert.equal(KVM_GET_SREGS, 0x8138ae83);
    assert.equal(KVM_SET_SREGS, 0x4138ae84);
    assert.equal(KVM_SET_MP_STATE, 0x4004ae99);
  });
});

describe("errors", () => {
  test("a missing device is one clear KvmError", () => {
    assert.throws(
      () => new Kvm("/dev/nonexistent-kvm"),
      (err: unknown) =>
        err instanceof KvmError &&
        err.code === "KVM_UNAVAILABLE" &&
        err.message === "/dev/nonexistent-kvm: no such device (KVM is not available on this machine)",
    );
    assert.match(kvmUnavailableReason("/dev/nonexistent-kvm") ?? "", /no such device/);
  });

  test("a device that is not KVM fails its first ioctl with KVM_IOCTL", { skip }, () => {
    assert.throws(
      () => new Kvm("/dev/null"),
      (err: unknown) => err instanceof KvmError && err.code === "KVM_IOCTL",
    );
  });
});

describe("real /dev/kvm", { skip }, () => {
  test("is usable: API version 12 and binary stats", () => {
    assert.equal(kvmUnavailableReason(), undefined);
    using kvm = new Kvm();
    assert.equal(kvm.apiVersion, 12);
    assert.ok(kvm.checkExtension(KVM_CAP_BINARY_STATS_FD) > 0);
    assert.ok(kvm.vcpuMmapSize() >= 4096);
  });

  test("VM and vCPU stats fds have the kernel's header and ids", () => {
    using kvm = new Kvm();
    using vm = kvm.createVm();
    using vcpu = vm.createVcpu(3);
    const vmFd = vm.statsFd();
    const vcpuFd = vcpu.statsFd();
    try {
      const v = readStats(vmFd);
      assert.equal(v.flags, 0);
      assert.equal(v.nameSize, 48);
      assert.equal(v.id, `kvm-${process.pid}`);
      assert.ok(v.numDesc > 0);
      const c = readStats(vcpuFd);
      assert.equal(c.flags, 0);
      assert.equal(c.nameSize, 48);
      assert.equal(c.id, `kvm-${process.pid}/vcpu-3`);
      assert.ok(c.values.has("exits"));
      assert.equal(c.values.get("halt_wait_hist")?.length, 32);
    } finally {
      closeSync(vmFd);
      closeSync(vcpuFd);
    }
  });

  test("close() is idempotent and later use is KVM_CLOSED", () => {
    const kvm = new Kvm();
    const vm = kvm.createVm();
    const fd = vm.fd;
    vm.close();
    vm.close();
    vm[Symbol.dispose]();
    assert.ok(vm.closed);
    assert.throws(() => fstatSync(fd), { code: "EBADF" });
    assert.throws(
      () => vm.statsFd(),
      (err: unknown) => err instanceof KvmError && err.code === "KVM_CLOSED",
    );
    kvm.close();
    kvm.close();
  });

  test("a stats fd outlives its VM fd", () => {
    const kvm = new Kvm();
    const vm = kvm.createVm();
    const fd = vm.statsFd();
    vm.close();
    kvm.close();
    try {
      assert.equal(readStats(fd).id, `kvm-${process.pid}`);
    } finally {
      closeSync(fd);
    }
  });

  test("a failed ioctl names itself", () => {
    using kvm = new Kvm();
    using vm = kvm.createVm();
    vm.createVcpu(0).close();
    assert.throws(
      () => vm.createVcpu(0),
      (err: unknown) =>
        err instanceof KvmError && err.code === "KVM_IOCTL" && /^VM: KVM_CREATE_VCPU\(0\): .+ \(E[A-Z]+\)$/.test(err.message),
    );
  });
});
