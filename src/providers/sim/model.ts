/**
 * @module providers/sim/model
 * The simulated VM's values as pure functions of time: a counter with mean rate `m` per second has
 * the value `S(k) = m·k + n(k) − n(0)` at whole second k, where `n(k)` is a seeded hash of k in
 * [0, m), so each second adds between 1 and 2m−1 (mean m); within a second the value climbs
 * linearly, rounded down. The value at any instant is computed in O(1), never accumulated, so it
 * depends only on the time and the seed: not on how often, or by how many readers, it is polled.
 */

/** A monotonic clock in nanoseconds. */
export type SimClock = () => bigint;

/** A 32-bit hash of (seed, k) (murmur3's finalizer over a mix of both). */
function hash(seed: number, k: number): number {
  let h = (Math.imul(seed, 0x9e3779b1) ^ k ^ Math.imul(Math.floor(k / 0x100000000), 0x85ebca6b)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

function wholeSecond(k: number, m: number, seed: number): number {
  return m * k + (hash(seed, k) % m) - (hash(seed, 0) % m);
}

/** A counter of mean rate `m` (a positive integer) per second at `t` seconds (t ≥ 0): non-decreasing in t. */
export function counterAt(t: number, m: number, seed: number): number {
  if (!(t > 0)) return 0;
  const k = Math.floor(t);
  const a = wholeSecond(k, m, seed);
  return a + Math.floor((t - k) * (wholeSecond(k + 1, m, seed) - a));
}

/**
 * A gauge at `t` seconds: a triangle wave from `low` up to `low + span` and back, moving by `step`
 * per whole second (span a multiple of step).
 */
export function gaugeAt(t: number, low: number, span: number, step: number): number {
  const period = (2 * span) / step;
  const p = Math.floor(Math.max(0, t)) % period;
  return low + step * (p * 2 < period ? p : period - p);
}
