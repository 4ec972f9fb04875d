import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BinaryStatsReader, bytesPread, type Pread } from "../../src/codec/index.js";
import { DecodeError } from "../../src/errors.js";
import { GOLDEN } from "./golden.test.js";

/** GOLDEN with u32 header field at `at` replaced. */
function withU32(at: number, value: number, base = GOLDEN): Uint8Array {
  const b = base.slice();
  new DataView(b.buffer).setUint32(at, value, true);
  return b;
}

function patch(at: number, bytes: number[], base = GOLDEN): Uint8Array {
  const b = base.slice();
  b.set(bytes, at);
  return b;
}

/** [what, file, field named in the error, byte offset named in the error] */
const CASES: [string, Uint8Array, string, number][] = [
  ["empty file", new Uint8Array(0), "header", 0],
  ["truncated header", GOLDEN.subarray(0, 23), "header", 23],
  ["header flags != 0", withU32(0, 1), "header.flags", 0],
  ["name_size 0", withU32(4, 0), "header.name_size", 4],
  ["absurd name_size", withU32(4, 0x40000000), "header.name_size", 4],
  ["truncated id", GOLDEN.subarray(0, 30), "id", 24],
  ["id not NUL-terminated", patch(24, Array(16).fill(0x41)), "id", 24],
  ["4 billion descriptors in a 24-byte file", withU32(8, 0xffffffff, GOLDEN.subarray(0, 24)), "id", 24],
  ["4 billion descriptors", withU32(8, 0xffffffff), "header.num_desc", 8],
  ["60,000 descriptors in a 128-byte file", withU32(8, 60000), "descriptor block", 40],
  ["truncated descriptor block", GOLDEN.subarray(0, 90), "descriptor block", 40],
  ["name not NUL-terminated", patch(56, Array(16).fill(0x41)), "descriptor[0].name", 56],
  ["descriptor block overlaps id", withU32(16, 32), "descriptor block", 32],
  ["data block overlaps descriptors", withU32(20, 96), "data block", 96],
  ["id overlaps header", withU32(12, 16), "id", 16],
  ["stat values outside the data block", withU32(40 + 8, 4096), "exits values", 104 + 4096],
  ["truncated data block", GOLDEN.subarray(0, 120), "wait_hist values", 112],
  ["misaligned stat offset", withU32(40 + 8, 4), "exits.offset", 48],
  // wait_hist is descriptor 1 (40 + 32), a log2 histogram; its u16 size is at +6.
  ["log2 histogram of 66 buckets (no u64 sample fits past bucket 64)", patch(72 + 6, [66, 0]), "wait_hist.size", 78],
];

describe("malformed input is rejected with field and offset", () => {
  for (const [what, bytes, field, offset] of CASES) {
    it(what, () => {
      assert.throws(
        () => new BinaryStatsReader(bytesPread(bytes)),
        (e: unknown) => {
          assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
          assert.equal(e.code, "STATSFS_DECODE");
          assert.equal(e.field, field);
          assert.equal(e.offset, offset);
          assert.ok(!e.message.includes("\n"), "one line");
          assert.match(e.message, new RegExp(`at byte ${offset}\\)$`));
          return true;
        },
      );
    });
  }

  it("allocates nothing from a header field before checking it (fd-like source, size unknown)", () => {
    // A source that answers every read past byte 24 with EOF and counts the bytes asked for.
    let asked = 0;
    const head = withU32(8, 0xffffffff, GOLDEN.subarray(0, 104));
    const src: Pread = {
      pread(buf, pos) {
        asked += buf.length;
        if (pos >= head.length) return 0;
        const n = Math.min(buf.length, head.length - pos);
        buf.set(head.subarray(pos, pos + n));
        return n;
      },
    };
    assert.throws(() => new BinaryStatsReader(src), DecodeError);
    assert.ok(asked < 1024, `read ${asked} bytes for a file claiming 4 billion descriptors`);
  });

  it("a data block that shrinks after the schema was read fails the poll, naming it", () => {
    let bytes = GOLDEN;
    const src: Pread = {
      get size() {
        return bytes.length;
      },
      pread: (buf, pos) => bytesPread(bytes).pread(buf, pos),
    };
    const r = new BinaryStatsReader(src);
    bytes = GOLDEN.subarray(0, 110);
    assert.throws(
      () => r.poll(),
      (e: unknown) => e instanceof DecodeError && e.field === "data block" && e.offset === 110,
    );
  });
});
