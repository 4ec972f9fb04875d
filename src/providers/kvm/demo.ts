/**
 * @module providers/kvm/demo
 * A small real VM in this process, so KVM stats have something to count: one VM with an
 * in-kernel irqchip, 64 KiB of guest RAM holding the guest.ts loop, and N vCPUs, each run by its
 * own worker thread (vcpu-worker.ts says why; vcpu-thread.ts how they are stopped).
 *
 * `run: false` creates the VM and vCPUs (with their stats fds) but starts no thread; creation
 * costs a few ioctls per vCPU, so hundreds of vCPUs are fine.
 *
 * Everything (threads, kvm_run and guest RAM mappings, vCPU, VM and stats fds) is released by
 * `close()`, which is idempotent. The caller decides when: on exit or SIGINT it should await
 * `close()` (or use `await using`).
 */

import { closeSync } from "node:fs";
import { AsyncClosable } from "../../closable.js";
import { KvmError } from "../../errors.js";
import { libc, MAP_ANONYMOUS, MAP_NORESERVE, MAP_PRIVATE, type Mapping, PROT_READ, PROT_WRITE } from "../../sys/libc.js";
import { GUEST_MEM_SIZE, loadGuestCode, setupGuestVcpu } from "./guest.js";
import { Kvm, type KvmVcpu, type KvmVm } from "./kvm.js";
import { type VcpuShared, VcpuThread } from "./vcpu-thread.js";

/** KVM_CAP_MAX_VCPUS: the most vCPUs one VM may have. */
const KVM_CAP_MAX_VCPUS = 66;
/** Where KVM may put its 3-page TSS (x86); the address QEMU uses. */
const TSS_ADDR = 0xfffb_d000;
/** How long stop() waits for a vCPU thread before giving up on it. */
const STOP_TIMEOUT_MS = 3000;

/** Options of {@link startDemoVm}. */
export interface DemoVmOptions {
  /** Number of vCPUs (ids 0 … n−1). Default 2. */
  readonly vcpus?: number;
  /** Start the guest on every vCPU (one thread each). Default true. */
  readonly run?: boolean;
  /** Called once for each vCPU that stops on its own (bad exit, failed ioctl). */
  readonly onError?: (error: KvmError) => void;
}

/** A running (or merely created) demo VM in this process. */
export interface DemoVm extends AsyncDisposable {
  /** The process that owns the VM (this one): its stats ids are "kvm-<pid>". */
  readonly pid: number;
  /** The VM's binary stats fd. */
  readonly vmStatsFd: number;
  /** The vCPUs' binary stats fds; index = vCPU id. */
  readonly vcpuStatsFds: readonly number[];
  /** vCPUs that stopped on their own, one error each (empty while all is well). */
  readonly errors: readonly KvmError[];
  /** True while at least one vCPU thread runs. */
  readonly running: boolean;
  /**
   * KVM_EXIT_IO returns seen by each vCPU thread so far (index = vCPU id). A userspace-side
   * count: some hypervisors (e.g. PVM, which emulates the guest's OUT) never count `io_exits`.
   */
  ioExitCounts(): bigint[];
  /** Stops every vCPU thread for good and waits for them. The fds stay open. */
  stop(): Promise<void>;
  /** Stops, then closes every fd and unmaps guest RAM. Safe to call twice. */
  close(): Promise<void>;
}

