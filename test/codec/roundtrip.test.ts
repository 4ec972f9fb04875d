import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  BinaryStatsReader,
  bytesPread,
  DESC_FIXED_SIZE,
  encodeDescriptor,
  encodeHeader,
  encodeStatsFile,
  HEADER_SIZE,
} from "../../src/codec/index.js";
import { type DescriptorInit, layOut, makeDescriptor, type StatDescriptor } from "../../src/model/index.js";

const arbInit: fc.Arbitrary<DescriptorInit> = fc.record({
  name: fc.stringMatching(/^[a-z_][a-z0-9_]{0,39}$/),
  // Type 5 (a bounds histogram, statsfs extension) carries a bounds table: test/codec/extensions.
  type: fc.integer({ min: 0, max: 15 }).filter((t) => t !== 5),
  unit: fc.integer({ min: 0, max: 15 }),
  base: fc.integer({ min: 0, max: 15 }),
  encoding: fc.integer({ min: 0, max: 15 }),
  exponent: fc.integer({ min: -32768, max: 32767 }),
  size: fc.integer({ min: 1, max: 40 }),
  bucketSize: fc.nat(),
});

const arbFile = fc
  .record({
    id: fc.stringMatching(/^kvm-[0-9]{1,7}(\/vcpu-[0-9]{1,3})?$/),
    inits: fc.uniqueArray(arbInit, { selector: (d) => d.name, maxLength: 30 }),
    nameSize: fc.constantFrom(48, 64, 128),
  })
  .chain((f) => {
    const { descriptors, dataSize } = layOut(f.inits);
    return fc.record({
      id: fc.constant(f.id),
      nameSize: fc.constant(f.nameSize),
      descriptors: fc.shuffledSubarray(descriptors, { minLength: descriptors.length }),
      data: fc.array(fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }), { minLength: dataSize / 8, maxLength: dataSize / 8 }),
    });
  });

/**
 * The same file with its blocks placed in a given order with gaps (8-aligned), as the ABI
 * allows: a reader must follow the offsets.
 */
function scatter(
  id: string,
  descs: readonly StatDescriptor[],
  data: BigUint64Array,
  nameSize: number,
  order: number[],
  gaps: number[],
): Uint8Array {
  const sizes = [nameSize, descs.length * (DESC_FIXED_SIZE + nameSize), data.byteLength];
  const offsets: number[] = [0, 0, 0];
  let at = HEADER_SIZE;
  order.forEach((block, i) => {
    at += (gaps[i] ?? 0) * 8;
    offsets[block] = at;
    at += sizes[block] ?? 0;
  });
  const out = new Uint8Array(at + 8);
  const [idOffset = 0, descOffset = 0, dataOffset = 0] = offsets;
  encodeHeader(out, { flags: 0, nameSize, numDesc: descs.length, idOffset, descOffset, dataOffset });
  out.set(new TextEncoder().encode(id), idOffset);
  for (const [i, d] of descs.entries()) encodeDescriptor(out, descOffset + i * (DESC_FIXED_SIZE + nameSize), d, nameSize);
  out.set(new Uint8Array(data.buffer), dataOffset);
  return out;
}

describe("round trips", () => {
  it("encode → decode keeps id, descriptors (any type/unit/base number) and u64 values", () => {
    fc.assert(
      fc.property(arbFile, (f) => {
        const data = BigUint64Array.from(f.data);
        const r = new BinaryStatsReader(bytesPread(encodeStatsFile({ ...f, data })));
        assert.equal(r.id, f.id);
        assert.deepEqual(r.schema.descriptors, f.descriptors);
        assert.deepEqual([...r.data], f.data);
      }),
      { numRuns: 300 },
    );
  });

  it("decode → encode reproduces the kernel-layout bytes", () => {
    fc.assert(
      fc.property(arbFile, (f) => {
        const bytes = encodeStatsFile({ ...f, data: BigUint64Array.from(f.data) });
        const r = new BinaryStatsReader(bytesPread(bytes));
        assert.deepEqual(
          encodeStatsFile({ id: r.id, descriptors: r.schema.descriptors, data: r.data, nameSize: r.schema.nameSize }),
          bytes,
        );
      }),
      { numRuns: 200 },
    );
  });

  it("blocks in any order and not adjacent decode the same", () => {
    fc.assert(
      fc.property(
        arbFile,
        fc.shuffledSubarray([0, 1, 2], { minLength: 3 }),
        fc.array(fc.nat(4), { minLength: 3, maxLength: 3 }),
        (f, order, gaps) => {
          const data = BigUint64Array.from(f.data);
          const r = new BinaryStatsReader(bytesPread(scatter(f.id, f.descriptors, data, f.nameSize, order, gaps)));
          assert.equal(r.id, f.id);
          assert.deepEqual(r.schema.descriptors, f.descriptors);
          assert.deepEqual([...r.data], f.data);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("refuses to encode names that do not fit name_size", () => {
    assert.throws(() => encodeStatsFile({ id: "kvm-1", nameSize: 8, descriptors: [makeDescriptor({ name: "12345678" })] }), /allows 7/);
    assert.throws(() => encodeStatsFile({ id: "x".repeat(48), descriptors: [] }), /id "x+" is 48 bytes; name_size 48 allows 47/);
  });
});
