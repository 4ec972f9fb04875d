import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BinaryStatsReader, bytesPread, encodeStatsFile, readSchema } from "../../src/codec/index.js";
import { makeDescriptor, StatBase, StatType, StatUnit } from "../../src/model/index.js";
import { hex } from "../helpers.js";

/**
 * Computed by hand from the layout in FACTS.md, not by our encoder: id "kvm-1", name_size 16,
 * two stats. exits (cumulative) = 0x0102030405060708; wait_hist (log2 histogram, seconds,
 * 10^-9, 2 buckets) = [1, 2^64-1].
 */
export const GOLDEN = hex(`
  00000000 10000000 02000000 18000000 28000000 68000000   # flags 0, name_size 16, 2 descs, id@24, desc@40, data@104
  6b766d2d 31000000 00000000 00000000                     # "kvm-1"
  00000000 0000 0100 00000000 00000000                    # flags 0x000, exponent 0, size 1, offset 0, bucket 0
  65786974 73000000 00000000 00000000                     # "exits"
  24000000 f7ff 0200 08000000 00000000                    # flags 0x024, exponent -9, size 2, offset 8, bucket 0
  77616974 5f686973 74000000 00000000                     # "wait_hist"
  08070605 04030201                                       # exits
  01000000 00000000 ffffffff ffffffff                     # wait_hist[0], wait_hist[1]
`);

const DESCS = [
  makeDescriptor({ name: "exits", offset: 0 }),
  makeDescriptor({
    name: "wait_hist",
    type: StatType.Log2Histogram,
    unit: StatUnit.Seconds,
    base: StatBase.Pow10,
    exponent: -9,
    size: 2,
    offset: 8,
  }),
];
const DATA = new BigUint64Array([0x0102030405060708n, 1n, 0xffffffffffffffffn]);

describe("golden bytes", () => {
  it("decodes the hand-computed file", () => {
    const r = new BinaryStatsReader(bytesPread(GOLDEN));
    assert.equal(r.id, "kvm-1");
    assert.deepEqual(r.layout, { flags: 0, nameSize: 16, numDesc: 2, idOffset: 24, descOffset: 40, dataOffset: 104 });
    assert.deepEqual(r.schema.descriptors, DESCS);
    assert.equal(r.schema.dataSize, 24);
    assert.deepEqual([...r.data], [...DATA]);
  });

  it("encodes to the same bytes", () => {
    const out = encodeStatsFile({ id: "kvm-1", nameSize: 16, descriptors: DESCS, data: DATA });
    assert.deepEqual(out, GOLDEN);
  });

  it("uses the kernel's name_size 48 by default (VM file: desc@72, data@72+16*64)", () => {
    const descs = Array.from({ length: 16 }, (_, i) => makeDescriptor({ name: `s${i}`, offset: i * 8 }));
    const { layout } = readSchema(bytesPread(encodeStatsFile({ id: "kvm-1", descriptors: descs })));
    assert.deepEqual(layout, { flags: 0, nameSize: 48, numDesc: 16, idOffset: 24, descOffset: 72, dataOffset: 1096 });
  });

  it("poll re-reads only the data block, in place", () => {
    const bytes = GOLDEN.slice();
    const r = new BinaryStatsReader(bytesPread(bytes));
    const data = r.data;
    bytes[104] = 0x09;
    r.poll();
    assert.equal(r.data, data);
    assert.equal(r.data[0], 0x0102030405060709n);
  });
});
