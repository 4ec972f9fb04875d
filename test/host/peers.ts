/**
 * @module test/host/peers
 * Real peers for the host tests: QEMUs started with any arguments (stopped, -S; killed at the
 * end), and statsfs VMM child processes (fixtures/vm-child.ts). Each waits until the process
 * holds its KVM VM fd, so the host scan sees it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { qemuBinary } from "../qmp/qemu.js";

const CHILD = join(dirname(fileURLToPath(import.meta.url)), "fixtures", "vm-child.js");

/** A process under test's control. */
export interface Peer extends AsyncDisposable {
  readonly pid: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

function holdsVm(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === "anon_inode:kvm-vm";
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

function stopper(child: ChildProcess, after?: () => void): () => Promise<void> {
  let stopped: Promise<void> | undefined;
  return () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGKILL");
        await gone;
      }
      after?.();
    })();
    return stopped;
  };
}

/** A fresh temporary directory (for sockets), removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), "statsfs-host-"));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Starts QEMU (-accel kvm -m 64 -S -display none -nodefaults, plus `args`) and waits for its VM. */
export async function startQemuWith(args: readonly string[]): Promise<Peer> {
  const bin = qemuBinary();
  if (!bin) throw new Error("qemu-system-x86_64 not found");
  const child = spawn(bin, ["-accel", "kvm", "-m", "64", "-S", "-display", "none", "-nodefaults", ...args], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const stop = stopper(child);
  const deadline = Date.now() + 20_000;
  while (!(child.pid !== undefined && holdsVm(child.pid) && vcpusCreated(child.pid, args))) {
    if (child.exitCode !== null) throw new Error(`QEMU exited (${child.exitCode}): ${stderr.trim().split("\n").pop()}`);
    if (Date.now() > deadline) {
      await stop();
      throw new Error("QEMU did not create its VM within 20 s");
    }
    await sleep(20);
  }
  // Sockets are bound before vCPUs are created; give the monitor a moment to be accepted.
  await sleep(50);
  return { pid: child.pid as number, process: child, stop, [Symbol.asyncDispose]: stop };
}

function vcpusCreated(pid: number, args: readonly string[]): boolean {
  const i = args.indexOf("-smp");
  const n = i >= 0 ? Number(args[i + 1]) : 1;
  try {
    return (
      readdirSync(`/proc/${pid}/fd`).filter((fd) => {
        try {
          return readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith("anon_inode:kvm-vcpu:");
        } catch {
          return false;
        }
      }).length >= n
    );
  } catch {
    return false;
  }
}

/** A statsfs VMM child (see fixtures/vm-child.ts). */
export interface ChildVm extends Peer {
  ask<T>(message: Record<string, unknown>, key: string): Promise<T>;
}

/** Starts `vm-child.js ARGS` (with `argv0`, default node; in `cwd`, default ours) and waits for "ready". */
export async function startChildVm(args: readonly string[], argv0?: string, cwd?: string): Promise<ChildVm> {
  const child = spawn(process.execPath, [CHILD, ...args], {
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    ...(argv0 === undefined ? {} : { argv0 }),
    ...(cwd === undefined ? {} : { cwd }),
  });
  const stop = stopper(child);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("VM child did not get ready within 20 s")), 20_000);
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`VM child exited (${code})`));
    });
    child.on("message", (m: { ready?: boolean }) => {
      if (m.ready) {
        clearTimeout(t);
        resolve();
      }
    });
  });
  const ask = <T>(message: Record<string, unknown>, key: string) =>
    new Promise<T>((resolve) => {
      const on = (m: Record<string, unknown>) => {
        if (key in m) {
          child.off("message", on);
          resolve(m[key] as T);
        }
      };
      child.on("message", on);
      child.send(message);
    });
  return { pid: child.pid as number, process: child, stop, ask, [Symbol.asyncDispose]: stop };
}
