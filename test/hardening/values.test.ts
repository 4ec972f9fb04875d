/**
 * Issue 8, defect 1: a schema may not describe more values than its data block holds (nor more
 * than an absolute limit); overlapping statistics are refused by the decoder when they amplify
 * and reported by `check` always.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { BinaryStatsReader, bytesPread, encodeStatsFile, MAX_VALUES } from "../../src/codec/index.js";
import { DecodeError } from "../../src/errors.js";
import { makeDescriptor, StatType } from "../../src/model/index.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-values-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `count` linear histograms of `size` buckets, all at data offset 0. */
function overlapping(count: number, size: number): Uint8Array {
  const descriptors = Array.from({ length: count }, (_, i) =>
    makeDescriptor({ name: `h${i}`, type: StatType.LinearHistogram, size, bucketSize: 1, offset: 0 }),
  );
  return encodeStatsFile({ id: "kvm-1", descriptors, dataSize: size * 8 });
}

describe("the number of values a schema describes is bounded", () => {
  it("32 histograms of 65,535 buckets over one 512 KiB block are refused, naming the field", () => {
    const bytes = overlapping(32, 65535);
    assert.throws(
      () => new BinaryStatsReader(bytesPread(bytes)),
      (e: unknown) => {
        assert.ok(e instanceof DecodeError, String(e));
        // h0 fills the block; h1 is the first to go beyond one value per word.
        assert.equal(e.field, "h1.size");
        assert.equal(e.offset, 24 + 48 + 64 + 6);
        assert.match(e.message, /statistics overlap/);
        assert.ok(!e.message.includes("\n"));
        return true;
      },
    );
  });
  it("1,024 and 65,536 such histograms (the review's files) hit the absolute limit while the descriptors are read", () => {
    for (const count of [1024, 65536]) {
      const bytes = overlapping(count, 65535);
      assert.throws(
        () => new BinaryStatsReader(bytesPread(bytes)),
        (e: unknown) => e instanceof DecodeError && e.field === "h64.size" && e.message.includes(`above the limit of ${MAX_VALUES}`),
      );
    }
  });
  it("read, info and schema fail at once with one line, exit 2", async () => {
    const p = join(dir, "amp.stats");
    writeFileSync(p, overlapping(32, 65535));
    for (const argv of [
      ["read", p, "--json"],
      ["info", p],
      ["schema", p],
    ]) {
      const r = await cli(...argv);
      assert.equal(r.code, 2, argv.join(" "));
      assert.match(r.err, /^statsfs: .*amp\.stats: stats describe 2097120 values in a data block of 65535 words/);
      assert.equal(r.err.split("\n").length, 2, r.err);
    }
  });
  it("check reports overlapping statistics and the value limit as rule violations", async () => {
    const p = join(dir, "amp2.stats");
    writeFileSync(p, overlapping(1024, 65535));
    const r = await cli("check", p);
    assert.equal(r.code, 1);
    assert.match(r.out, /h1: values-overlap: values \[0, 524280\) overlap those of "h0" \[0, 524280\)/);
    assert.match(r.out, /values-overlap: and 1007 more stats overlap others/);
    assert.equal(r.out.split("\n").filter((l) => l.includes("values-overlap")).length, 17);
    assert.match(r.out, /values-limit: the stats describe 67107840 values for a data block of 65535 words/);
  });
  it("a small overlap that does not amplify decodes, and check still reports it", async () => {
    // a [0, 16) and b [8, 16) share a word; c sits after a gap: 4 values, 5 words.
    const descriptors = [
      makeDescriptor({ name: "a", type: StatType.LinearHistogram, size: 2, offset: 0, bucketSize: 1 }),
      makeDescriptor({ name: "b", offset: 8 }),
      makeDescriptor({ name: "c", offset: 32 }),
    ];
    const bytes = encodeStatsFile({ id: "kvm-1", descriptors });
    const r = new BinaryStatsReader(bytesPread(bytes));
    assert.equal(r.schema.descriptors.length, 3);
    const p = join(dir, "small.stats");
    writeFileSync(p, bytes);
    const c = await cli("check", p);
    assert.equal(c.code, 1);
    assert.match(c.out, /b: values-overlap: values \[8, 16\) overlap those of "a" \[0, 16\)/);
    assert.doesNotMatch(c.out, /values-limit/);
  });
});