class KvmDemoVm extends AsyncClosable implements DemoVm {
  readonly pid = process.pid;
  readonly vmStatsFd: number;
  readonly vcpuStatsFds: number[] = [];
  readonly errors: KvmError[] = [];
  readonly #vm: KvmVm;
  readonly #vcpus: KvmVcpu[] = [];
  readonly #ram: Mapping;
  #shared: VcpuShared = {
    control: new SharedArrayBuffer(4),
    ioExits: new SharedArrayBuffer(8),
  };
  readonly #threads: VcpuThread[] = [];
  readonly #onError: ((error: KvmError) => void) | undefined;
  #stopping: Promise<void> | undefined;

  constructor(vm: KvmVm, ram: Mapping, onError: ((error: KvmError) => void) | undefined) {
    super();
    this.#vm = vm;
    this.#ram = ram;
    this.#onError = onError;
    this.vmStatsFd = vm.statsFd();
  }

  get running(): boolean {
    return this.#threads.some((t) => t.alive);
  }

  ioExitCounts(): bigint[] {
    const counts = new BigInt64Array(this.#shared.ioExits);
    return this.#vcpus.map((v) => (v.id < counts.length ? Atomics.load(counts, v.id) : 0n));
  }

  /** Creates vCPU `id` and its stats fd; sets it up for the guest when `run`. */
  addVcpu(id: number, run: boolean): void {
    const vcpu = this.#vm.createVcpu(id);
    this.#vcpus.push(vcpu);
    this.vcpuStatsFds.push(vcpu.statsFd());
    if (run) setupGuestVcpu(vcpu);
  }

  /** Starts one thread per vCPU; resolves once each has mapped kvm_run and entered its loop. */
  async startThreads(mmapSize: number): Promise<void> {
    this.#shared = {
      control: new SharedArrayBuffer(4),
      ioExits: new SharedArrayBuffer(8 * this.#vcpus.length),
    };
    const report = (e: KvmError): void => {
      this.errors.push(e);
      this.#onError?.(e);
    };
    for (const vcpu of this.#vcpus) {
      this.#threads.push(new VcpuThread(vcpu, mmapSize, this.#shared, report));
    }
    await Promise.all(this.#threads.map((t) => t.ready));
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#stopThreads();
    return this.#stopping;
  }

  async #stopThreads(): Promise<void> {
    const stopped = await Promise.all(this.#threads.map((t) => t.stop(STOP_TIMEOUT_MS)));
    stopped.forEach((ok, i) => {
      if (ok) return;
      const e = new KvmError("KVM_DEMO", `vCPU ${this.#threads[i]?.id}: did not stop within ${STOP_TIMEOUT_MS} ms`);
      this.errors.push(e);
      this.#onError?.(e);
    });
  }

  protected async closing(): Promise<void> {
    await this.stop();
    for (const vcpu of this.#vcpus) vcpu.close();
    this.#vm.close();
    for (const fd of [this.vmStatsFd, ...this.vcpuStatsFds]) closeQuietly(fd);
    libc().munmap(this.#ram);
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

/**
 * Creates a VM with `vcpus` vCPUs running the demo guest (or not, with `run: false`).
 * Throws KvmError: `KVM_UNAVAILABLE` / `KVM_FFI` when KVM can't be used, `KVM_DEMO` for a bad
 * vCPU count, `KVM_IOCTL` / `KVM_GUEST` when setting up or starting a vCPU fails. On failure
 * everything created so far is released.
 */
export async function startDemoVm(options: DemoVmOptions = {}): Promise<DemoVm> {
  const { vcpus = 2, run = true, onError } = options;
  const kvm = new Kvm();
  let vm: KvmVm | undefined;
  let ram: Mapping | undefined;
  let demo: KvmDemoVm | undefined;
  try {
    const max = kvm.checkExtension(KVM_CAP_MAX_VCPUS);
    if (!Number.isInteger(vcpus) || vcpus < 1 || vcpus > max) {
      throw new KvmError("KVM_DEMO", `vcpus must be an integer from 1 to ${max}, not ${vcpus}`);
    }
    const mmapSize = kvm.vcpuMmapSize();
    vm = kvm.createVm();
    vm.setTssAddr(TSS_ADDR);
    vm.createIrqchip();
    ram = libc().mmap(GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, "guest RAM");
    loadGuestCode(ram.bytes);
    vm.setUserMemoryRegion(0, 0n, GUEST_MEM_SIZE, ram.address);
    demo = new KvmDemoVm(vm, ram, onError);
    for (let id = 0; id < vcpus; id++) demo.addVcpu(id, run);
    if (run) await demo.startThreads(mmapSize);
    return demo;
  } catch (err) {
    if (demo) await demo.close();
    else {
      vm?.close();
      if (ram) libc().munmap(ram);
    }
    throw err;
  } finally {
    kvm.close();
  }
}
