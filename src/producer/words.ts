/**
 * @module producer/words
 * What every value handle shares: where its value lives ({@link Slots}), reading and writing a
 * u64 as two u32 words, and refusing a number with a one-line ValueError that names the value
 * (handles.ts and float-handles.ts both use it; neither imports the other's internals).
 */
import { ValueError } from "../errors.js";
import { describe } from "../model/text.js";

/** What a handle points at; the store rebinds `u` and `b` when the data block moves (export, growth). */
export interface Slots {
  /** @internal The data block as u32 words. */
  u: Uint32Array;
  /**
   * @internal The same memory as u64 words. Increments by one use it: V8 compiles
   * `b[k] += 1n` into a plain 64-bit add (no BigInt is allocated once optimized), which is
   * cheaper than the u32 pair with its carry test.
   */
  b: BigUint64Array;
  /** @internal Index in `u` of the value's low word (twice its u64 word index). */
  readonly i: number;
  /** @internal The same memory as doubles, for f64 values (undefined for the others). */
  f?: Float64Array;
}

/** Names a handle's value for error messages (set by producer/labels, which knows the owners). */
let namer: (h: object) => string | undefined = () => undefined;

/** @internal Sets how errors name a handle's value (no per-handle memory is spent on it). */
export function setHandleNamer(f: (h: object) => string | undefined): void {
  namer = f;
}

/** @internal Refuses `n` for `call` on handle `h`: one line naming the value, the call and the number. */
export function refuse(h: object, call: string, n: unknown, rule: string): never {
  const name = namer(h) ?? (h as { name?: string }).name;
  throw new ValueError(`${name ? `value ${JSON.stringify(name)}` : "value"}: ${call}(${describe(n)}): ${rule}`);
}

/** The u64 at `u[j]`, `u[j+1]`. */
export function getBig(u: Uint32Array, j: number): bigint {
  return (BigInt(u[j + 1] as number) << 32n) | BigInt(u[j] as number);
}

/** Stores a bigint modulo 2^64 at `u[j]`, `u[j+1]`. */
export function setBig(u: Uint32Array, j: number, v: bigint): void {
  const w = BigInt.asUintN(64, v);
  u[j] = Number(w & 0xffffffffn);
  u[j + 1] = Number(w >> 32n);
}

/**
 * What the u64 and s64 scalar handles share: where the value lives, and reading it back (an s64
 * gauge reads it signed).
 */
export abstract class Scalar implements Slots {
  /** @internal */
  declare u: Uint32Array;
  /** @internal */
  declare b: BigUint64Array;
  /** @internal */
  declare readonly i: number;
  /** @internal */
  constructor(u: Uint32Array, b: BigUint64Array, i: number) {
    this.u = u;
    this.b = b;
    this.i = i;
  }
  /** This thread's value (readers see the sum over threads). */
  get(): bigint {
    return getBig(this.u, this.i);
  }
}
