/**
 * @module fuzz/targets/codec
 * Binary stats files, mutated with knowledge of the layout (header fields, descriptor fields,
 * names, offsets, sizes, block placement, truncation, extension), through the decoder, every
 * view of a decoded file (tables, query-stats JSON, `info stats`, the binary encoder and a
 * round trip) and the checker. Properties: only StatsfsErrors with one-line messages; a decoded
 * schema describes at most one value per data word and at most MAX_VALUES; a decoded file
 * encodes and decodes back to the same schema and values.
 */
import { checkBytes } from "../../src/check/check.js";
import {
  BinaryStatsReader,
  bytesPread,
  DESC_FIXED_SIZE,
  encodeStatsFile,
  HEADER_SIZE,
  MAX_VALUES,
  parseHeader,
} from "../../src/codec/index.js";
import { type DescriptorInit, layOut, type StatDescriptor } from "../../src/model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../src/model/flags.js";
import { parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { encodeFile } from "../../src/views/binary/index.js";
import { infoStats } from "../../src/views/hmp/info-stats.js";
import { toJson } from "../../src/views/qapi/json.js";
import { queryStats } from "../../src/views/qapi/query-stats.js";
import { schemaTable } from "../../src/views/text/schema.js";
import { valuesTable } from "../../src/views/text/values.js";
import { ensure, expectedError, onePrintableLine } from "../invariants.js";
import { INTERESTING_U16, INTERESTING_U32, type Rng } from "../rng.js";
import type { FuzzTarget } from "./target.js";

const ns = { unit: StatUnit.Seconds, base: StatBase.Pow10, exponent: -9 };

function file(id: string, inits: DescriptorInit[], nameSize = 48, seed = 1): Uint8Array {
  const { descriptors, dataSize } = layOut(inits);
  const data = new BigUint64Array(dataSize / 8);
  for (let i = 0; i < data.length; i++) data[i] = BigInt(((i + 1) * 2654435761 * seed) >>> 0);
  if (data.length > 0) data[0] = (1n << 64n) - 1n;
  return encodeStatsFile({ id, descriptors, data, nameSize });
}

function vcpuInits(): DescriptorInit[] {
  const out: DescriptorInit[] = [];
  for (let i = 0; i < 38; i++) out.push({ name: `counter_${i}` });
  out.push({ name: "halt_poll_success_hist", type: StatType.Log2Histogram, size: 32, ...ns });
  out.push({ name: "halt_poll_fail_hist", type: StatType.Log2Histogram, size: 32, ...ns });
  out.push({ name: "halt_wait_hist", type: StatType.Log2Histogram, size: 32, ...ns });
  out.push({ name: "blocking", type: StatType.Instant, unit: StatUnit.Boolean });
  out.push({ name: "guest_mode", type: StatType.Instant, unit: StatUnit.Boolean });
  out.push({ name: "max_mmu_rmap_size", type: StatType.Peak });
  out.push({ name: "max_mmu_page_hash_collisions", type: StatType.Peak });
  out.push({ name: "halt_wait_ns", ...ns });
  out.push({ name: "pages_4k", type: StatType.Instant, unit: StatUnit.Bytes, base: StatBase.Pow2, exponent: 12 });
  return out;
}

/** The seed corpus: files shaped like the kernel's, a producer's and odd but valid ones. */
export function codecSeeds(): Uint8Array[] {
  return [
    file("kvm-1", [{ name: "exits" }, { name: "wait_hist", type: StatType.Log2Histogram, size: 4, ...ns }]),
    file("kvm-4242/vcpu-3", vcpuInits(), 48, 3),
    file("kvm-4242", [{ name: "remote_tlb_flush" }, { name: "pages_4k", type: StatType.Instant }, { name: "max_x", type: StatType.Peak }]),
    file(
      "statsfs-77/http",
      [
        { name: "requests" },
        { name: "latency", type: StatType.Log2Histogram, size: 40, ...ns },
        { name: "sizes", type: StatType.LinearHistogram, size: 8, bucketSize: 512, unit: StatUnit.Bytes },
        { name: "inflight", type: StatType.Instant },
      ],
      64,
      5,
    ),
    file("kvm-0", []),
  ];
}

const HEADER_FIELDS = [0, 4, 8, 12, 16, 20];

function setU32(b: Uint8Array, at: number, v: number): void {
  if (at >= 0 && at + 4 <= b.length) new DataView(b.buffer, b.byteOffset).setUint32(at, v >>> 0, true);
}
function setU16(b: Uint8Array, at: number, v: number): void {
  if (at >= 0 && at + 2 <= b.length) new DataView(b.buffer, b.byteOffset).setUint16(at, v & 0xffff, true);
}

/** Where descriptor `i` starts, from the (possibly mutated) header. */
function descAt(b: Uint8Array, i: number): number {
  if (b.length < HEADER_SIZE) return -1;
  const l = parseHeader(b);
  return l.descOffset + i * (DESC_FIXED_SIZE + l.nameSize);
}

/** Header, id, descriptors and data placed in a random order with random 8-byte gaps. */
function relayout(b: Uint8Array, rng: Rng): Uint8Array {
  if (b.length < HEADER_SIZE) return b;
  const l = parseHeader(b);
  const descSize = l.numDesc * (DESC_FIXED_SIZE + l.nameSize);
  const dataSize = Math.max(0, b.length - l.dataOffset);
  if (l.idOffset + l.nameSize > b.length || l.descOffset + descSize > b.length || descSize > 1 << 20) return b;
  const blocks = [
    { key: 12, bytes: b.subarray(l.idOffset, l.idOffset + l.nameSize) },
    { key: 16, bytes: b.subarray(l.descOffset, l.descOffset + descSize) },
    { key: 20, bytes: b.subarray(l.dataOffset, l.dataOffset + dataSize) },
  ];
  for (let i = blocks.length - 1; i > 0; i--) {
    const j = rng.below(i + 1);
    [blocks[i], blocks[j]] = [blocks[j] as (typeof blocks)[number], blocks[i] as (typeof blocks)[number]];
  }
  const parts: { at: number; bytes: Uint8Array }[] = [];
  let at = HEADER_SIZE;
  for (const blk of blocks) {
    at += 8 * rng.below(3);
    parts.push({ at, bytes: blk.bytes });
    setU32(b, blk.key, at); // header field in the original; copied below
    at += Math.ceil(blk.bytes.length / 8) * 8;
  }
  const out = new Uint8Array(at);
  out.set(b.subarray(0, HEADER_SIZE));
  for (const p of parts) out.set(p.bytes, p.at);
  return out;
}

/** One structure-aware mutation of `b` (may return a new array). */
function mutateOnce(b: Uint8Array, rng: Rng): Uint8Array {
  const numDesc = b.length >= HEADER_SIZE ? parseHeader(b).numDesc : 0;
  const d = numDesc > 0 ? rng.below(Math.min(numDesc, 1 << 16)) : 0;
  switch (rng.below(13)) {
    case 0: // a header field
      setU32(b, rng.pick(HEADER_FIELDS), rng.chance(0.7) ? rng.pick(INTERESTING_U32) : rng.u32());
      return b;
    case 1: // a header field moved by a little
      {
        const at = rng.pick(HEADER_FIELDS);
        if (at + 4 <= b.length)
          setU32(b, at, new DataView(b.buffer, b.byteOffset).getUint32(at, true) + rng.pick([-16, -8, -1, 1, 8, 16, 64]));
      }
      return b;
    case 2: // descriptor flags: type, unit, base, reserved bits
      setU32(b, descAt(b, d), rng.chance(0.5) ? rng.below(5) | (rng.below(6) << 4) | (rng.below(3) << 8) : rng.u32());
      return b;
    case 3: // exponent
      setU16(b, descAt(b, d) + 4, rng.pick([0, 1, -1, -9, 9, 0x7fff, -0x8000, 12]));
      return b;
    case 4: // size
      setU16(b, descAt(b, d) + 6, rng.pick(INTERESTING_U16));
      return b;
    case 5: // offset: aligned, misaligned, huge, or another stat's (overlap)
      {
        const other = descAt(b, rng.below(Math.max(1, numDesc)));
        const o = other + 12 <= b.length && other >= 0 ? new DataView(b.buffer, b.byteOffset).getUint32(other + 8, true) : 0;
        setU32(b, descAt(b, d) + 8, rng.chance(0.4) ? o : rng.pick(INTERESTING_U32));
      }
      return b;
    case 6: // bucket size
      setU32(b, descAt(b, d) + 12, rng.pick(INTERESTING_U32));
      return b;
    case 7: // a name or id byte: control characters, no NUL, high bytes
      {
        const at = rng.chance(0.5) ? descAt(b, d) + DESC_FIXED_SIZE + rng.below(48) : 24 + rng.below(48);
        if (at >= 0 && at < b.length) b[at] = rng.pick([0, 0x1b, 0x0a, 0x0d, 0x7f, 0x9b, 0xff, 0xe2, 0x41, 0x20]);
      }
      return b;
    case 8: // truncation
      return b.subarray(0, rng.below(b.length + 1)).slice();
    case 9: {
      // extension: zeros or random bytes; sometimes with num_desc grown to cover them
      const extra = rng.below(rng.chance(0.1) ? 1 << 16 : 256);
      const out = new Uint8Array(b.length + extra);
      out.set(b);
      if (rng.chance(0.5)) for (let i = b.length; i < out.length; i++) out[i] = rng.below(256);
      if (rng.chance(0.3)) setU32(out, 8, numDesc + 1 + rng.below(4));
      return out;
    }
    case 10: {
      // one descriptor copied over another (duplicate names, overlapping values)
      const l = b.length >= HEADER_SIZE ? parseHeader(b) : undefined;
      if (!l || numDesc < 2) return b;
      const stride = DESC_FIXED_SIZE + l.nameSize;
      const from = descAt(b, rng.below(numDesc));
      const to = descAt(b, rng.below(numDesc));
      if (from < 0 || to < 0 || from + stride > b.length || to + stride > b.length) return b;
      b.copyWithin(to, from, from + stride);
      return b;
    }
    case 11:
      return relayout(b, rng);
    default: {
      // bit flips
      for (let k = 1 + rng.below(4); k > 0 && b.length > 0; k--) {
        const at = rng.below(b.length);
        b[at] = (b[at] as number) ^ (1 << rng.below(8));
      }
      return b;
    }
  }
}

/** The properties a decoded file must have, and every view run over it. */
function viewsOf(r: BinaryStatsReader): void {
  const values = r.schema.descriptors.reduce((n, d) => n + d.size, 0);
  ensure(values <= MAX_VALUES, `decoded schema describes ${values} values`);
  ensure(values <= r.schema.dataSize / 8, `decoded schema describes ${values} values in ${r.schema.dataSize / 8} words`);
  let f: StatsFile;
  try {
    f = { identity: parseId(r.id), schema: r.schema, data: r.data };
  } catch (e) {
    expectedError(e);
    return;
  }
  for (const [what, run] of [
    ["values table", () => valuesTable([f], {})],
    ["schema table", () => schemaTable([f])],
    ["query-stats", () => toJson(queryStats([f], {}), 0)],
    ["info stats", () => infoStats([f], { target: f.identity.target, vcpu: "all" })],
  ] as const) {
    try {
      const text = run();
      // Each line of a view is printable (control characters in names are escaped).
      for (const line of text.split("\n")) onePrintableLine(line, what);
    } catch (e) {
      expectedError(e);
    }
  }
  let bytes: Uint8Array;
  try {
    bytes = encodeFile(f);
  } catch (e) {
    expectedError(e);
    return;
  }
  const back = new BinaryStatsReader(bytesPread(bytes));
  ensure(back.id === r.id, "round trip changed the id");
  ensure(sameDescriptors(back.schema.descriptors, r.schema.descriptors), "round trip changed the descriptors");
  ensure(back.data.length === r.data.length && back.data.every((v, i) => v === r.data[i]), "round trip changed the values");
}

/**
 * Descriptors equal after a round trip. A bounds histogram's `bucketSize` is the file offset of
 * its bounds table (a layout choice of the encoder, like data_offset), so its bounds are compared
 * instead.
 */
function sameDescriptors(a: readonly StatDescriptor[], b: readonly StatDescriptor[]): boolean {
  const key = (d: StatDescriptor | undefined) => JSON.stringify(d?.type === StatType.BoundsHistogram ? { ...d, bucketSize: undefined } : d);
  return a.length === b.length && a.every((d, i) => key(d) === key(b[i]));
}

/** Runs one input: checker, decoder and views. */
export function runCodec(bytes: Uint8Array): void {
  try {
    // Violations quote names raw (the check command escapes them when it prints).
    checkBytes(bytes, { kvm: true });
  } catch (e) {
    expectedError(e);
  }
  let r: BinaryStatsReader;
  try {
    r = new BinaryStatsReader(bytesPread(bytes));
  } catch (e) {
    expectedError(e);
    return;
  }
  viewsOf(r);
}

export const codec: FuzzTarget = {
  name: "codec",
  seeds: async () => codecSeeds(),
  mutate(seed, rng) {
    let b: Uint8Array = seed.slice();
    for (let k = 1 + rng.below(4); k > 0; k--) b = mutateOnce(b, rng);
    return b;
  },
  run: async (bytes) => runCodec(bytes),
};
