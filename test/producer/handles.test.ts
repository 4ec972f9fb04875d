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

  it("gauges go up and down and never below zero: dec() at 0 stays 0 and warns once, naming the value", async () => {
    using s = createSource("g");
    const { g, other } = s.addValues({ g: { type: "instant" }, other: { type: "instant" } });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on("warning", onWarning);
    try {
      g.set(10);
      g.dec();
      g.sub(4);
      assert.equal(g.get(), 5n);
      g.add(-6);
      assert.equal(g.get(), 0n, "add below zero stops at 0");
      g.dec();
      assert.equal(g.get(), 0n, "dec() at 0 never wraps to 2^64-1");
      g.inc();
      assert.equal(g.get(), 1n);
      g.set(-3);
      assert.equal(g.get(), 0n);
      g.setBig(-1n);
      assert.equal(g.get(), 0n);
      g.setBig(U64 + 5n);
      assert.equal(g.get(), U64 - 1n, "above 2^64-1 stops there");
      g.inc();
      assert.equal(g.get(), U64 - 1n);
      other.dec();
      assert.equal(other.get(), 0n);
      g.set(5);
      g.addBig(-6n);
      assert.equal(g.get(), 0n, "addBig below zero stops at 0");
      g.addBig(2n ** 40n);
      assert.equal(g.get(), 2n ** 40n);
      g.set(2 ** 32);
      g.dec();
      assert.equal(g.get(), 2n ** 32n - 1n, "borrow from the high word");
      g.set(0);
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off("warning", onWarning);
    }
    const ours = warnings.filter((w) => (w as { code?: string }).code === "STATSFS_GAUGE_RANGE");
    assert.deepEqual(
      ours.map((w) => w.message),
      [
        'statsfs: gauge "g" was moved below zero; kept at 0 (instant values are u64, as in the kernel)',
        'statsfs: gauge "other" was moved below zero; kept at 0 (instant values are u64, as in the kernel)',
      ],
    );
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

describe("fractional arguments are truncated before they are applied", () => {
  // The documented rule: numbers are taken as integers, fractions truncated (toward zero), and
  // the result is exact u64 arithmetic modulo 2^64. Oracle: BigInt(Math.trunc(n)).
  const start = fc.bigInt({ min: 0n, max: U64 - 1n });
  const num = fc.oneof(
    fc.double({ min: -1e6, max: 1e6 }),
    fc.double({ min: -(2 ** 34), max: 2 ** 34 }),
    fc.integer({ min: -10, max: 10 }).map((k) => k + 0.5),
    fc.double(), // any magnitude, NaN and ±Infinity included
  );
  const near32 = fc.constantFrom(
    0n,
    1n,
    5n,
    2n ** 31n,
    2n ** 32n - 3n,
    2n ** 32n - 1n,
    2n ** 32n,
    2n ** 32n + 1n,
    U64 - 1n,
    7n * 2n ** 32n,
  );

  it("gauge add and sub truncate n, not the sum", () => {
    using s = createSource("gf");
    const { g } = s.addValues({ g: { type: "instant" } });
    g.set(10);
    g.add(-2.5);
    assert.equal(g.get(), 8n);
    g.set(5);
    g.add(-0.5);
    assert.equal(g.get(), 5n);
    g.sub(0.5);
    assert.equal(g.get(), 5n);
    g.sub(2.9);
    assert.equal(g.get(), 3n);
    g.sub(-2.5);
    assert.equal(g.get(), 5n);
    g.set(0);
    g.add(-0.5);
    assert.equal(g.get(), 0n);
    g.add(-1.5);
    assert.equal(g.get(), 0n);
    // Near 2^32 (the low word's edge).
    g.set(2 ** 32 - 1);
    g.add(-2.5);
    assert.equal(g.get(), 2n ** 32n - 3n);
    g.set(2 ** 32);
    g.add(-2.5);
    assert.equal(g.get(), 2n ** 32n - 2n);
    g.set(2 ** 32 + 1);
    g.add(-2.5);
    assert.equal(g.get(), 2n ** 32n - 1n);
    g.set(2 ** 32 - 1);
    g.add(0.5);
    assert.equal(g.get(), 2n ** 32n - 1n);
    g.add(1.5);
    assert.equal(g.get(), 2n ** 32n);
    // Huge addends are exact: past either end the gauge stops at the end.
    g.set(5 * 2 ** 32);
    g.add(2 ** 60);
    assert.equal(g.get(), 5n * 2n ** 32n + 2n ** 60n);
    g.add(2 ** 100);
    assert.equal(g.get(), U64 - 1n);
    g.sub(2 ** 70 + 2 ** 40);
    assert.equal(g.get(), 0n);
  });

  it("gauge add/sub/set match bigint arithmetic on the truncated argument, clamped to u64, from any value", () => {
    fc.assert(
      fc.property(
        fc.oneof(start, near32),
        fc.array(fc.tuple(fc.constantFrom("add", "sub", "set"), num), { maxLength: 30 }),
        (from, ops) => {
          using s = createSource("gp");
          const { g } = s.addValues({ g: { type: "instant" } });
          g.setBig(from);
          let want = from;
          for (const [op, n] of ops) {
            g[op](n);
            if (!Number.isFinite(n)) continue;
            const t = BigInt(Math.trunc(n));
            const next = op === "add" ? want + t : op === "sub" ? want - t : t;
            want = next < 0n ? 0n : next >= U64 ? U64 - 1n : next;
            assert.equal(g.get(), want, `${op}(${n}) from ${from}`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("counter add truncates n first (a sum rounded up is not an extra count)", () => {
    using s = createSource("cf");
    const { c } = s.addValues({ c: {} });
    c.add(1);
    c.add(1 - 2 ** -53); // 1 + 0.99…9 rounds to 2 as a double
    assert.equal(c.get(), 1n);
    c.add(2 ** 31 - 1);
    c.add(0.9999999); // 2^31 + 0.9999999 rounds to 2^31 + 1
    assert.equal(c.get(), 2n ** 31n);
    c.add(2.5);
    assert.equal(c.get(), 2n ** 31n + 2n);
    c.add(-0.5);
    assert.equal(c.get(), 2n ** 31n + 2n);
    c.add(3 * 2 ** 32);
    c.add(2 ** 90); // ≡ 0 mod 2^64
    assert.equal(c.get(), 2n ** 31n + 2n + 3n * 2n ** 32n);
    fc.assert(
      fc.property(fc.oneof(start, near32), fc.array(num, { maxLength: 30 }), (from, adds) => {
        using p = createSource("cp");
        const { c: h } = p.addValues({ c: {} });
        h.addBig(from);
        let want = from;
        for (const n of adds) {
          h.add(n);
          if (Number.isFinite(n) && n >= 0) want = BigInt.asUintN(64, want + BigInt(Math.trunc(n)));
          assert.equal(h.get(), want, `add(${n}) from ${from}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("peak max compares and stores the truncated argument", () => {
    using s = createSource("pf");
    const { p } = s.addValues({ p: { type: "peak" } });
    p.max(5.9);
    assert.equal(p.get(), 5n);
    p.max(5.5);
    p.max(-1.5);
    assert.equal(p.get(), 5n);
    p.max(2 ** 32 - 0.5);
    assert.equal(p.get(), 2n ** 32n - 1n);
    p.max(2 ** 32 + 0.5);
    assert.equal(p.get(), 2n ** 32n);
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.double({ min: -10, max: 2 ** 40 }), fc.double({ min: 0, max: 100 })), { maxLength: 30 }), (xs) => {
        using q = createSource("pp");
        const { p: h } = q.addValues({ p: { type: "peak" } });
        let want = 0n;
        for (const x of xs) {
          h.max(x);
          if (Number.isFinite(x) && BigInt(Math.trunc(x)) > want) want = BigInt(Math.trunc(x));
          assert.equal(h.get(), want, `max(${x})`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
