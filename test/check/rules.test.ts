import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkBytes } from "../../src/check/check.js";
import { encodeStatsFile } from "../../src/codec/index.js";
import { type DescriptorInit, layOut, makeDescriptor, StatType, StatUnit } from "../../src/model/index.js";
import { GOLDEN } from "../codec/golden.test.js";

const file = (inits: DescriptorInit[], id = "kvm-1") => encodeStatsFile({ id, descriptors: layOut(inits).descriptors });
const u32 = (b: Uint8Array, at: number, v: number) => {
  const c = b.slice();
  new DataView(c.buffer).setUint32(at, v, true);
  return c;
};
const rulesOf = (bytes: Uint8Array, kvm = true) => checkBytes(bytes, { kvm }).map((v) => v.rule);

/** [rule, a file breaking exactly that rule] */
const BROKEN: [string, Uint8Array][] = [
  ["type-max", file([{ name: "a", type: 6 }])],
  ["unit-max", file([{ name: "a", unit: 5 }])],
  ["base-max", file([{ name: "a", base: 2 }])],
  ["exponent-sign", file([{ name: "a", unit: StatUnit.Bytes, exponent: -1 }])],
  ["exponent-sign", file([{ name: "a", unit: StatUnit.Seconds, exponent: 3 }])],
  ["boolean-exponent", file([{ name: "a", unit: StatUnit.Boolean, exponent: -1 }])],
  ["boolean-log2", file([{ name: "a", type: StatType.Log2Histogram, unit: StatUnit.Boolean, size: 4 }])],
  ["size-nonzero", file([{ name: "a", type: StatType.Log2Histogram, size: 0 }, { name: "b" }])],
  ["size-scalar", file([{ name: "a", size: 2 }])],
  ["bucket-size", file([{ name: "a", type: StatType.LinearHistogram, size: 4, bucketSize: 0 }])],
  ["bucket-size", file([{ name: "a", bucketSize: 8 }])],
  ["name-unique", file([{ name: "a" }, { name: "a" }])],
  ["id-kvm", file([{ name: "a" }], "qemu-1")],
  ["header-read", GOLDEN.subarray(0, 10)],
  ["header-flags", u32(GOLDEN, 0, 2)],
  ["name-size", u32(GOLDEN, 4, 0)],
  ["block-aligned", u32(u32(GOLDEN, 20, 108), 8, 2)],
  ["id-read", GOLDEN.subarray(0, 30)],
  ["desc-read", GOLDEN.subarray(0, 60)],
  ["blocks-overlap", u32(GOLDEN, 20, 96)],
  ["values-read", GOLDEN.subarray(0, 120)],
  [
    "data-size",
    (() => {
      const b = file([{ name: "a" }, { name: "b" }]);
      return u32(b, 24 + 48 + 64 + 8, 0); // second descriptor's offset → 0: data block is 8 bytes for 2 descriptors
    })(),
  ],
];

describe("checker", () => {
  it("passes a conforming file", () => {
    assert.deepEqual(checkBytes(GOLDEN, { kvm: true }), []);
    const kernelLike = file([
      { name: "exits" },
      { name: "blocking", type: StatType.Instant, unit: StatUnit.Boolean },
      { name: "halt_wait_hist", type: StatType.Log2Histogram, unit: StatUnit.Seconds, exponent: -9, size: 32 },
      { name: "lin", type: StatType.LinearHistogram, size: 8, bucketSize: 16 },
      { name: "max_x", type: StatType.Peak },
    ]);
    assert.deepEqual(checkBytes(kernelLike, { kvm: true }), []);
  });

  for (const [rule, bytes] of BROKEN) {
    it(`reports ${rule}`, () => {
      const rules = rulesOf(bytes);
      assert.ok(rules.includes(rule), `expected ${rule}, got ${JSON.stringify(rules)}`);
    });
  }

  it("names the stat and keeps going after a violation", () => {
    const v = checkBytes(
      file([
        { name: "a", unit: 9 },
        { name: "b", unit: StatUnit.Seconds, exponent: 1 },
      ]),
      { kvm: true },
    );
    assert.deepEqual(
      v.map((x) => [x.stat, x.rule]),
      [
        ["a", "unit-max"],
        ["b", "exponent-sign"],
      ],
    );
  });

  it("applies the kvm id rule only to KVM files", () => {
    assert.deepEqual(rulesOf(file([{ name: "a" }], "statsfs-app"), false), []);
  });

  it("a descriptor built by makeDescriptor defaults to a conforming cumulative counter", () => {
    assert.deepEqual(makeDescriptor({ name: "x" }), {
      name: "x",
      flags: 0,
      type: 0,
      unit: 0,
      base: 0,
      exponent: 0,
      size: 1,
      offset: 0,
      bucketSize: 0,
      encoding: 0,
    });
  });
});
