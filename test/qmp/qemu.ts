/**
 * @module test/qmp/qemu
 * Real QEMU for the peer tests: found on PATH, started with -accel kvm on a QMP socket in a
 * temporary directory, always killed. Skip policy: without qemu-system-x86_64 or /dev/kvm the
 * tests are skipped loudly, unless STATSFS_REQUIRE_QEMU=1 (set by CI, which installs QEMU)
 * makes that a failure.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

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

/** Why the QEMU tests cannot run here, or undefined when they can. */
export function qemuSkipReason(): string | undefined {
  let reason: string | undefined;
  if (!qemuBinary()) reason = "SKIPPED: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86), real-QEMU tests cannot run";
  else if (!existsSync("/dev/kvm")) reason = "SKIPPED: /dev/kvm is missing, real-QEMU tests (-accel kvm) cannot run";
  if (reason === undefined) return undefined;
  if (process.env.STATSFS_REQUIRE_QEMU === "1") throw new Error(`STATSFS_REQUIRE_QEMU=1 but ${reason}`);
  console.error(reason);
  return reason;
}

/** Why a TCG QEMU (no KVM needed) cannot run here, or undefined when it can. */
export function qemuTcgSkipReason(): string | undefined {
  if (qemuBinary()) return undefined;
  const reason = "SKIPPED: qemu-system-x86_64 is not installed (apt-get install qemu-system-x86), TCG QEMU tests cannot run";
  if (process.env.STATSFS_REQUIRE_QEMU === "1") throw new Error(`STATSFS_REQUIRE_QEMU=1 but ${reason}`);
  console.error(reason);
  return reason;
}

/** A running QEMU. */
export interface Qemu extends AsyncDisposable {
  readonly socket: string;
  readonly dir: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts QEMU with `smp` vCPUs, stopped (-S), and waits for its QMP socket. `accel` "tcg" needs
 * no /dev/kvm (QEMU then reports no statistics: query-stats answers [] for provider kvm).
 */
export async function startQemu(smp: number, accel: "kvm" | "tcg" = "kvm"): Promise<Qemu> {
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
