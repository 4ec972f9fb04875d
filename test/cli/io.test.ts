/**
 * Commands run without the process: the error contract of cli/run (a StatsfsError is exit 2,
 * anything else is a bug with its own exit code 70, one line either way, a stack only with
 * STATSFS_DEBUG in the Io's environment), and top reading keys only from the Io's stdin.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bufferIo, Exit } from "../../src/cli/io.js";
import { reportError, runCli } from "../../src/cli/run.js";
import { SourceError } from "../../src/errors.js";

describe("cli/run's one catch", () => {
  it("an input error exits 2, a bug exits 70, each in one line", () => {
    const io = bufferIo();
    assert.equal(reportError(new SourceError("STATSFS_SOURCE", "x: no such file"), io), Exit.Usage);
    assert.equal(reportError(new TypeError("cannot read properties of undefined\nat f"), io), 70);
    assert.equal(io.err(), "statsfs: x: no such file\nstatsfs: internal error: cannot read properties of undefined\n");
  });

  it("prints a bug's stack only when the Io's environment says STATSFS_DEBUG", () => {
    const quiet = bufferIo();
    reportError(new Error("boom"), { ...quiet, env: {} });
    assert.doesNotMatch(quiet.err(), /\n\s+at /);
    const loud = bufferIo();
    reportError(new Error("boom"), { ...loud, env: { STATSFS_DEBUG: "1" } });
    assert.match(loud.err(), /\n\s+at /);
  });

  it("top runs without the process's stdin (an Io without one reads no keys)", async () => {
    const io = bufferIo();
    const code = await runCli(["top", "sim:", "--count", "1", "--interval", "10"], io);
    assert.equal(code, Exit.Ok, io.err());
    assert.match(io.out(), /exits/);
  });
});
