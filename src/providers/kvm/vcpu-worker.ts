/**
 * @module providers/kvm/vcpu-worker
 * The body of one vCPU thread: a worker_threads Worker that mmaps the vCPU's kvm_run area and
 * calls KVM_RUN in a loop until told to stop.
 *
 * Why a Worker per vCPU rather than koffi's `fn.async` on a thread pool: KVM_RUN blocks (the guest
 * halts for up to ~1 ms at a time) and returns thousands of times a second. With `fn.async` every
 * return would be a round trip through the main thread's event loop and would hold a pool thread
 * that file reads also need; a Worker owns its thread, loops synchronously with no main-thread
 * work per exit, and sees the stop flag (a SharedArrayBuffer) between two KVM_RUNs, which with
 * this guest is at most ~1 ms apart. Each Worker loads koffi for itself.
 *
 * To stop a vCPU whose guest does not exit (a bug, a spin), the parent also sets kvm_run's
 * `immediate_exit` (through its own mapping) and sends SIGWINCH to this thread (tgkill, with the
 * thread id from `ready`): a KVM_RUN that is running or about to start then returns EINTR and the
 * loop sees the flag. SIGWINCH is harmless here: Node handles it (libuv) while the parent listens.
 *
 * Messages to the parent: `ready` (with the thread id) once kvm_run is mapped, `error` (one line)
 * if the vCPU must stop for a reason other than the stop flag, `done` with the number of KVM_RUN
 * returns at the end. The worker unmaps kvm_run before it ends; the vCPU fd stays the parent's.
 */

import { parentPort, workerData } from "node:worker_threads";
import { type KvmCode, KvmError } from "../../errors.js";
import { errnoName, libc, MAP_SHARED, type Mapping, PROT_READ, PROT_WRITE } from "../../sys/libc.js";
import { exitReasonName, KVM_RUN, KvmExit } from "./ioctl.js";
import { KvmRun } from "./structs.js";

/** What the parent passes as `workerData`. */
export interface VcpuWorkerData {
  /** The vCPU fd (fds are shared by all threads of the process). */
  readonly vcpuFd: number;
  /** The vCPU id, for messages. */
  readonly vcpuId: number;
  /** KVM_GET_VCPU_MMAP_SIZE. */
  readonly mmapSize: number;
  /** Int32Array over it: index 0 is the stop flag (non-zero = stop). */
  readonly control: SharedArrayBuffer;
  /** BigInt64Array over it: index `vcpuId` counts the KVM_EXIT_IO returns this thread saw. */
  readonly ioExits: SharedArrayBuffer;
}

/** Messages from the worker to the parent. */
export type VcpuWorkerMessage =
  | { readonly type: "ready"; readonly tid: number }
  | { readonly type: "error"; readonly code: KvmCode; readonly message: string }
  | { readonly type: "done"; readonly runs: number };

/** errno values KVM_RUN may return that only mean "call again". */
const EINTR = 4;
const EAGAIN = 11;

function post(message: VcpuWorkerMessage): void {
  parentPort?.postMessage(message);
}

/** Describes an exit this loop cannot handle, as one line. */
function describeExit(id: number, reason: number, run: DataView): string {
  const p = KvmRun.payload;
  switch (reason) {
    case KvmExit.Shutdown:
      return `vCPU ${id}: the guest shut down (KVM_EXIT_SHUTDOWN, e.g. a triple fault)`;
    case KvmExit.FailEntry:
      return `vCPU ${id}: KVM_EXIT_FAIL_ENTRY (hardware entry failure reason 0x${run.getBigUint64(p, true).toString(16)})`;
    case KvmExit.InternalError:
      return `vCPU ${id}: KVM_EXIT_INTERNAL_ERROR (suberror ${run.getUint32(p, true)})`;
    case KvmExit.Mmio:
      return `vCPU ${id}: unexpected KVM_EXIT_MMIO at guest address 0x${run.getBigUint64(p, true).toString(16)}`;
    default:
      return `vCPU ${id}: unexpected ${exitReasonName(reason)}`;
  }
}

function runLoop(data: VcpuWorkerData): void {
  const c = libc();
  const stop = new Int32Array(data.control);
  const ioExits = new BigInt64Array(data.ioExits);
  let kvmRun: Mapping | undefined;
  let runs = 0;
  try {
    kvmRun = c.mmap(data.mmapSize, PROT_READ | PROT_WRITE, MAP_SHARED, data.vcpuFd, `vCPU ${data.vcpuId}: kvm_run`);
    const run = new DataView(kvmRun.bytes);
    post({ type: "ready", tid: c.gettid() });
    while (Atomics.load(stop, 0) === 0) {
      if (c.ioctlInt(data.vcpuFd, KVM_RUN) < 0) {
        const e = c.errno();
        if (e === EINTR || e === EAGAIN) continue;
        throw new KvmError("KVM_IOCTL", `vCPU ${data.vcpuId}: KVM_RUN: ${c.strerror(e)} (${errnoName(e)})`);
      }
      runs++;
      const reason = run.getUint32(KvmRun.exitReason, true);
      if (reason === KvmExit.Io) {
        // The guest's OUT: nothing to emulate, just count it and re-enter.
        Atomics.add(ioExits, data.vcpuId, 1n);
        continue;
      }
      // INTR: a signal reached this thread. HLT: only happens without an in-kernel irqchip.
      if (reason === KvmExit.Intr || reason === KvmExit.Hlt) continue;
      throw new KvmError("KVM_GUEST", describeExit(data.vcpuId, reason, run));
    }
  } catch (err) {
    const e = err instanceof KvmError ? err : new KvmError("KVM_GUEST", `vCPU ${data.vcpuId}: ${String(err)}`, { cause: err });
    post({ type: "error", code: e.code, message: e.message });
  } finally {
    if (kvmRun) c.munmap(kvmRun);
    post({ type: "done", runs });
  }
}

if (parentPort && workerData) runLoop(workerData as VcpuWorkerData);
