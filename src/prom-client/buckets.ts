/**
 * @module prom-client/buckets
 * Bucket bound generators, as prom-client's: `linearBuckets(start, width, count)` and
 * `exponentialBuckets(start, factor, count)` (the same arithmetic, so the same doubles).
 */

/** `count` bounds from `start`, `width` apart. */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (count < 1) throw new Error("Linear buckets needs a positive count");
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = start + i * width;
  return out;
}

/** `count` bounds from `start`, each `factor` times the one before. */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (start <= 0) throw new Error("Exponential buckets needs a positive start");
  if (count < 1) throw new Error("Exponential buckets needs a positive count");
  if (factor <= 1) throw new Error("Exponential buckets needs a factor greater than 1");
  const out = new Array<number>(count);
  let x = start;
  for (let i = 0; i < count; i++) {
    out[i] = x;
    x *= factor;
  }
  return out;
}
