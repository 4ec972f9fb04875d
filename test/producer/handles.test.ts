import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { ValueError } from "../../src/errors.js";
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
    // Counters never go down: negative and non-finite adds are refused, and change nothing.
    const before = c.get();
    assert.throws(() => c.add(-5), ValueError);
    assert.throws(() => c.add(Number.NaN), ValueError);
    assert.throws(() => c.add(Number.POSITIVE_INFINITY), ValueError);
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
    const samples = [0, 1, 2, 3, 4, 7, 8, 1023, 1024, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 33 + 5, 2 ** 45, 2 ** 60, 1e30];
    for (const bad of [0.5, 1.9, -3, Number.NaN]) {
      assert.throws(() => l2.record(bad), ValueError);
      assert.throws(() => lin.record(bad), ValueError);
    }
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
    assert.equal(l2.get()[0], 1n); // 0
    assert.equal(l2.get()[33], 1n); // 2^32 is in [2^32, 2^33)
    assert.equal(l2.get()[39], 3n); // 2^45, 2^60, 1e30 land in the last bucket
    assert.equal(lin.get()[0], 7n); // 0 … 8 are in [0, 25)
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

describe("arguments are integers: applied exactly, or refused and not applied", () => {
  // The documented rule: values are u64 integers; a fraction, a non-finite number (and, for
  // counters and peaks, a negative one) is refused with a ValueError and changes nothing;
  // an integer is exact u64 arithmetic (gauges clamped to [0, 2^64-1]). Oracle: bigints.
  const start = fc.bigInt({ min: 0n, max: U64 - 1n });
  const num = fc.oneof(
    fc.double({ min: -1e6, max: 1e6 }),
    fc.double({ min: -(2 ** 34), max: 2 ** 34 }),
    fc.integer({ min: -10, max: 10 }).map((k) => k + 0.5),
    fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
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
  const applies = (f: () => void): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      assert.ok(e instanceof ValueError, String(e));
      return false;
    }
  };

  it("gauge add/sub/set match bigint arithmetic, clamped to u64, from any value; fractions refused", () => {
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
            const ok = applies(() => g[op](n));
            assert.equal(ok, Number.isInteger(n), `${op}(${n}) applied iff an integer`);
            if (ok) {
              const t = BigInt(n);
              const next = op === "add" ? want + t : op === "sub" ? want - t : t;
              want = next < 0n ? 0n : next >= U64 ? U64 - 1n : next;
            }
            assert.equal(g.get(), want, `${op}(${n}) from ${from}`);
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it("counter add/inc take integers >= 0, modulo 2^64; no sum rounded up into an extra count", () => {
    using s = createSource("cf");
    const { c } = s.addValues({ c: {} });
    c.add(1);
    assert.throws(() => c.add(1 - 2 ** -53), ValueError); // 1 + 0.99…9 would round to 2 as a double
    c.add(3 * 2 ** 32);
    c.add(2 ** 90); // ≡ 0 mod 2^64
    assert.equal(c.get(), 1n + 3n * 2n ** 32n);
    fc.assert(
      fc.property(fc.oneof(start, near32), fc.array(fc.tuple(fc.boolean(), num), { maxLength: 30 }), (from, adds) => {
        using p = createSource("cp");
        const { c: h } = p.addValues({ c: {} });
        h.addBig(from);
        let want = from;
        for (const [viaInc, n] of adds) {
          const ok = applies(() => (viaInc ? h.inc(n) : h.add(n)));
          assert.equal(ok, Number.isInteger(n) && n >= 0, `add(${n}) applied iff an integer >= 0`);
          if (ok) want = BigInt.asUintN(64, want + BigInt(n));
          assert.equal(h.get(), want, `add(${n}) from ${from}`);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("peak max takes integers >= 0", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.double({ min: -10, max: 2 ** 40 }), fc.nat(), fc.integer({ min: 0, max: 2 ** 40 })), { maxLength: 30 }),
        (xs) => {
          using q = createSource("pp");
          const { p: h } = q.addValues({ p: { type: "peak" } });
          let want = 0n;
          for (const x of xs) {
            const ok = applies(() => h.max(x));
            assert.equal(ok, Number.isInteger(x) && x >= 0, `max(${x})`);
            if (ok && BigInt(x) > want) want = BigInt(x);
            assert.equal(h.get(), want, `max(${x})`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
