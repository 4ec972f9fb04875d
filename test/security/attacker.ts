/**
 * @module test/security/attacker
 * An unprivileged attacker beside root's statsfs: a fixture script (test/security/fixtures)
 * run as uid/gid 65534 (nobody) in a child process, racing in a loop until told to stop (a
 * stop file) or its own time bound runs out, and killed by the test in any case.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The unprivileged user the attacks run as. */
export const NOBODY = 65534;

/** Why attack tests cannot run here (they need root to become another user), or undefined. */
export function attackSkip(): string | undefined {
  if (process.geteuid?.() === 0) return undefined;
  const reason = "SKIPPED: attack tests run as root (they switch an attacker child to uid 65534)";
  console.error(reason);
  return reason;
}

/** A running attacker. */
export interface Attacker {
  readonly child: ChildProcess;
  /** Resolves once the attacker printed "ready" (set up, racing). */
  readonly ready: Promise<string>;
  /** Asks it to stop, waits for it to exit (kills it after 5 s). Returns what it printed. */
  stop(): Promise<string>;
}

/** Starts `fixtures/<name>.js ARGS…` as nobody; `stopFile` is created to stop it. */
export function startAttacker(name: string, args: readonly string[], stopFile: string, asRoot = false): Attacker {
  const script = join(dirname(fileURLToPath(import.meta.url)), "fixtures", `${name}.js`);
  const child = spawn(process.execPath, [script, stopFile, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
    ...(asRoot ? {} : { uid: NOBODY, gid: NOBODY }),
  });
  let out = "";
  let err = "";
  child.stdout?.on("data", (b: Buffer) => {
    out += b.toString();
  });
  child.stderr?.on("data", (b: Buffer) => {
    err += b.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const ready = new Promise<string>((resolve, reject) => {
    const check = () => {
      if (out.includes("ready")) resolve(out);
    };
    child.stdout?.on("data", check);
    child.once("exit", (code) => reject(new Error(`attacker ${name} exited (${code}) before it was ready: ${err || out}`)));
  });
  ready.catch(() => {});
  return {
    child,
    ready,
    async stop() {
      writeFileSync(stopFile, "");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
      return out + err;
    },
  };
}
