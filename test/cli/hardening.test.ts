import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BinaryStatsReader, bytesPread, encodeStatsFile } from "../../src/codec/index.js";
import { DecodeError, SourceError } from "../../src/errors.js";
import { makeDescriptor } from "../../src/model/index.js";
import { createSource, liveSource, register } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import { isSyncSource } from "../../src/providers/source.js";
import { GOLDEN } from "../codec/golden.test.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-hard-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dirname, "../../src/cli/main.js");

function u32(b: Uint8Array, at: number, v: number): Uint8Array {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, v, true);
  return c;
}

describe("limits on sizes taken from a file", () => {
  it("num_desc above the limit fails at once, naming the header field", () => {
    assert.throws(
      () => new BinaryStatsReader(bytesPread(u32(GOLDEN, 8, 40_000_000))),
      (e: unknown) => e instanceof DecodeError && e.field === "header.num_desc" && e.offset === 8,
    );
  });
  it("a stat ending 4 GiB into the data block fails, naming the stat's offset field", () => {
    assert.throws(
      () => new BinaryStatsReader(bytesPread(u32(GOLDEN, 40 + 8, 0xfffffff8))),
      (e: unknown) => e instanceof DecodeError && e.field === "exits.offset" && e.offset === 48,
    );
  });
  it("check reports them as violations", async () => {
    const p = join(dir, "many.stats");
    writeFileSync(p, u32(GOLDEN, 8, 40_000_000));
    const r = await cli("check", p);
    assert.equal(r.code, 1);
    assert.match(r.out, /num-desc: num_desc 40000000 is above the limit of 65536/);
  });
});

describe("files that are not stats files", () => {
  it("a FIFO is refused at once (open would block forever)", async () => {
    const fifo = join(dir, "fifo");
    execFileSync("mkfifo", [fifo]);
    for (const cmd of ["read", "check"]) {
      const r = await cli(cmd, fifo);
      assert.equal(r.code, 2, cmd);
      assert.match(r.err, /fifo: not a file that can be read at an offset \(a FIFO\)\n$/);
    }
  });
  it("an fd that is not open is one line", async () => {
    const r = await cli("read", "fd:999");
    assert.equal(r.code, 2);
    assert.match(r.err, /^statsfs: fd 999: bad file descriptor\n$/);
    assert.match((await cli("read", "fd:99999999999")).err, /fd must be a non-negative integer/);
  });
  it("a dangling link in a directory is one line naming it", async () => {
    const d = join(dir, "dangling");
    mkdirSync(d);
    writeFileSync(join(d, "a.stats"), GOLDEN);
    symlinkSync(join(d, "nowhere"), join(d, "b.stats"));
    // check refuses the directory; read reads a.stats and names b.stats in one warning line.
    const c = await cli("check", d);
    assert.equal(c.code, 2);
    assert.match(c.err, /b\.stats: no such file or directory\n$/);
    const r = await cli("read", d);
    assert.equal(r.code, 0);
    assert.equal(r.err, `statsfs: ${join(d, "b.stats")}: failed: no such file or directory\n`);
  });
  it("snapshot into a directory that cannot exist fails fast with one line", async () => {
    const r = await cli("snapshot", "sim:", "--out", "/proc/statsfs-no/such");
    assert.equal(r.code, 2);
    assert.match(r.err, /^statsfs: \/proc\/statsfs-no\/such: /);
    assert.equal(r.err.trimEnd().split("\n").length, 1);
  });
});

describe("lifecycle", () => {
  it("file, live and shm: sources close twice and throw STATSFS_CLOSED on poll after close", async () => {
    const p = join(dir, "g.stats");
    writeFileSync(p, GOLDEN);
    const src = createSource("closing");
    src.addValues({ a: {} });
    const shmDir = join(dir, "shm");
    using reg = register(src, { export: { dir: shmDir, instance: "t" } });
    assert.ok(reg);
    for (const s of [await openSource(p), liveSource(src), await openSource(`shm:closing?dir=${shmDir}`)]) {
      assert.ok(s.files.length > 0, s.uri);
      await s.close();
      await s.close();
      assert.ok(isSyncSource(s));
      assert.throws(
        () => s.pollSync(),
        (e: unknown) => e instanceof SourceError && e.code === "STATSFS_CLOSED",
        s.uri,
      );
      await assert.rejects(s.poll(), SourceError, s.uri);
    }
  });
});

describe("check", () => {
  it("checks an fd byte by byte (a file the decoder rejects gets its violations, exit 1)", async () => {
    const p = join(dir, "flags.stats");
    writeFileSync(p, u32(GOLDEN, 0, 1));
    const fd = openSync(p, "r");
    try {
      const r = await new Promise<{ code: number | null; out: string }>((resolve) => {
        const c = spawn(process.execPath, [MAIN, "check", "fd:3"], { stdio: ["ignore", "pipe", "pipe", fd] });
        let out = "";
        c.stdout?.on("data", (d) => (out += d));
        c.on("close", (code) => resolve({ code, out }));
      });
      assert.equal(r.code, 1);
      assert.match(r.out, /^fd:3: header-flags: header flags are 0x1$/m);
    } finally {
      closeSync(fd);
    }
  });
  it("applies the KVM id rule with --kvm", async () => {
    const p = join(dir, "qemu.stats");
    writeFileSync(p, encodeStatsFile({ id: "qemu-1", descriptors: [makeDescriptor({ name: "a" })] }));
    assert.equal((await cli("check", p)).code, 0);
    const r = await cli("check", p, "--kvm");
    assert.equal(r.code, 1);
    assert.match(r.out, /id-kvm: id "qemu-1" does not start with "kvm"/);
  });
});

describe("names are data, not terminal input", () => {
  const evil = encodeStatsFile({ id: "kvm-1", descriptors: [makeDescriptor({ name: "a\u001b[2J\nfake 1" })] });
  it("text views escape control characters", async () => {
    const p = join(dir, "evil.stats");
    writeFileSync(p, evil);
    for (const cmd of ["read", "schema"]) {
      const r = await cli(cmd, p);
      assert.equal(r.code, 0);
      assert.ok(!r.out.includes("\u001b"), cmd);
      assert.match(r.out, /a\\x1b\[2J\\x0afake 1/, cmd);
    }
    const c = await cli("check", p);
    assert.equal(c.code, 1);
    assert.match(c.out, /name-printable/);
    assert.ok(!c.out.includes("\u001b"));
  });
});
