/**
 * @module providers/kvm/kvm
 * Thin owners of the three kinds of KVM file descriptor: the system (/dev/kvm), a VM and a
 * vCPU. Each has an idempotent `close()` and `[Symbol.dispose]`; every failure is a
 * {@link KvmError} with a stable code and a one-line message.
 *
 * Stats fds returned by `statsFd()` belong to the caller (close them with fs.closeSync); they
 * keep working after the VM or vCPU fd is closed.
 */

import { closeSync, openSync } from "node:fs";
import { Closable } from "../../closable.js";
import { KvmError } from "../../errors.js";
import { libc } from "../../sys/libc.js";
import {
  KVM_API_VERSION,
  KVM_CAP_BINARY_STATS_FD,
  KVM_CHECK_EXTENSION,
  KVM_CREATE_IRQCHIP,
  KVM_CREATE_VCPU,
  KVM_CREATE_VM,
  KVM_GET_API_VERSION,
  KVM_GET_REGS,
  KVM_GET_SREGS,
  KVM_GET_STATS_FD,
  KVM_GET_VCPU_MMAP_SIZE,
  KVM_SET_MP_STATE,
  KVM_SET_REGS,
  KVM_SET_SREGS,
  KVM_SET_TSS_ADDR,
  KVM_SET_USER_MEMORY_REGION,
  SIZEOF_KVM_MP_STATE,
  SIZEOF_KVM_REGS,
  SIZEOF_KVM_SREGS,
} from "./ioctl.js";
import { encodeMemoryRegion } from "./structs.js";

/** The KVM device; STATSFS_KVM_DEVICE overrides it (tests use it to play a host without KVM). */
export const KVM_DEVICE = process.env.STATSFS_KVM_DEVICE || "/dev/kvm";

/** Returns an ioctl's result, or throws KvmError `KVM_IOCTL` with errno's text if it failed. */
function ioctlResult(result: number, what: string): number {
  if (result >= 0) return result;
  throw new KvmError("KVM_IOCTL", `${what}: ${libc().lastError()}`);
}

/** Loads the libc bindings; a failure is KvmError `KVM_FFI` (KVM can't be used here). */
function loadLibc(): void {
  try {
    libc();
  } catch (e) {
    throw new KvmError("KVM_FFI", e instanceof Error ? e.message : String(e), { cause: e });
  }
}

/** Base of the fd owners: holds the fd until `close()`, which is safe to call twice. */
abstract class FdOwner extends Closable {
  #fd: number;
  /** What the fd is, for error messages ("/dev/kvm", "VM", "vCPU 3"). */
  protected abstract readonly what: string;

  protected constructor(fd: number) {
    super();
    this.#fd = fd;
  }

  /** The open fd; throws KvmError `KVM_CLOSED` after close(). */
  get fd(): number {
    if (this.#fd < 0) throw new KvmError("KVM_CLOSED", `${this.what}: already closed`);
    return this.#fd;
  }

  /** Closes the fd (close() runs it once). */
  protected closing(): void {
    const fd = this.#fd;
    this.#fd = -1;
    try {
      closeSync(fd);
    } catch {
      // Nothing useful to do: the fd is gone either way.
    }
  }

  /** ioctl with an integer argument; throws KvmError `KVM_IOCTL` naming `name` on failure. */
  protected ioctlInt(request: number, name: string, arg?: number | bigint): number {
    return ioctlResult(libc().ioctlInt(this.fd, request, arg), `${this.what}: ${name}`);
  }

  /** ioctl with a struct argument read and/or written in place. */
  protected ioctlPtr(request: number, name: string, buf: Uint8Array): number {
    return ioctlResult(libc().ioctlPtr(this.fd, request, buf), `${this.what}: ${name}`);
  }
}

/** The KVM system fd (/dev/kvm), checked for API version 12 and binary stats support. */
export class Kvm extends FdOwner {
  protected readonly what: string;
  /** KVM_GET_API_VERSION (always 12 once constructed). */
  readonly apiVersion: number;

