/**
 * The sampler: deltas and rates against the previous sample, files keyed by identity so that
 * one joining or leaving never resets the others, gone files with their last values.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { layOut } from "../../src/model/descriptor.js";
import { parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { NO_CAPABILITIES, type StatsSource } from "../../src/providers/source.js";
import { UnionSource } from "../../src/providers/union.js";
import { delta, Sampler, samples } from "../../src/sample/sampler.js";

function file(id: string, value: bigint): StatsFile {
  const { descriptors, dataSize } = layOut([{ name: "n" }]);
  const data = new BigUint64Array(dataSize / 8);
  data[0] = value;
  return { identity: parseId(id), schema: { descriptors, dataSize, nameSize: 48 }, data };
}

/** A source whose files the test sets; poll copies nothing (values are set in place). */
function source(files: StatsFile[], fail?: () => boolean): StatsSource & { files: StatsFile[] } {
  return {
    uri: "test:",
    files,
    capabilities: NO_CAPABILITIES,
    async poll() {
      if (fail?.()) throw new Error("peer gone");
    },
    async close() {},
    async [Symbol.asyncDispose]() {},
  };
}

describe("sampler", () => {
  it("deltas by identity key; a file joining does not reset the others; a leaving one is reported with its last values", async () => {
    const a = file("kvm-1", 10n);
    const src = source([a]);
    const s = new Sampler(src);
    const first = s.take();
    assert.equal(first.added.length, 1);
    assert.equal(delta(a.schema.descriptors[0] as never, first.files[0] as never), undefined);
    a.data[0] = 15n;
    // A new object for the same identity (a source that rebuilt its files) keeps the key.
    const a2 = { ...a, data: a.data };
    const b = file("kvm-2", 100n);
    src.files = [a2, b];
    const second = await s.sample();
    assert.deepEqual(
      second.added.map((f) => f.key),
      [second.files[1]?.key],
    );
    assert.equal(delta(a.schema.descriptors[0] as never, second.files[0] as never), 5n);
    assert.equal(delta(b.schema.descriptors[0] as never, second.files[1] as never), undefined);
    src.files = [b];
    b.data[0] = 2n ** 64n - 1n;
    const third = await s.sample();
    assert.equal(third.removed.length, 1);
    assert.equal(third.removed[0]?.file.identity.id, "kvm-1");
    assert.equal(third.removed[0]?.data[0], 15n);
    assert.equal(delta(b.schema.descriptors[0] as never, third.files[0] as never), 2n ** 64n - 101n, "u64 exact");
  });

  it("iterates on an interval until aborted or counted, members' states included", async () => {
    let dead = false;
    const u = new UnionSource([source([file("kvm-1", 1n)], () => dead), source([file("kvm-2", 2n)])]);
    const seen: string[][] = [];
    for await (const sample of samples(u, { intervalMs: 5, count: 3 })) {
      seen.push(sample.members.map((m) => m.state));
      dead = true;
    }
    assert.deepEqual(seen, [
      ["ok", "ok"],
      ["failed", "ok"],
      ["failed", "ok"],
    ]);
    const ac = new AbortController();
    let n = 0;
    for await (const _ of samples(u, { intervalMs: 1, signal: ac.signal })) if (++n === 2) ac.abort();
    assert.equal(n, 2);
  });
});
