/**
 * @module test/kvm/helpers
 * Shared bits of the real-KVM tests: whether to skip (loudly) when /dev/kvm can't be used, and a
 * tiny binary stats reader written from the documented layout, independent of src/codec.
 */

import { existsSync, readSync } from "node:fs";
import { kvmUnavailableReason } from "../../src/providers/kvm/kvm.js";

/**
 * The `skip` option for KVM tests: false when KVM is usable or STATSFS_REQUIRE_KVM=1 (then the
 * tests run and fail), else a loud reason.
 */
export function kvmSkip(): false | string {
  const reason = kvmUnavailableReason();
  if (reason === undefined || process.env.STATSFS_REQUIRE_KVM === "1") return false;
  const loud = `KVM UNAVAILABLE, real-KVM test skipped: ${reason} (set STATSFS_REQUIRE_KVM=1 to fail instead)`;
  process.stderr.write(`\n*** ${loud}\n`);
  return loud;
}

/** True when the host's KVM is PVM (kvm_pvm), which emulates port I/O and never counts io_exits. */
export function isPvmHost(): boolean {
  return existsSync("/sys/module/kvm_pvm");
}

/** What {@link readStats} returns. */
export interface StatsSnapshot {
  readonly flags: number;
  readonly nameSize: number;
  readonly numDesc: number;
  readonly id: string;
  /** Every stat's values (1 for scalars, n buckets for histograms). */
  readonly values: Map<string, bigint[]>;
}

function readAt(fd: number, pos: number, len: number): Buffer {
  const b = Buffer.alloc(len);
  const n = readSync(fd, b, 0, len, pos);
  if (n !== len) throw new Error(`short read at ${pos}: ${n} of ${len}`);
  return b;
}

function cString(b: Buffer): string {
  const nul = b.indexOf(0);
  return b.subarray(0, nul < 0 ? b.length : nul).toString("latin1");
}

/**
 * Reads a KVM stats fd with positioned reads: header (6 × u32), id, descriptors
 * (u32 flags, s16 exponent, u16 size, u32 offset, u32 bucket_size, name) and the data block.
 */
export function readStats(fd: number): StatsSnapshot {
  const h = readAt(fd, 0, 24);
  const [flags, nameSize, numDesc, idOffset, descOffset, dataOffset] = [0, 4, 8, 12, 16, 20].map((o) => h.readUInt32LE(o)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const id = cString(readAt(fd, idOffset, nameSize));
  const descSize = 16 + nameSize;
  const descs = readAt(fd, descOffset, descSize * numDesc);
  const stats: { name: string; size: number; offset: number }[] = [];
  let dataSize = 0;
  for (let i = 0; i < numDesc; i++) {
    const d = descs.subarray(i * descSize, (i + 1) * descSize);
    const size = d.readUInt16LE(6);
    const offset = d.readUInt32LE(8);
    stats.push({ name: cString(d.subarray(16)), size, offset });
    dataSize = Math.max(dataSize, offset + 8 * size);
  }
  const data = readAt(fd, dataOffset, dataSize);
  const values = new Map<string, bigint[]>();
  for (const s of stats) {
    const v: bigint[] = [];
    for (let j = 0; j < s.size; j++) v.push(data.readBigUInt64LE(s.offset + 8 * j));
    values.set(s.name, v);
  }
  return { flags, nameSize, numDesc, id, values };
}

/** The single value of scalar stat `name`; throws if it is missing. */
export function scalar(s: StatsSnapshot, name: string): bigint {
  const v = s.values.get(name)?.[0];
  if (v === undefined) throw new Error(`stat ${name} missing in ${s.id}`);
  return v;
}

/** Sleeps `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