  /**
   * Opens `path` (default /dev/kvm). Throws KvmError `KVM_UNAVAILABLE` when the device is
   * missing, not accessible, too old (no KVM_CAP_BINARY_STATS_FD) or of another API version,
   * and `KVM_FFI` when the koffi module cannot load.
   */
  constructor(path: string = KVM_DEVICE) {
    super(openDevice(path));
    this.what = path;
    try {
      loadLibc();
      this.apiVersion = this.ioctlInt(KVM_GET_API_VERSION, "KVM_GET_API_VERSION");
      if (this.apiVersion !== KVM_API_VERSION) {
        throw new KvmError("KVM_UNAVAILABLE", `${path}: KVM API version ${this.apiVersion}, expected ${KVM_API_VERSION}`);
      }
      if (this.checkExtension(KVM_CAP_BINARY_STATS_FD) <= 0) {
        throw new KvmError("KVM_UNAVAILABLE", `${path}: this kernel has no KVM binary stats (KVM_CAP_BINARY_STATS_FD needs Linux 5.14+)`);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** KVM_CHECK_EXTENSION: 0 when `cap` is unsupported, else a capability-specific value. */
  checkExtension(cap: number): number {
    return this.ioctlInt(KVM_CHECK_EXTENSION, `KVM_CHECK_EXTENSION(${cap})`, cap);
  }

  /** KVM_GET_VCPU_MMAP_SIZE: bytes to mmap from a vCPU fd to reach struct kvm_run. */
  vcpuMmapSize(): number {
    return this.ioctlInt(KVM_GET_VCPU_MMAP_SIZE, "KVM_GET_VCPU_MMAP_SIZE");
  }

  /** KVM_CREATE_VM (default machine type). The VM stays usable after this Kvm is closed. */
  createVm(): KvmVm {
    return new KvmVm(this.ioctlInt(KVM_CREATE_VM, "KVM_CREATE_VM", 0));
  }
}

/** A VM fd. */
export class KvmVm extends FdOwner {
  protected readonly what = "VM";

  /** Wraps an fd returned by KVM_CREATE_VM; the VM now owns it. */
  constructor(fd: number) {
    super(fd);
  }

  /** KVM_GET_STATS_FD: a new binary stats fd for this VM, owned by the caller. */
  statsFd(): number {
    return this.ioctlInt(KVM_GET_STATS_FD, "KVM_GET_STATS_FD");
  }

  /** KVM_CREATE_IRQCHIP: in-kernel PIC, IOAPIC and local APICs (before any vCPU). */
  createIrqchip(): void {
    this.ioctlInt(KVM_CREATE_IRQCHIP, "KVM_CREATE_IRQCHIP");
  }

  /** KVM_SET_TSS_ADDR: guest physical address of a 3-page region KVM may use (x86). */
  setTssAddr(gpa: number): void {
    this.ioctlInt(KVM_SET_TSS_ADDR, "KVM_SET_TSS_ADDR", gpa);
  }

  /** KVM_SET_USER_MEMORY_REGION: maps `size` bytes at host `userspaceAddr` to guest `gpa`. */
  setUserMemoryRegion(slot: number, gpa: bigint, size: number, userspaceAddr: bigint): void {
    const region = encodeMemoryRegion({
      slot,
      guestPhysAddr: gpa,
      memorySize: BigInt(size),
      userspaceAddr,
    });
    this.ioctlPtr(KVM_SET_USER_MEMORY_REGION, "KVM_SET_USER_MEMORY_REGION", region);
  }

  /** KVM_CREATE_VCPU with vCPU id `id`. */
  createVcpu(id: number): KvmVcpu {
    return new KvmVcpu(this.ioctlInt(KVM_CREATE_VCPU, `KVM_CREATE_VCPU(${id})`, id), id);
  }
}

/** A vCPU fd. */
export class KvmVcpu extends FdOwner {
  protected readonly what: string;
  /** The vCPU id given to KVM_CREATE_VCPU. */
  readonly id: number;

  /** Wraps an fd returned by KVM_CREATE_VCPU; the vCPU now owns it. */
  constructor(fd: number, id: number) {
    super(fd);
    this.id = id;
    this.what = `vCPU ${id}`;
  }

  /** KVM_GET_STATS_FD: a new binary stats fd for this vCPU, owned by the caller. */
  statsFd(): number {
    return this.ioctlInt(KVM_GET_STATS_FD, "KVM_GET_STATS_FD");
  }

  /** KVM_GET_REGS into a new 144-byte struct kvm_regs (see structs.KvmRegs). */
  getRegs(): Buffer {
    const b = Buffer.alloc(SIZEOF_KVM_REGS);
    this.ioctlPtr(KVM_GET_REGS, "KVM_GET_REGS", b);
    return b;
  }

  /** KVM_SET_REGS from a 144-byte struct kvm_regs. */
  setRegs(regs: Buffer): void {
    this.ioctlPtr(KVM_SET_REGS, "KVM_SET_REGS", regs);
  }

  /** KVM_GET_SREGS into a new 312-byte struct kvm_sregs (see structs.KvmSregs). */
  getSregs(): Buffer {
    const b = Buffer.alloc(SIZEOF_KVM_SREGS);
    this.ioctlPtr(KVM_GET_SREGS, "KVM_GET_SREGS", b);
    return b;
  }

  /** KVM_SET_SREGS from a 312-byte struct kvm_sregs. */
  setSregs(sregs: Buffer): void {
    this.ioctlPtr(KVM_SET_SREGS, "KVM_SET_SREGS", sregs);
  }

  /** KVM_SET_MP_STATE (e.g. KvmMpState.Runnable for an AP that should run without SIPI). */
  setMpState(state: number): void {
    const b = Buffer.alloc(SIZEOF_KVM_MP_STATE);
    b.writeUInt32LE(state, 0);
    this.ioctlPtr(KVM_SET_MP_STATE, "KVM_SET_MP_STATE", b);
  }
}

/** Opens the KVM device read-write, turning errno into one clear KvmError. */
function openDevice(path: string): number {
  try {
    return openSync(path, "r+");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    switch (code) {
      case "ENOENT":
      case "ENODEV":
      case "ENXIO":
        throw new KvmError("KVM_UNAVAILABLE", `${path}: no such device (KVM is not available on this machine)`, { cause: err });
      case "EACCES":
      case "EPERM":
        throw new KvmError("KVM_UNAVAILABLE", `${path}: permission denied (add yourself to the kvm group)`, { cause: err });
      default:
        throw new KvmError("KVM_UNAVAILABLE", `${path}: cannot open (${code ?? String(err)})`, {
          cause: err,
        });
    }
  }
}

/**
 * Why KVM cannot be used here, as one line, or undefined when /dev/kvm opens, speaks API 12
 * and serves binary stats (and koffi loads).
 */
export function kvmUnavailableReason(path: string = KVM_DEVICE): string | undefined {
  try {
    new Kvm(path).close();
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
