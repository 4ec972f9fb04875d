/**
 * The bundle file (codec/bundle.ts): a hand-computed golden file, what the encoder makes of the
 * same input, and a table of hostile files — each refused with one DecodeError line naming the
 * field, never a crash or an allocation sized by the file.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import {
  BUNDLE_ENTRY_SIZE,
  BUNDLE_HEADER_SIZE,
  type BundleEntry,
  decodeBundleEntries,
  decodeBundleHeader,
  encodeBundle,
} from "../../src/codec/bundle.js";
import { DecodeError } from "../../src/errors.js";
import { makeDescriptor } from "../../src/model/index.js";
import { hex } from "../helpers.js";

/**
 * Computed by hand from the layout in codec/bundle.ts: the source "app" (one cumulative value
 * "hits" = 5) and its label set "{k=v}" (hits = 7), sharing one schema record.
 */
export const GOLDEN_BUNDLE = hex(`
  53465342 01000000 00000000 40000000   # "SFSB", version 1, generation 0, header_size 64
  02000000 50000000 02000000            # entry_count 2, entry_offset 80, entry_capacity 2
  90000000 51000000 58000000            # meta_offset 144, meta_used 81, meta_capacity 88
  40000000 10000000 10000000            # data_offset 64, data_used 16, data_capacity 16
  00000000 00000000 00000000            # reserved
  05000000 00000000 07000000 00000000   # data: app hits = 5, app/{k=v} hits = 7
  ffffffff 00000000 03000000 08000000 00000000 01000000 00000000 01000000  # entry 0: "app", schema@8, live, data 0, 1 word
  ffffffff 48000000 09000000 08000000 00000000 01000000 08000000 01000000  # entry 1: "app/{k=v}", same schema, data 8
  617070 0000000000                     # meta 0: "app", padding
  38000000 00000000                     # meta 8: schema record: block 56 bytes, no extras
  00000000 08000000 01000000 18000000 20000000 38000000  # kernel header: name_size 8, 1 desc, id@24, desc@32, data@56
  00000000 00000000                     # id ""
  00000000 0000 0100 00000000 00000000 68697473 00000000  # "hits": cumulative, size 1, offset 0
  6170702f 7b6b3d76 7d                  # meta 72: "app/{k=v}"
  00000000 000000                       # padding to meta_capacity
`);

const HITS = [makeDescriptor({ name: "hits", offset: 0 })];

function decodeAll(bytes: Uint8Array): BundleEntry[] {
  const h = decodeBundleHeader(bytes.subarray(0, BUNDLE_HEADER_SIZE), bytes.length);
  return decodeBundleEntries(
    h,
    bytes.subarray(h.entryOffset, h.entryOffset + h.entryCount * BUNDLE_ENTRY_SIZE),
    bytes.subarray(h.metaOffset, h.metaOffset + h.metaUsed),
  );
}

