/**
 * Issue 16, item 12: a value file of `statsfs mount` resets only on exactly `0` (or `0` and a
 * newline); everything else that would change it is refused with its documented errno instead
 * of reported done: truncate and utime are EPERM, other writes EINVAL, and an O_TRUNC open
 * closed without a reset written fails at close with EINVAL. The value never moves on a refusal.
 */
import assert from "node:assert/strict";
import { execFileSync, fork } from "node:child_process";
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, utimesSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fuseSkipReason, type MountProc, startMount } from "./helpers.js";

const skip = fuseSkipReason();
const PRODUCER = fileURLToPath(new URL("./fixtures/producer.js", import.meta.url));

/** The error code `fn` throws, or "ok". */
function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? String(e);
  }
  return "ok";
}

/** Runs a command; its stderr on failure, "" on success. */
function run(cmd: string, ...args: string[]): string {
  try {
    execFileSync(cmd, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
    return "";
  } catch (e) {
    return (e as { stderr: string }).stderr;
  }
}

describe("statsfs mount: only exactly a reset resets", { skip }, () => {
  it("truncate, utime, O_TRUNC alone and near-zero writes are refused and change nothing; 0 and 0\\n reset", async () => {
    const base = mkdtempSync(join(tmpdir(), "statsfs-reset-"));
    const mnt = join(base, "m");
    const exp = join(base, "exp");
    mkdirSync(mnt);
    const child = fork(PRODUCER, [exp, "rst"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    let m: MountProc | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (c) => reject(new Error(`producer exited with ${c}`)));
      });
      m = await startMount(mnt, [`shm:rst?dir=${exp}`]);
      const f = join(mnt, "statsfs/rst/requests");
      const value = () => readFileSync(f, "utf8");
      assert.equal(value(), "41\n");

      assert.match(run("truncate", "-s", "0", f), /Operation not permitted/);
      assert.match(run("touch", f), /Operation not permitted/);
      assert.equal(
        code(() => utimesSync(f, 0, 0)),
        "EPERM",
      );
      // O_TRUNC without a write: the open is how `echo 0 >` starts, the close refuses.
      const t = openSync(f, constants.O_WRONLY | constants.O_TRUNC);
      assert.equal(
        code(() => closeSync(t)),
        "EINVAL",
      );
      assert.equal(
        code(() => closeSync(openSync(f, constants.O_WRONLY))),
        "ok",
      );
      const fd = openSync(f, constants.O_WRONLY);
      try {
        for (const bad of [" 0", "00", "0 ", "0\r\n", "\n", "0\n\n", "1"]) {
          assert.equal(
            code(() => writeSync(fd, bad)),
            "EINVAL",
            JSON.stringify(bad),
          );
        }
        // An empty write: the kernel may answer it without us; either way nothing resets.
        assert.ok(["ok", "EINVAL"].includes(code(() => writeSync(fd, Buffer.alloc(0)))));
      } finally {
        closeSync(fd);
      }
      assert.equal(value(), "41\n", "a refused change moved the value");

      const z = openSync(f, constants.O_WRONLY);
      try {
        writeSync(z, "0");
      } finally {
        closeSync(z);
      }
      assert.equal(value(), "0\n");
      assert.equal(run("bash", "-c", `echo 0 > '${f}'`), "", "echo 0 > FILE still resets (O_TRUNC, then 0\\n)");
    } finally {
      child.send({ exit: true });
      await m?.stop();
      rmSync(base, { recursive: true, force: true });
    }
  });
});
