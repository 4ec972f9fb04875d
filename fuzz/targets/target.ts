/**
 * @module fuzz/targets/target
 * The shape of a fuzz target: a seed corpus, a mutator and a run that throws
 * {@link Broken} (or anything unexpected) when a property fails.
 */
import type { Rng } from "../rng.js";

export interface FuzzTarget {
  readonly name: string;
  /** Valid inputs to start from. */
  seeds(): Promise<Uint8Array[]>;
  /** A new input derived from `seed`. */
  mutate(seed: Uint8Array, rng: Rng): Uint8Array;
  /** Runs one input; resolves when every property held. */
  run(input: Uint8Array): Promise<void>;
}
