import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  bucketBounds,
  formatScaled,
  linearBucketIndex,
  log2BucketIndex,
  makeDescriptor,
  parseTypeName,
  parseUnitName,
  StatBase,
  StatType,
  StatUnit,
  statValue,
  typeName,
  unitLabel,
  unitName,
} from "../../src/model/index.js";

describe("histogram bounds (api.rst)", () => {
  it("linear: [i*w, (i+1)*w), last open-ended", () => {
    const d = makeDescriptor({ name: "h", type: StatType.LinearHistogram, size: 3, bucketSize: 10 });
    assert.deepEqual(bucketBounds(d), [
      { low: 0n, high: 10n },
      { low: 10n, high: 20n },
      { low: 20n, high: undefined },
    ]);
  });
  it("log2: bucket 0 is [0,1), bucket i is [2^(i-1), 2^i), last open-ended; exact at 2^63", () => {
    const b = bucketBounds(makeDescriptor({ name: "h", type: StatType.Log2Histogram, size: 65 }));
    assert.deepEqual(b.slice(0, 3), [
      { low: 0n, high: 1n },
      { low: 1n, high: 2n },
      { low: 2n, high: 4n },
    ]);
    assert.deepEqual(b[64], { low: 1n << 63n, high: undefined });
  });
  it("bucket index agrees with the bounds", () => {
    const cases: [number, number][] = [
      [0, 0],
      [0.5, 0],
      [1, 1],
      [2, 2],
      [3, 2],
      [4, 3],
      [1023, 10],
      [1024, 11],
      [2 ** 31, 32],
      [2 ** 40, 41],
    ];
    for (const [x, i] of cases) assert.equal(log2BucketIndex(x, 64), i, `log2(${x})`);
    assert.equal(log2BucketIndex(2 ** 40, 32), 31, "clamped to the last bucket");
    assert.equal(linearBucketIndex(25, 3, 10), 2);
    assert.equal(linearBucketIndex(1e9, 3, 10), 2);
    assert.equal(linearBucketIndex(-1, 3, 10), 0);
  });
});

describe("units", () => {
  const cases: [number, number, number, string][] = [
    [StatUnit.Seconds, StatBase.Pow10, -9, "ns"],
    [StatUnit.Seconds, StatBase.Pow10, -6, "µs"],
    [StatUnit.Bytes, StatBase.Pow2, 10, "KiB"],
    [StatUnit.Bytes, StatBase.Pow2, 20, "MiB"],
    [StatUnit.Bytes, StatBase.Pow2, 0, "B"],
    [StatUnit.Cycles, StatBase.Pow10, 3, "k cycles"],
    [StatUnit.None, StatBase.Pow10, 0, ""],
    [StatUnit.Boolean, StatBase.Pow10, 0, ""],
    [StatUnit.Seconds, StatBase.Pow10, -2, "10^-2 s"],
  ];
  for (const [u, b, e, label] of cases) it(`label ${unitName(u)} ${b} ${e} → "${label}"`, () => assert.equal(unitLabel(u, b, e), label));

  it("scales exactly to the largest fitting prefix", () => {
    assert.equal(formatScaled(1536n, StatUnit.Bytes, StatBase.Pow2, 0), "1.5 KiB");
    assert.equal(formatScaled(2500n, StatUnit.Seconds, StatBase.Pow10, -9), "2.5 µs");
    assert.equal(formatScaled(999n, StatUnit.Seconds, StatBase.Pow10, -9), "999 ns");
    assert.equal(formatScaled(3n, StatUnit.Bytes, StatBase.Pow2, 20), "3 MiB");
    assert.equal(formatScaled(2n ** 64n - 1n, StatUnit.Bytes, StatBase.Pow2, 0), "15.999 EiB");
    assert.equal(formatScaled(5n, StatUnit.None, StatBase.Pow10, 0), "5");
    assert.equal(formatScaled(1n, StatUnit.Boolean, StatBase.Pow10, 0), "yes");
  });
});

describe("names and values", () => {
  it("unknown numbers are kept and named, and parse back", () => {
    assert.equal(typeName(9), "type-9");
    assert.equal(parseTypeName("type-9"), 9);
    assert.equal(parseTypeName("log2-histogram"), StatType.Log2Histogram);
    assert.equal(parseUnitName("boolean"), StatUnit.Boolean);
    assert.equal(parseUnitName("furlongs"), undefined);
    const d = makeDescriptor({ name: "x", type: 9, unit: 7, base: 3 });
    assert.deepEqual([d.type, d.unit, d.base, d.flags], [9, 7, 3, 0x379]);
  });
  it("statValue: u64 exact, booleans, lists", () => {
    const data = new BigUint64Array([2n ** 64n - 1n, 1n, 3n, 4n]);
    assert.equal(statValue(makeDescriptor({ name: "a" }), data), 2n ** 64n - 1n);
    assert.equal(statValue(makeDescriptor({ name: "b", unit: StatUnit.Boolean, offset: 8 }), data), true);
    assert.deepEqual(statValue(makeDescriptor({ name: "h", type: StatType.Log2Histogram, size: 2, offset: 16 }), data), [3n, 4n]);
  });
});
