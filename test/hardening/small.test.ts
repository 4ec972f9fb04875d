/**
 * Issue 8, defect 6 (source errors name their source) and 7 (the small ones), and issue 7's
 * typos in source names: unknown query keys, duplicate keys and unknown schemes are one clear
 * line, exit 2.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openSource } from "../../src/providers/registry.js";
import { isSyncSource } from "../../src/providers/source.js";
import { GOLDEN } from "../codec/golden.test.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-small-"));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("every source error names its source", () => {
  it("a file truncated while polled: the error names the path", async () => {
    const p = join(dir, "trunc.stats");
    writeFileSync(p, GOLDEN);
    await using s = await openSource(p);
    assert.ok(isSyncSource(s));
    truncateSync(p, 100);
    assert.throws(
      () => s.pollSync(),
      (e: unknown) => e instanceof Error && e.message.startsWith(`${p}: premature EOF: data block needs`),
    );
  });
});

describe("small ones", () => {
  it("check on an empty directory fails as read does", async () => {
    const d = join(dir, "empty");
    mkdirSync(d);
    for (const cmd of ["check", "read"]) {
      const r = await cli(cmd, d);
      assert.deepEqual([r.code, r.err], [2, `statsfs: ${d}: directory holds no stats files\n`], cmd);
    }
  });
  it("--count -1 is refused by the command's own check, not parseArgs' 'ambiguous'", async () => {
    const r = await cli("top", "sim:", "--count", "-1");
    assert.equal(r.code, 2);
    assert.match(r.err, /^statsfs: top: --count must be an integer from 1 to \d+, got "-1"\n$/);
    const n = await cli("read", "sim:", "--names", "-x");
    assert.equal(n.code, 2);
    assert.equal(n.err, 'statsfs: read: --names needs a value, got the option-like "-x" (write --names=-x to pass it)\n');
  });
});

describe("typos in a source name are refused", () => {
  const cases: [uri: string, error: string][] = [
    ["kvm:demo?vcpu=3", 'kvm:demo?vcpu=3: unknown option "vcpu" (did you mean "vcpus"?); kvm:demo takes vcpus, run'],
    ["kvm:demo?bogus=1", 'kvm:demo?bogus=1: unknown option "bogus"; kvm:demo takes vcpus, run'],
    ["sim:?x=1", 'sim:?x=1: unknown option "x"; sim: takes vcpus, pid, guest, poll, hot'],
    ["sim:?vcpus=2&vcpus=3", 'sim:?vcpus=2&vcpus=3: option "vcpus" is given more than once'],
    ["kvm:demo?vcpus=2&vcpus=3", 'kvm:demo?vcpus=2&vcpus=3: option "vcpus" is given more than once'],
    [
      "qmp:/nonexistent.sock?timout=5",
      'qmp:/nonexistent.sock?timout=5: unknown option "timout" (did you mean "timeout"?); qmp: takes timeout, reversed, max-reply',
    ],
    ["fd:0?x=1", 'fd:0?x=1: unknown option "x"; fd: takes no options'],
    ["shm:app?dir=/tmp&dir=/x", 'shm:app?dir=/tmp&dir=/x: option "dir" is given more than once'],
    ["bogus:x", 'bogus:x: unknown source scheme "bogus:" (known: file, fd, kvm, sim, shm, qmp, host, debugfs, trace; or a file path)'],
  ];
  for (const [uri, error] of cases) {
    it(uri, async () => {
      for (const cmd of ["read", "check"]) {
        const r = await cli(cmd, uri);
        assert.deepEqual([r.code, r.err], [2, `statsfs: ${error}\n`], cmd);
      }
    });
  }
  it("a file that looks like an unknown scheme is still read as a file", async () => {
    const p = join(dir, "bogus:x");
    writeFileSync(p, GOLDEN);
    const prev = process.cwd();
    process.chdir(dir);
    try {
      const r = await cli("read", "bogus:x");
      assert.equal(r.code, 0, r.err);
    } finally {
      process.chdir(prev);
    }
  });
});
