/**
 * @module providers/kvm/vcpu-thread
 * The main thread's handle on one vCPU worker (vcpu-worker.ts): starts it, waits until it runs,
 * and stops it promptly even if the guest never exits on its own.
 *
 * Stopping is the QEMU way: a shared stop flag (checked between two KVM_RUNs), kvm_run's
 * `immediate_exit` set through this thread's own mapping of kvm_run (so a KVM_RUN about to
 * start returns EINTR at once) and a signal to the worker's thread (so a KVM_RUN in progress
 * returns EINTR). The signal is SIGWINCH, for which a no-op listener is installed while any vCPU
 * thread lives, so Node's libuv handler runs instead of the default action (ignore, which would
 * not interrupt KVM_RUN).
 *
 * The kick is synchronous, so it also runs from a process 'exit' listener: Node joins worker
 * threads on exit, which would hang behind a vCPU stuck in KVM_RUN.
 */

import { Worker } from "node:worker_threads";
import { KvmError } from "../../errors.js";
import { libc, MAP_SHARED, type Mapping, PROT_READ, PROT_WRITE } from "../../sys/libc.js";
import type { KvmVcpu } from "./kvm.js";
import { KvmRun } from "./structs.js";
import type { VcpuWorkerData, VcpuWorkerMessage } from "./vcpu-worker.js";

/** The signal used to interrupt KVM_RUN. */
const KICK_SIGNAL = "SIGWINCH";
const KICK_SIGNAL_NUMBER = 28;

/** Live threads; the SIGWINCH and 'exit' listeners are installed while this is non-empty. */
const live = new Set<VcpuThread>();
const noop = (): void => {};
const kickAllOnExit = (): void => {
  for (const t of live) t.kick();
};

function track(t: VcpuThread): void {
  if (live.size === 0) {
    process.on(KICK_SIGNAL, noop);
    process.on("exit", kickAllOnExit);
  }
  live.add(t);
}

function untrack(t: VcpuThread): void {
  if (!live.delete(t) || live.size > 0) return;
  process.off(KICK_SIGNAL, noop);
  process.off("exit", kickAllOnExit);
}

/** Shared memory the parent and all vCPU workers of one VM use. */
export interface VcpuShared {
  /** Int32Array: index 0 is the stop flag. */
  readonly control: SharedArrayBuffer;
  /** BigInt64Array: index = vCPU id, KVM_EXIT_IO count. */
  readonly ioExits: SharedArrayBuffer;
}

/** One running vCPU worker. */
export class VcpuThread {
  readonly id: number;
  readonly #worker: Worker;
  readonly #kvmRun: Mapping;
  readonly #stop: Int32Array;
  #tid = 0;
  #alive = true;
  /** Resolves when the worker has ended (for whatever reason). */
  readonly exited: Promise<void>;
  /** Resolves when the worker runs the guest; rejects if it failed before. */
  readonly ready: Promise<void>;

  /**
   * Starts the worker for `vcpu`. Errors the worker reports (after or before `ready`) go to
   * `report`; a failure before `ready` also rejects `ready`.
   */
  constructor(vcpu: KvmVcpu, mmapSize: number, shared: VcpuShared, report: (e: KvmError) => void) {
    this.id = vcpu.id;
    this.#stop = new Int32Array(shared.control);
    this.#kvmRun = libc().mmap(mmapSize, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu.fd, `vCPU ${vcpu.id}: kvm_run`);
    const data: VcpuWorkerData = {
      vcpuFd: vcpu.fd,
      vcpuId: vcpu.id,
      mmapSize,
      control: shared.control,
      ioExits: shared.ioExits,
    };
    try {
      this.#worker = new Worker(new URL("./vcpu-worker.js", import.meta.url), {
        workerData: data,
        name: `statsfs vCPU ${vcpu.id}`,
      });
    } catch (err) {
      libc().munmap(this.#kvmRun);
      throw new KvmError("KVM_DEMO", `vCPU ${vcpu.id}: cannot start a thread: ${String(err)}`, {
        cause: err,
      });
    }
    track(this);
    let markReady = noop;
    let markFailed: (e: KvmError) => void = noop;
    this.ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      markFailed = reject;
    });
    this.exited = new Promise<void>((resolve) => {
      this.#worker.once("exit", () => {
        this.#alive = false;
        untrack(this);
        libc().munmap(this.#kvmRun);
        markFailed(new KvmError("KVM_DEMO", `vCPU ${this.id}: thread ended before it ran`));
        resolve();
      });
    });
    this.#worker.on("message", (m: VcpuWorkerMessage) => {
      if (m.type === "ready") {
        this.#tid = m.tid;
        markReady();
      } else if (m.type === "error") {
        const e = new KvmError(m.code, m.message);
        markFailed(e);
        report(e);
      }
    });
    this.#worker.on("error", (err) => {
      const e = new KvmError("KVM_DEMO", `vCPU ${this.id}: thread failed: ${err.message}`, {
        cause: err,
      });
      markFailed(e);
      report(e);
    });
  }

  /** True until the worker has ended. */
  get alive(): boolean {
    return this.#alive;
  }

  /**
   * Asks the worker to stop now: sets the (shared) stop flag and immediate_exit, and signals
   * the thread. Synchronous and safe to repeat.
   */
  kick(): void {
    if (!this.#alive) return;
    Atomics.store(this.#stop, 0, 1);
    new Uint8Array(this.#kvmRun.bytes)[KvmRun.immediateExit] = 1;
    if (this.#tid > 0) libc().tgkill(process.pid, this.#tid, KICK_SIGNAL_NUMBER);
  }

  /** Kicks the worker until it ends; after `timeoutMs` gives up and returns false. */
  async stop(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (this.#alive) {
      this.kick();
      const left = deadline - performance.now();
      if (left <= 0) {
        void this.#worker.terminate();
        return false;
      }
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        this.exited,
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, Math.min(50, left));
        }),
      ]);
      clearTimeout(timer);
    }
    return true;
  }
}
