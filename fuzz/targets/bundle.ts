/**
 * @module fuzz/targets/bundle
 * Bundle files (codec/bundle.ts, a producer's exported tree), mutated with knowledge of the
 * layout (header fields, entry fields, schema records, names, truncation, extension) through
 * the header and table decoders and the values each entry names. Properties: only StatsfsErrors
 * with one-line messages; a decoded entry's values lie in the used data area and cover its
 * schema; its statistics read without error; a parent is an earlier entry.
 */
import {
  BUNDLE_ENTRY_SIZE,
  BUNDLE_HEADER_SIZE,
  BundleHeaderField,
  decodeBundleEntries,
  decodeBundleHeader,
  encodeBundle,
} from "../../src/codec/bundle.js";
import { type DescriptorInit, layOut } from "../../src/model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../src/model/flags.js";
import { statValue } from "../../src/model/value.js";
import { ensure, expectedError } from "../invariants.js";
import { INTERESTING_U32, type Rng } from "../rng.js";
import type { FuzzTarget } from "./target.js";

const ns = { unit: StatUnit.Seconds, base: StatBase.Pow10, exponent: -9 };

function entry(path: string[], inits: DescriptorInit[] | undefined, seed = 1) {
  if (!inits) return { path };
  const { descriptors, dataSize } = layOut(inits);
  const data = new BigUint64Array(dataSize / 8);
  for (let i = 0; i < data.length; i++) data[i] = BigInt(((i + 1) * 2654435761 * seed) >>> 0);
  return { path, descriptors, data, extras: Uint8Array.of(0x53, 0x46, 0x53, 0x31, descriptors.length, 0, 0, 0) };
}

/** The seed corpus: a tree with label sets sharing a schema, a histogram with bounds, shards, a source without values. */
export function bundleSeeds(): Uint8Array[] {
  const hits: DescriptorInit[] = [{ name: "hits" }];
  const http: DescriptorInit[] = [
    { name: "requests" },
    { name: "latency", type: StatType.Log2Histogram, size: 16, ...ns },
    { name: "le", type: StatType.BoundsHistogram, size: 4, bounds: [0.005, 0.01, 0.1] },
    { name: "inflight", type: StatType.Instant },
  ];
  return [
    encodeBundle([entry(["app"], hits), entry(["app", "{k=v}"], hits, 2), entry(["app", "{k=w}"], hits, 3)]),
    encodeBundle([entry(["svc"], undefined), entry(["svc", "http"], http, 5), entry(["svc", "http", "{route=%2F}"], http, 7)], 4),
    encodeBundle([0, 1, 2, 3].map((k) => ({ ...entry(["thx"], hits, k + 1), shard: k }))),
    encodeBundle([]),
  ];
}

const HEADER_FIELDS = Object.values(BundleHeaderField);

function u32(b: Uint8Array, at: number): number {
  return at + 4 <= b.length ? new DataView(b.buffer, b.byteOffset).getUint32(at, true) : 0;
}
function setU32(b: Uint8Array, at: number, v: number): void {
  if (at >= 0 && at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);
}

function mutateOnce(b: Uint8Array, rng: Rng): Uint8Array {
  const count = Math.min(u32(b, BundleHeaderField.entryCount), 1 << 10);
  const entryAt = u32(b, BundleHeaderField.entryOffset) + BUNDLE_ENTRY_SIZE * rng.below(Math.max(1, count));
  const meta = u32(b, BundleHeaderField.metaOffset);
  switch (rng.below(8)) {
    case 0: // a header field
      setU32(b, rng.pick(HEADER_FIELDS), rng.chance(0.7) ? rng.pick(INTERESTING_U32) : rng.u32());
      return b;
    case 1: {
      // a header field nudged
      const at = rng.pick(HEADER_FIELDS);
      setU32(b, at, u32(b, at) + rng.pick([-16, -8, -1, 1, 8, 16, 64]));
      return b;
    }
    case 2: // an entry field
      setU32(
        b,
        entryAt + 4 * rng.below(8),
        rng.chance(0.5) ? rng.pick([0, 1, 7, 8, 0xffffffff, count, count - 1]) : rng.pick(INTERESTING_U32),
      );
      return b;
    case 3: // a schema record's field (its lengths, or the kernel header inside)
      setU32(b, meta + 8 * rng.below(4) + 4 * rng.below(8), rng.chance(0.5) ? rng.pick(INTERESTING_U32) : rng.below(256));
      return b;
    case 4: // truncation
      return b.subarray(0, rng.below(b.length + 1)).slice();
    case 5: {
      // extension
      const out = new Uint8Array(b.length + rng.below(rng.chance(0.1) ? 1 << 16 : 256));
      out.set(b);
      if (rng.chance(0.5)) for (let i = b.length; i < out.length; i++) out[i] = rng.below(256);
      return out;
    }
    case 6: // a name byte
      if (meta < b.length) b[meta + rng.below(Math.max(1, b.length - meta))] = rng.pick([0, 0x2f, 0x2e, 0xff, 0xc3, 0x0a, 0x7b]);
      return b;
    default:
      for (let k = 1 + rng.below(4); k > 0 && b.length > 0; k--) {
        const at = rng.below(b.length);
        b[at] = (b[at] as number) ^ (1 << rng.below(8));
      }
      return b;
  }
}

/** Runs one input through the decoders and reads every entry's statistics. */
export function runBundle(bytes: Uint8Array): void {
  try {
    const h = decodeBundleHeader(bytes.subarray(0, BUNDLE_HEADER_SIZE), bytes.length);
    const entries = decodeBundleEntries(
      h,
      bytes.subarray(h.entryOffset, h.entryOffset + h.entryCount * BUNDLE_ENTRY_SIZE),
      bytes.subarray(h.metaOffset, h.metaOffset + h.metaUsed),
    );
    const area = bytes.slice(h.dataOffset, h.dataOffset + h.dataUsed);
    for (const e of entries) {
      ensure(e.path.length > 0 && e.path.every((s) => s !== ""), `entry ${e.index} has an empty path segment`);
      if (!e.schema) continue;
      ensure(e.dataOffset % 8 === 0 && e.dataOffset + e.words * 8 <= h.dataUsed, `entry ${e.index} values lie outside the used data area`);
      ensure(e.schema.schema.dataSize <= e.words * 8, `entry ${e.index} schema describes more than its words`);
      const data = new BigUint64Array(area.buffer, e.dataOffset, e.schema.schema.dataSize / 8);
      for (const d of e.schema.schema.descriptors) statValue(d, data);
    }
  } catch (e) {
    expectedError(e);
  }
}

export const bundle: FuzzTarget = {
  name: "bundle",
  seeds: async () => bundleSeeds(),
  mutate(seed, rng) {
    let b: Uint8Array = seed.slice();
    for (let k = 1 + rng.below(3); k > 0; k--) b = mutateOnce(b, rng);
    return b;
  },
  run: async (input) => runBundle(input),
};
