/**
 * @module test/qmp/qemu
 * Real QEMU for the peer tests: found on PATH, started on a QMP socket in a temporary
 * directory, always killed; with -accel kvm where /dev/kvm exists, else -accel tcg. A TCG QEMU
 * speaks the same QMP (greeting, negotiation, error classes and texts, filters) but answers
 * `[]` to query-stats and query-stats-schemas for provider kvm: protocol tests run against
 * it on every machine, value and schema parity only under KVM ({@link qemuKvmSkipReason}).
 * Skip policy (test/skip): without qemu-system-x86_64 the tests skip loudly, unless
 * STATSFS_REQUIRE_QEMU=1 (set by CI, which installs QEMU) makes that a failure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { hasKvm, KVM_DEVICE, skipUnless } from "../skip.js";

/** The QEMU binary on PATH, or undefined. */
export function qemuBinary(): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, "qemu-system-x86_64");
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Why the QEMU tests cannot run here, or undefined (QEMU runs with -accel tcg without /dev/kvm). */
export function qemuSkipReason(): string | undefined {
  return skipUnless(
    "QEMU",
    qemuBinary() ? undefined : "qemu-system-x86_64 is not installed (apt-get install qemu-system-x86), real-QEMU tests cannot run",
  );
}

/** The accelerator QEMU gets here: kvm where `device` (default /dev/kvm) exists, else tcg. */
export function qemuAccel(device: string = KVM_DEVICE): "kvm" | "tcg" {
  return hasKvm(device) ? "kvm" : "tcg";
}

/**
 * Why tests of a QEMU's KVM statistics (values, schemas, ids) cannot run here, or undefined:
 * they need QEMU and -accel kvm (a failure with STATSFS_REQUIRE_QEMU=1 or STATSFS_REQUIRE_KVM=1).
 */
export function qemuKvmSkipReason(device: string = KVM_DEVICE): string | undefined {
  return (
    qemuSkipReason() ??
    skipUnless(
      "KVM",
      qemuAccel(device) === "kvm" ? undefined : `${device} is missing, so QEMU runs with -accel tcg and has no KVM statistics to compare`,
    )
  );
}

/** A running QEMU. */
export interface Qemu extends AsyncDisposable {
  readonly socket: string;
  readonly dir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts QEMU with `smp` vCPUs, stopped (-S), with `accel` (default {@link qemuAccel}), and waits for its QMP socket. */
export async function startQemu(smp: number, accel: "kvm" | "tcg" = qemuAccel()): Promise<Qemu> {
  const bin = qemuBinary();
  if (!bin) throw new Error("qemu-system-x86_64 not found");
  const dir = mkdtempSync(join(tmpdir(), "statsfs-qemu-"));
  const socket = join(dir, "qmp.sock");
  const child = spawn(
    bin,
    [
      "-accel",
      accel,
      "-m",
      "64",
      "-smp",
      String(smp),
      "-S",
      "-display",
      "none",
      "-nodefaults",
      "-qmp",
      `unix:${socket},server=on,wait=off`,
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  let stopped: Promise<void> | undefined;
  const stop = () => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const gone = new Promise<void>((r) => child.once("exit", () => r()));
        child.kill("SIGKILL");
        await gone;
      }
      rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`QEMU exited (${child.exitCode}): ${stderr.trim().split("\n").pop()}`);
    }
    if (existsSync(socket) && (await canConnect(socket))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error("QEMU did not open its QMP socket within 20 s");
    }
    await sleep(50);
  }
  return { socket, dir, process: child, stop, [Symbol.asyncDispose]: stop };
}

function canConnect(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}
