/**
 * Issue 16: one bad member never takes the rest down. `read DIR` with good files and junk reads
 * the good ones and names each bad one in one printable warning line (exit 0), as `shm:` does;
 * a directory with nothing readable and `read FILE` of one bad file stay errors (exit 2).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { GOLDEN } from "../codec/golden.test.js";
import { cli } from "../helpers.js";

const base = mkdtempSync(join(tmpdir(), "statsfs-read-dir-"));
after(() => rmSync(base, { recursive: true, force: true }));

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters is the point
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

describe("read DIR: good files are read, bad ones named", () => {
  const dir = join(base, "mixed");
  mkdirSync(dir);
  writeFileSync(join(dir, "a.stats"), GOLDEN);
  writeFileSync(join(dir, "b.stats"), "junk\x1b[31m\x07 not a stats file\n");
  writeFileSync(join(dir, "c.stats"), GOLDEN.subarray(0, 30));
  writeFileSync(join(dir, "d.stats"), GOLDEN);

  it("prints the good files, one warning line per bad one, exit 0", async () => {
    const good = await cli("read", join(dir, "a.stats"));
    assert.equal(good.code, 0);
    const r = await cli("read", dir);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.includes(good.out.trim().split("\n")[1] as string), r.out);
    const lines = r.err.trimEnd().split("\n");
    assert.equal(lines.length, 2, r.err);
    assert.match(lines[0] as string, new RegExp(`^statsfs: ${join(dir, "b.stats")}: failed: `));
    assert.match(lines[1] as string, new RegExp(`^statsfs: ${join(dir, "c.stats")}: failed: `));
    for (const l of lines) assert.doesNotMatch(l, CONTROL);
    const json = await cli("read", dir, "--json");
    assert.equal((JSON.parse(json.out) as unknown[]).length, 2, "both good files in --json");
  });

  it("a directory with nothing readable is an error naming a bad file, exit 2", async () => {
    const bad = join(base, "bad");
    mkdirSync(bad);
    writeFileSync(join(bad, "x.stats"), "junk");
    writeFileSync(join(bad, "y.stats"), "junk");
    const r = await cli("read", bad);
    assert.equal(r.code, 2);
    assert.match(
      r.err,
      new RegExp(`^statsfs: ${bad}: directory holds no readable stats file \\(${join(bad, "x.stats")}: .*; and 1 more\\)\\n$`),
    );
  });

  it("read FILE of one bad file stays an error, exit 2", async () => {
    const r = await cli("read", join(dir, "b.stats"));
    assert.equal(r.code, 2);
    assert.equal(r.err.split("\n").length, 2, r.err);
    assert.doesNotMatch(r.err.trimEnd(), CONTROL);
  });
});
