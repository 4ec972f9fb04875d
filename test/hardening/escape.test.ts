/**
 * Issue 8, defect 3: every error message is exactly one printable line, whatever it quotes
 * (stat names and ids from a file, paths from the command line, names found in a directory).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encodeStatsFile } from "../../src/codec/index.js";
import { DecodeError, oneLine, printable, SourceError, UsageError } from "../../src/errors.js";
import { makeDescriptor } from "../../src/model/index.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-escape-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const EVIL = "a\u001b[2J\nfake line\r\u009b\u2028";

/** Exactly one line, no control characters: what a terminal must receive. */
function assertOnePrintableLine(err: string, what: string): void {
  assert.ok(err.endsWith("\n"), what);
  const body = err.slice(0, -1);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
  assert.doesNotMatch(body, /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/, `${what}: ${JSON.stringify(err)}`);
}

/** A stats file with an evil stat name and id whose first stat is misaligned (the decoder refuses it). */
function evilFile(): Uint8Array {
  const b = encodeStatsFile({ id: `kvm-1${EVIL}`.slice(0, 20), descriptors: [makeDescriptor({ name: EVIL })] });
  new DataView(b.buffer).setUint32(24 + 48 + 8, 4, true);
  return b;
}

describe("error messages are one printable line", () => {
  it("the error classes escape what they quote", () => {
    for (const e of [new SourceError("STATSFS_SOURCE", EVIL), new UsageError(EVIL), new DecodeError(EVIL, 3, EVIL)]) {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
      assert.doesNotMatch(e.message, /[\n\r\u001b\u009b\u2028]/);
    }
    assert.equal(printable(printable(EVIL)), printable(EVIL));
    assert.equal(new UsageError("x".repeat(10_000)).message.length, 4096);
    assert.equal(oneLine("a\nb"), "a\\x0ab");
  });
  it("a decoder error quoting a stat name", async () => {
    const p = join(dir, "evil.stats");
    writeFileSync(p, evilFile());
    for (const cmd of ["read", "schema", "info", "top"]) {
      const r = await cli(cmd, p, ...(cmd === "top" ? ["--count", "1"] : []));
      assert.equal(r.code, 2, cmd);
      assertOnePrintableLine(r.err, cmd);
      assert.match(r.err, /stat "a\\x1b\[2J\\x0afake line\\x0d\\x9b\\u2028" offset 4 is not a multiple of 8/);
    }
  });
  it("a path given on the command line", async () => {
    const r = await cli("read", join(dir, `no${EVIL}`));
    assert.equal(r.code, 2);
    assertOnePrintableLine(r.err, "read");
    assert.match(r.err, /no such file or directory/);
  });
  it("a file name found in a scanned directory", async () => {
    const d = join(dir, "scan");
    mkdirSync(d);
    writeFileSync(join(d, `bad${EVIL}.stats`), evilFile());
    for (const cmd of ["read", "check"]) {
      const r = await cli(cmd, d);
      if (cmd === "read") {
        assert.equal(r.code, 2);
        assertOnePrintableLine(r.err, cmd);
        assert.match(r.err, /scan\/bada\\x1b\[2J\\x0afake line\\x0d\\x9b\\u2028\.stats: /);
      } else {
        assert.equal(r.code, 1);
        for (const line of r.out.split("\n").slice(0, -1)) assertOnePrintableLine(`${line}\n`, cmd);
      }
    }
  });
  it("an unknown option and an unknown command", async () => {
    for (const argv of [["read", "sim:", `--${EVIL}`], [EVIL]]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2);
      assertOnePrintableLine(r.err, argv.join(" "));
    }
  });
});
