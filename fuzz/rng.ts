/**
 * @module fuzz/rng
 * A seeded PRNG (xorshift128+ on two u32 pairs folded into 32-bit outputs, seeded by splitmix32)
 * so that a run is reproducible from its seed, and the helpers mutators pick with.
 */

/** Deterministic random numbers from a 32-bit seed. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const next = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.#a = next();
    this.#b = next();
    this.#c = next();
    this.#d = next() | 1;
  }

  /** A uniform u32 (xoshiro128**). */
  u32(): number {
    const r = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return r;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return n <= 1 ? 0 : this.u32() % n;
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.u32() / 0x1_0000_0000 < p;
  }

  /** One element of a non-empty list. */
  pick<T>(list: readonly T[]): T {
    return list[this.below(list.length)] as T;
  }

  /** A random u64. */
  u64(): bigint {
    return (BigInt(this.u32()) << 32n) | BigInt(this.u32());
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** 32-bit values that tend to break size and offset arithmetic. */
export const INTERESTING_U32 = [
  0,
  1,
  2,
  7,
  8,
  9,
  15,
  16,
  24,
  47,
  48,
  49,
  63,
  64,
  255,
  256,
  4095,
  4096,
  4097,
  65535,
  65536,
  0x7fff_ffff,
  0x8000_0000,
  0xffff_fff8,
  0xffff_ffff,
  1 << 20,
  64 << 20,
  (64 << 20) + 8,
];
/** 16-bit values. */
export const INTERESTING_U16 = [0, 1, 2, 31, 32, 33, 255, 256, 0x7fff, 0x8000, 0xfffe, 0xffff];
