/**
 * The fuzzer's regression fixtures (test/fixtures/fuzz/TARGET-*.bin: inputs that once broke a
 * property, saved by `npm run fuzz`, and hand-made ones for issue 8's defects) replayed through
 * the same targets, and a short fixed-seed run of every target.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Rng } from "../../fuzz/rng.js";
import { TARGETS } from "../../fuzz/targets/index.js";
import { closeQmpJson } from "../../fuzz/targets/qmp-json.js";

const FIXTURES = join(import.meta.dirname, "../../../test/fixtures/fuzz");
after(() => closeQmpJson());

/** The target a fixture belongs to: the longest target name its file name starts with. */
function targetOf(file: string): keyof typeof TARGETS {
  const names = Object.keys(TARGETS).sort((a, b) => b.length - a.length) as (keyof typeof TARGETS)[];
  const t = names.find((n) => file.startsWith(`${n}-`));
  assert.ok(t, `fixture ${file} names no target`);
  return t;
}

describe("fuzz fixtures replay", () => {
  const files = readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".bin"))
    .sort();
  it("there are fixtures for every target", () => {
    for (const t of Object.keys(TARGETS))
      assert.ok(
        files.some((f) => f.startsWith(`${t}-`)),
        t,
      );
  });
  for (const f of files) {
    it(f, async () => {
      await TARGETS[targetOf(f)].run(new Uint8Array(readFileSync(join(FIXTURES, f))));
    });
  }
});

describe("a short fixed-seed fuzz run", () => {
  for (const [name, target] of Object.entries(TARGETS)) {
    it(`${name}: 300 cases`, async () => {
      const corpus = await target.seeds();
      for (let i = 0; i < 300; i++) {
        const rng = new Rng(0x5eed + i);
        const input = target.mutate(rng.pick(corpus), rng);
        await target.run(input);
      }
    });
  }
});
