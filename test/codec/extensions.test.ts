/**
 * statsfs's extensions of the descriptor (model/flags, codec/layout): per-value encodings (s64,
 * f64 in flag bits 12–15) and bounds histograms (type 5, bounds in the bounds block). Golden
 * bytes computed by hand; kernel files are unchanged by them (golden.test.ts keeps passing).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkBytes, violationsOf } from "../../src/check/check.js";
import { BinaryStatsReader, bytesPread, encodeStatsFile, readSchema } from "../../src/codec/index.js";
import { DecodeError } from "../../src/errors.js";
import { makeDescriptor, StatEncoding, StatType, StatUnit } from "../../src/model/index.js";
import { statValue, wordText } from "../../src/model/value.js";
import { hex } from "../helpers.js";

/**
 * id "sfs", name_size 16, three stats: g (instant f64) = 36.6, s (instant s64) = -5, h (bounds
 * histogram, seconds, bounds 0.005 and 0.01) = [1, 2, 3]. The bounds block sits between the
 * descriptors and the data block; h's bucket_size is its file offset (136).
 */
export const EXT_GOLDEN = hex(`
  00000000 10000000 03000000 18000000 28000000 98000000   # flags 0, name_size 16, 3 descs, id@24, desc@40, data@152
  73667300 00000000 00000000 00000000                     # "sfs"
  01200000 0000 0100 00000000 00000000                    # flags 0x2001 (instant, f64), size 1, offset 0
  67000000 00000000 00000000 00000000                     # "g"
  01100000 0000 0100 08000000 00000000                    # flags 0x1001 (instant, s64), size 1, offset 8
  73000000 00000000 00000000 00000000                     # "s"
  25000000 0000 0300 10000000 88000000                    # flags 0x025 (bounds histogram, seconds), size 3, offset 16, bounds@136
  68000000 00000000 00000000 00000000                     # "h"
  7b14ae47 e17a743f 7b14ae47 e17a843f                     # bounds 0.005, 0.01
  cdcccccc cc4c4240                                       # g = 36.6
  fbffffff ffffffff                                       # s = -5
  01000000 00000000 02000000 00000000 03000000 00000000   # h
`);

const DESCS = [
  makeDescriptor({ name: "g", type: StatType.Instant, encoding: StatEncoding.F64, offset: 0 }),
  makeDescriptor({ name: "s", type: StatType.Instant, encoding: StatEncoding.S64, offset: 8 }),
  makeDescriptor({ name: "h", type: StatType.BoundsHistogram, unit: StatUnit.Seconds, size: 3, offset: 16, bounds: [0.005, 0.01] }),
];
const f64 = new Float64Array([36.6]);
const DATA = new BigUint64Array([new BigUint64Array(f64.buffer)[0] as bigint, 2n ** 64n - 5n, 1n, 2n, 3n]);

function withU32(at: number, value: number): Uint8Array {
  const b = EXT_GOLDEN.slice();
  new DataView(b.buffer).setUint32(at, value, true);
  return b;
}
function withF64(at: number, value: number): Uint8Array {
  const b = EXT_GOLDEN.slice();
  new DataView(b.buffer).setFloat64(at, value, true);
  return b;
}

describe("codec extensions: encodings and bounds histograms", () => {
  it("decode the hand-computed file: encodings in the flags, bounds read once", () => {
    const r = new BinaryStatsReader(bytesPread(EXT_GOLDEN));
    assert.equal(r.id, "sfs");
    assert.deepEqual(r.layout, { flags: 0, nameSize: 16, numDesc: 3, idOffset: 24, descOffset: 40, dataOffset: 152 });
    const [g, s, h] = r.schema.descriptors as [never, never, never];
    assert.deepEqual(
      r.schema.descriptors.map((d) => [d.name, d.type, d.encoding, d.bounds]),
      [
        ["g", StatType.Instant, StatEncoding.F64, undefined],
        ["s", StatType.Instant, StatEncoding.S64, undefined],
        ["h", StatType.BoundsHistogram, StatEncoding.U64, [0.005, 0.01]],
      ],
    );
    assert.equal(statValue(g, r.data), 36.6);
    assert.equal(statValue(s, r.data), -5n);
    assert.deepEqual(statValue(h, r.data), [1n, 2n, 3n]);
    assert.equal(wordText(g, r.data[0] as bigint), "36.6");
    assert.equal(wordText(s, r.data[1] as bigint), "-5");
  });

  it("encode to the same bytes (bounds block between descriptors and data)", () => {
    assert.deepEqual(encodeStatsFile({ id: "sfs", nameSize: 16, descriptors: DESCS, data: DATA }), EXT_GOLDEN);
  });

  it("a file without extensions keeps the kernel layout (no bounds block)", () => {
    const { layout } = readSchema(bytesPread(encodeStatsFile({ id: "kvm-1", descriptors: [makeDescriptor({ name: "a" })] })));
    assert.equal(layout.dataOffset, 24 + 48 + 64);
  });

  const BAD: [string, Uint8Array, string, number][] = [
    ["bounds outside the file", withU32(40 + 2 * 32 + 12, 4096), "h bounds", 4096],
    ["misaligned bounds", withU32(40 + 2 * 32 + 12, 137), "h bounds", 137],
    ["bounds overlapping the descriptors", withU32(40 + 2 * 32 + 12, 128), "h bounds", 128],
    ["bounds not ascending", withF64(144, 0.001), "h bounds", 144],
    ["a NaN bound", withF64(136, Number.NaN), "h bounds", 136],
  ];
  for (const [what, bytes, field, offset] of BAD) {
    it(`refuses ${what} with a short typed error`, () => {
      assert.throws(
        () => new BinaryStatsReader(bytesPread(bytes)),
        (e: unknown) => e instanceof DecodeError && e.field === field && e.offset === offset && !e.message.includes("\n"),
      );
    });
  }
});

describe("check: extensions are reported as such, violations in strict kernel mode", () => {
  it("no violations by default; ext-encoding twice and ext-bounds once, marked as extensions", () => {
    const found = checkBytes(EXT_GOLDEN, { kvm: false });
    assert.deepEqual(violationsOf(found), []);
    assert.deepEqual(
      found.map((v) => [v.stat, v.rule, v.extension]),
      [
        ["g", "ext-encoding", true],
        ["s", "ext-encoding", true],
        ["h", "ext-bounds", true],
      ],
    );
  });

  it("--strict-kernel: the same three are violations", () => {
    const found = checkBytes(EXT_GOLDEN, { kvm: false, strictKernel: true });
    assert.deepEqual(
      violationsOf(found).map((v) => v.rule),
      ["ext-encoding", "ext-encoding", "ext-bounds"],
    );
  });

  it("broken bounds are a violation (bounds-read), and an unknown encoding is encoding-max", () => {
    assert.ok(violationsOf(checkBytes(withF64(144, 0.001), { kvm: false })).some((v) => v.rule === "bounds-read"));
    const b = EXT_GOLDEN.slice();
    new DataView(b.buffer).setUint32(40, 0x9001, true);
    assert.deepEqual(
      violationsOf(checkBytes(b, { kvm: false })).map((v) => v.rule),
      ["encoding-max"],
    );
  });
});
