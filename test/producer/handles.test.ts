import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { linearBucketIndex, log2BucketIndex } from "../../src/model/histogram.js";
import { createSource } from "../../src/producer/index.js";

const U64 = 2n ** 64n;

describe("value handles", () => {
  it("counters carry into the high word and stay exact past 2^53", () => {
    using s = createSource("c");
    const { c } = s.addValues({ c: {} });
    c.add(0xffff_fffe);
    c.inc();
    assert.equal(c.get(), 0xffff_ffffn);
    c.inc(); // carry
    assert.equal(c.get(), 0x1_0000_0000n);
    c.add(2 ** 52);
    c.add(2 ** 52);
    c.add(2 ** 52);
    assert.equal(c.get(), 0x1_0000_0000n + 3n * 2n ** 52n);
    c.addBig(2n ** 63n);
    c.inc();
    assert.equal(c.get(), 0x1_0000_0001n + 3n * 2n ** 52n + 2n ** 63n);
    // Counters never go down: negative and non-finite adds are ignored.
    const before = c.get();
    c.add(-5);
    c.add(Number.NaN);
    c.add(Number.POSITIVE_INFINITY);
    assert.equal(c.get(), before);
  });

  it("adds match bigint arithmetic modulo 2^64 for any sequence", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.nat(0xffffffff), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })), { maxLength: 60 }),
        (adds) => {
          using s = createSource("p");
          const { c } = s.addValues({ c: {} });
          let want = 0n;
          for (const a of adds) {
            c.add(a);
            want = (want + BigInt(a)) % U64;
          }
          assert.equal(c.get(), want);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("gauges go up and down, wrapping below zero like u64", () => {
    using s = createSource("g");
    const { g } = s.addValues({ g: { type: "instant" } });
    g.set(10);
    g.dec();
    g.sub(4);
    assert.equal(g.get(), 5n);
    g.add(-6);
    assert.equal(g.get(), U64 - 1n);
    g.inc();
    assert.equal(g.get(), 0n);
    g.set(2 ** 40);
    assert.equal(g.get(), 2n ** 40n);
    g.set(3);
    assert.equal(g.get(), 3n);
    g.setBig(U64 - 2n);
    assert.equal(g.get(), U64 - 2n);
  });

  it("peaks keep the maximum, exactly above 2^32", () => {
    using s = createSource("pk");
    const { p } = s.addValues({ p: { type: "peak" } });
    p.max(7);
    p.max(3);
    assert.equal(p.get(), 7n);
    p.max(2 ** 33 + 1);
    p.max(2 ** 32);
    assert.equal(p.get(), 2n ** 33n + 1n);
    p.maxBig(2n ** 60n);
    p.max(5);
    assert.equal(p.get(), 2n ** 60n);
  });

  it("histograms bucket like the kernel (log2 and linear)", () => {
    using s = createSource("h");
    const { l2, lin } = s.addValues({
      l2: { type: "log2-histogram", buckets: 40 },
      lin: { type: "linear-histogram", buckets: 10, bucketSize: 25 },
    });
    const samples = [0, 0.5, 1, 1.9, 2, 3, 4, 7, 8, 1023, 1024, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 33 + 5, 2 ** 45, 2 ** 60, -3, 1e30];
    const want2 = new Array<bigint>(40).fill(0n);
    const wantL = new Array<bigint>(10).fill(0n);
    for (const x of samples) {
      l2.record(x);
      lin.record(x);
      const i2 = log2BucketIndex(Math.max(0, x), 40);
      const iL = linearBucketIndex(x, 10, 25);
      want2[i2] = (want2[i2] ?? 0n) + 1n;
      wantL[iL] = (wantL[iL] ?? 0n) + 1n;
    }
    assert.deepEqual(l2.get(), want2);
    assert.deepEqual(lin.get(), wantL);
    // Spot checks against the api.rst bucket rules.
    assert.equal(l2.get()[0], 3n); // 0, 0.5, -3
    assert.equal(l2.get()[33], 1n); // 2^32 is in [2^32, 2^33)
    assert.equal(l2.get()[39], 3n); // 2^45, 2^60, 1e30 land in the last bucket
    assert.equal(lin.get()[0], 10n); // 0 … 8 and -3 are in [0, 25)
    assert.equal(lin.get()[9], 9n); // 1023 and up: the open-ended last bucket
  });

  it("keeps working after close, on memory no reader sees", () => {
    const s = createSource("gone");
    const { c } = s.addValues({ c: {} });
    c.inc();
    s.close();
    s.close();
    c.inc();
    assert.equal(c.get(), 2n);
  });
});
