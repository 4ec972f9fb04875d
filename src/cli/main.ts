#!/usr/bin/env node
/**
 * @module cli/main
 * The `statsfs` executable: hands argv, stdio, the environment and a signal aborted on
 * SIGINT/SIGTERM to cli/run (whose one catch turns errors into one line on stderr), and owns
 * process.exit.
 */
import { runCli } from "./run.js";

const controller = new AbortController();
let interrupted = 0;
for (const sig of ["SIGINT", "SIGTERM"] as const) {
  process.on(sig, () => {
    // First signal: ask the command to finish cleanly. Second: leave now.
    if (++interrupted > 1) process.exit(130);
    controller.abort();
  });
}
process.stdout.on("error", (e: NodeJS.ErrnoException) => {
  if (e.code === "EPIPE") process.exit(0);
});

const code = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
  stdin: process.stdin,
  env: process.env,
  onHangup: (listener) => {
    process.on("SIGHUP", listener);
    return () => process.off("SIGHUP", listener);
  },
});
process.exitCode = code;
// Sources close themselves; leave once output is flushed even if a library left a handle open.
process.stdout.write("", () => process.exit(code));
