/**
 * @module bench/harness
 * Timing helpers: warm up, run rounds of a batch, take the median. Shared machines are noisy,
 * so peers are measured interleaved with ours in the same process and compared as ratios.
 */

/** Nanoseconds per call of `fn`, median of `rounds` rounds of `batch` calls each. */
export function nsPerOp(fn: () => void, batch: number, rounds = 15): number {
  for (let i = 0; i < batch; i++) fn(); // warm-up (JIT)
  const samples: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  return median(samples);
}

/** Like {@link nsPerOp} for several functions, interleaving their rounds so that noise hits all alike. */
export function compare(fns: Record<string, () => void>, batch: number, rounds = 15): Record<string, number> {
  const names = Object.keys(fns);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < batch; i++) fns[n]?.();
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const fn = fns[n] as () => void;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) fn();
      samples[n]?.push(Number(process.hrtime.bigint() - t0) / batch);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n] ?? [])]));
}

/** Async variant of {@link compare} (for calls that await I/O). */
export async function compareAsync(
  fns: Record<string, () => Promise<unknown>>,
  batch: number,
  rounds = 9,
): Promise<Record<string, number>> {
  const names = Object.keys(fns);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const n of names) for (let i = 0; i < Math.min(batch, 5); i++) await fns[n]?.();
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      const fn = fns[n] as () => Promise<unknown>;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) await fn();
      samples[n]?.push(Number(process.hrtime.bigint() - t0) / batch);
    }
  }
  return Object.fromEntries(names.map((n) => [n, median(samples[n] ?? [])]));
}

/** The median of numbers. */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

/** Rounds for display: 3 significant digits. */
export function round3(x: number): number {
  return Number(x.toPrecision(3));
}