describe("bundle files", () => {
  it("decode the hand-computed golden file; the encoder writes exactly it; the fixture file is it", () => {
    const entries = decodeAll(GOLDEN_BUNDLE);
    assert.deepEqual(
      entries.map((e) => [e.path, e.shard, e.dataOffset, e.words, e.schema?.schema.descriptors.map((d) => d.name)]),
      [
        [["app"], 0, 0, 1, ["hits"]],
        [["app", "{k=v}"], 0, 8, 1, ["hits"]],
      ],
    );
    assert.equal(entries[0]?.schema?.schema, entries[1]?.schema?.schema, "one shared record, decoded once");
    const made = encodeBundle([
      { path: ["app"], descriptors: HITS, data: BigUint64Array.of(5n) },
      { path: ["app", "{k=v}"], descriptors: HITS, data: BigUint64Array.of(7n) },
    ]);
    assert.deepEqual(Buffer.from(made).toString("hex"), Buffer.from(GOLDEN_BUNDLE).toString("hex"));
    const fixture = readFileSync(fileURLToPath(new URL("../../../test/fixtures/bundle/golden.bundle", import.meta.url)));
    assert.deepEqual(new Uint8Array(fixture), GOLDEN_BUNDLE);
  });

  /** The golden file with the u32 at `at` set to `value`. */
  const patched = (at: number, value: number, bytes = GOLDEN_BUNDLE): Uint8Array => {
    const out = bytes.slice();
    new DataView(out.buffer).setUint32(at, value >>> 0, true);
    return out;
  };
  const E0 = 80;
  const E1 = 80 + 32;
  const META = 144;
  const hostile: [string, Uint8Array, RegExp, RegExp][] = [
    ["truncated header", GOLDEN_BUNDLE.subarray(0, 40), /^header$/, /premature EOF/],
    ["bad magic", patched(0, 0x12345678), /^header\.magic$/, /not a statsfs bundle/],
    ["another version", patched(4, 2), /^header\.version$/, /version 2/],
    ["entry table past the end", patched(20, 100_000), /^header\.entry_offset$/, /past the end of the file/],
    ["entry table inside the header", patched(20, 8), /^header\.entry_offset$/, /inside the header/],
    ["unaligned meta", patched(28, 145), /^header\.meta_offset$/, /not a multiple of 8/],
    ["data overlapping the entries", patched(40, 72), /^header\.(data|entry)_offset$/, /overlaps/],
    ["huge entry count", patched(16, 0xffffffff), /^header\.entry_count$/, /above entry_capacity/],
    ["huge entry capacity", patched(24, 0x7fffffff), /^header\.entry_capacity$/, /above the limit/],
    ["meta used past capacity", patched(32, 1000), /^header\.meta_used$/, /above meta_capacity/],
    ["huge data capacity", patched(48, 0xfffffff8), /^header\.data_capacity$/, /above the limit/],
    ["a name past meta_used", patched(E1 + 8, 1000), /^entry\[1\]\.name_length$/, /past meta_used/],
    ["an empty name", patched(E0 + 8, 0), /^entry\[0\]\.name_length$/, /empty/],
    ["a schema past meta_used", patched(E0 + 12, 200), /^entry\[0\]\.schema_offset$/, /past meta_used/],
    ["an unaligned schema", patched(E0 + 12, 4), /^entry\[0\]\.schema_offset$/, /not 8-aligned/],
    ["a forward parent", patched(E0, 1), /^entry\[0\]\.parent$/, /not an earlier entry/],
    ["values past data_used", patched(E1 + 28, 100), /^entry\[1\]\.words$/, /past data_used/],
    ["fewer words than the schema", patched(E1 + 28, 0), /^entry\[1\]\.words$/, /schema describes 1/],
    ["unknown entry flags", patched(E0 + 20, 3), /^entry\[0\]\.flags$/, /unknown bits/],
    ["a huge shard", patched(E0 + 16, 0xffffffff), /^entry\[0\]\.shard$/, /above 1023/],
    ["a schema block running past meta", patched(META + 8, 0xffffff00), /^schema\.block_length$/, /run past meta_used/],
    ["a schema of 4 billion descriptors", patched(META + 16 + 8, 0xffffffff), /^schema\.header\.num_desc$/, /above the limit/],
    ["a schema whose data is not its end", patched(META + 16 + 20, 64), /^schema\./, /./],
  ];
  for (const [what, bytes, field, message] of hostile) {
    it(`refuse ${what} in one line naming the field`, () => {
      assert.throws(
        () => decodeAll(bytes),
        (e: unknown) => {
          assert.ok(e instanceof DecodeError, String(e));
          assert.match(e.field, field);
          assert.match(e.message, message);
          assert.doesNotMatch(e.message, /\n/);
          return true;
        },
      );
    });
  }

  it("skip removed entries; a live child of a removed parent is refused", () => {
    const killed = patched(E0 + 20, 0, patched(E1, 0));
    assert.throws(
      () => decodeAll(killed),
      (e: unknown) => e instanceof DecodeError && e.field === "entry[1].parent" && /not a live entry/.test(e.message),
    );
    assert.deepEqual(
      decodeAll(patched(E1 + 20, 0)).map((e) => e.path),
      [["app"]],
    );
  });
});
