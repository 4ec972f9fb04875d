/**
 * @module model/histogram
 * Bucket bounds of KVM histograms (api.rst): bounds are in the statistic's unit, bucket values
 * are sample counts. Bounds are bigint so that log2 buckets up to 2^63 stay exact.
 */

import type { StatDescriptor } from "./descriptor.js";
import { StatType } from "./flags.js";

/** A bucket's range [low, high); `high` is undefined for the open-ended last bucket. */
export interface BucketBounds {
  readonly low: bigint;
  readonly high: bigint | undefined;
}

/** Bounds of bucket `i` of a linear histogram with `count` buckets of width `bucketSize`. */
export function linearBucket(i: number, count: number, bucketSize: number): BucketBounds {
  const w = BigInt(bucketSize);
  const low = BigInt(i) * w;
  return { low, high: i === count - 1 ? undefined : low + w };
}

/** Bounds of bucket `i` of a log2 histogram with `count` buckets. */
export function log2Bucket(i: number, count: number): BucketBounds {
  const low = i === 0 ? 0n : 1n << BigInt(i - 1);
  const high = i === count - 1 ? undefined : 1n << BigInt(i);
  return { low, high };
}

/** Bounds of every bucket of a histogram descriptor; [] for a non-histogram. */
export function bucketBounds(d: StatDescriptor): BucketBounds[] {
  const out: BucketBounds[] = [];
  for (let i = 0; i < d.size; i++) {
    if (d.type === StatType.LinearHistogram) out.push(linearBucket(i, d.size, d.bucketSize));
    else if (d.type === StatType.Log2Histogram) out.push(log2Bucket(i, d.size));
  }
  return out;
}

/** Index of the log2 bucket a sample falls into (integer arithmetic, no allocation). */
export function log2BucketIndex(sample: number, count: number): number {
  if (sample < 1) return 0;
  const bits = sample < 0x100000000 ? 32 - Math.clz32(sample) : Math.floor(Math.log2(sample)) + 1;
  return bits < count ? bits : count - 1;
}

/** Index of the linear bucket a sample falls into. */
export function linearBucketIndex(sample: number, count: number, bucketSize: number): number {
  const i = Math.floor(sample / bucketSize);
  return i < 0 ? 0 : i < count ? i : count - 1;
}
