/**
 * @module test/fs/helpers
 * Real FUSE mounts for the tests: `statsfs mount` as a child process (the test process then
 * reads the mount with plain synchronous calls, as any other program would), and the skip
 * policy: with STATSFS_REQUIRE_FUSE=1 (set by .ci/run where /dev/fuse exists) a missing
 * /dev/fuse or a non-root run is a failure, not a skip.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const CLI = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** Why FUSE tests cannot run here, or undefined. */
export function fuseSkipReason(): string | undefined {
  let why: string | undefined;
  if (!existsSync("/dev/fuse")) why = "/dev/fuse is missing";
  else if (process.getuid?.() !== 0) why = "mounting needs root";
  if (why === undefined) return undefined;
  const reason = `SKIPPED: ${why}, real FUSE tests cannot run`;
  if (process.env.STATSFS_REQUIRE_FUSE === "1") throw new Error(`STATSFS_REQUIRE_FUSE=1 but ${reason}`);
  console.error(reason);
  return reason;
}

/** A `statsfs mount` child. */
export interface MountProc {
  readonly proc: ChildProcess;
  readonly dir: string;
  stderr(): string;
  /** Sends `signal` and resolves to the exit code (null when killed by the signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts `statsfs mount DIR SRC…` and waits until it says it is mounted. */
export async function startMount(dir: string, sources: readonly string[], args: readonly string[] = []): Promise<MountProc> {
  const proc = spawn(process.execPath, [CLI, "mount", dir, ...sources, ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const exited = new Promise<number | null>((resolve) => proc.on("exit", (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    proc.stderr?.on("data", (b: Buffer) => {
      err += b.toString();
      if (process.env.STATSFS_FUSE_DEBUG === "1") process.stderr.write(b);
      if (err.includes("mounted")) resolve();
    });
    void exited.then((code) => reject(new Error(`statsfs mount exited with ${code}: ${err.trim()}`)));
  });
  return {
    proc,
    dir,
    stderr: () => err,
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
}

/** True when `dir` is a mount point now. */
export function isMounted(dir: string): boolean {
  return readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .some((l) => l.split(" ")[1] === dir);
}
