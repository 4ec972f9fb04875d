/**
 * `top` shows, per file and per group, exactly what `read` shows, whatever the schemas' order
 * or size (regression: top read every file of a group at the first file's offsets, and summed
 * merged producer files with the per-process files behind them).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encodeStatsFile } from "../../src/codec/writer.js";
import { layOut } from "../../src/model/descriptor.js";
import { StatType } from "../../src/model/flags.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-topvals-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, id: string, stats: [string, bigint, number?][]): string {
  const { descriptors, dataSize } = layOut(stats.map(([n, , type]) => ({ name: n, type: type ?? StatType.Cumulative })));
  const data = new BigUint64Array(dataSize / 8);
  stats.forEach(([, v], i) => {
    data[i] = v;
  });
  const p = join(dir, name);
  writeFileSync(p, encodeStatsFile({ id, descriptors, data, nameSize: 48, dataSize }));
  return p;
}

/** The value column of row `name` in the first group of a plain top frame. */
function topValue(out: string, name: string): string | undefined {
  return new RegExp(`^ ${name}\\s+(\\d+)`, "m").exec(out)?.[1];
}

describe("top agrees with read", () => {
  it("two producer files with {a,b} and {b,a}: per group a=1001, b=5005 (read's sum)", async () => {
    const p1 = write("one.stats", "statsfs-1/app", [
      ["a", 1n],
      ["b", 5n],
    ]);
    const p2 = write("two.stats", "statsfs-2/app", [
      ["b", 5000n],
      ["a", 1000n],
    ]);
    const read = JSON.parse((await cli("read", p1, p2, "--json")).out) as { stats: { name: string; value: number }[] }[];
    const sum = (n: string) => read.reduce((s, r) => s + (r.stats.find((x) => x.name === n)?.value ?? 0), 0);
    const r = await cli("top", p1, p2, "--count", "1");
    assert.equal(r.code, 0, r.err);
    assert.equal(topValue(r.out, "a"), String(sum("a")));
    assert.equal(topValue(r.out, "b"), String(sum("b")));
    assert.equal(topValue(r.out, "a"), "1001");
    assert.equal(topValue(r.out, "b"), "5005");
  });

  it("files of different sizes: a statistic a file lacks is neither read nor shown for it", async () => {
    const p1 = write("small.stats", "statsfs-3/web", [["hits", 7n]]);
    const p2 = write("big.stats", "statsfs-4/web", [
      ["misses", 2n],
      ["hits", 9n],
      ["peak", 40n, StatType.Peak],
    ]);
    const r = await cli("top", p1, p2, "--count", "1");
    assert.equal(r.code, 0, r.err);
    assert.equal(topValue(r.out, "hits"), "16");
    assert.equal(topValue(r.out, "misses"), "2");
    assert.equal(topValue(r.out, "peak"), "40");
  });

  it("a merged producer file is never summed with the per-process files behind it", async () => {
    const merged = write("merged.stats", "statsfs/svc", [["n", 30n]]);
    const a = write("p1.stats", "statsfs-11/svc", [["n", 10n]]);
    const b = write("p2.stats", "statsfs-12/svc", [["n", 20n]]);
    const r = await cli("top", merged, a, b, "--count", "1");
    assert.equal(r.code, 0, r.err);
    const blocks = r.out.split("\n\n").filter((x) => /^\s*n\s+\d+/m.test(x));
    const values = blocks.map((x) => topValue(`\n${x}`, "n")).sort();
    // One group: the per-process files are the merged file's parts (top's x), not a second group.
    assert.deepEqual(values, ["30"], r.out);
  });
});
