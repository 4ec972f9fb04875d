/**
 * @module views/web/feed
 * The dashboard's one reader of its sources: a small adapter over the sampler (sample/sampler)
 * that takes one sample per interval — however many pages are open — and hands it to every
 * subscriber. It samples a union of the served sources, whose members poll through the one
 * shared poll per source of this process (providers/poll): a poll another view of the same
 * source has in flight is joined, not repeated. Kept this small on purpose, so that sampling
 * from a process-wide sampler instead changes nothing else in views/web.
 */
import { printable } from "../../model/printable.js";
import type { StatsSource } from "../../providers/source.js";
import { Pace, type Sample, Sampler } from "../../sample/sampler.js";

/** Options of a {@link Feed}. */
export interface FeedOptions {
  /** Time between samples in ms (default 1000). */
  readonly intervalMs?: number | undefined;
  /** Bound on one poll's wait for slow members (they are shown stale); default 2000 ms. */
  readonly timeoutMs?: number | undefined;
}

/** What a subscriber hears: each sample, or a poll that failed as a whole. */
export type FeedListener = (sample: Sample) => void;

/** Samples a source on an interval for any number of subscribers. */
export class Feed {
  readonly source: StatsSource;
  readonly intervalMs: number;
  readonly #sampler: Sampler;
  readonly #listeners = new Set<FeedListener>();
  readonly #stop = new AbortController();
  #running: Promise<void> | undefined;
  /** The last sample taken. */
  latest: Sample | undefined;
  /** Polls made (the first sample reads what the opener read, without one). */
  polls = 0;
  /** The last poll's failure, one printable line (cleared by the next good poll). */
  error: string | undefined;

  constructor(source: StatsSource, o: FeedOptions = {}) {
    this.source = source;
    this.intervalMs = o.intervalMs ?? 1000;
    this.#sampler = new Sampler(source, { timeoutMs: o.timeoutMs ?? 2000 });
  }

  /** Calls `fn` with every sample from now on; returns the unsubscribe function. */
  subscribe(fn: FeedListener): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  /** Starts sampling (idempotent): a first sample now, then one per interval. */
  start(): void {
    this.#running ??= this.#run();
  }

  get started(): boolean {
    return this.#running !== undefined;
  }

  async #run(): Promise<void> {
    const pace = new Pace(this.intervalMs);
    const signal = this.#stop.signal;
    let start = performance.now();
    this.#emit(this.#sampler.take());
    while (!signal.aborted) {
      await pace.wait(start, signal);
      if (signal.aborted) return;
      start = performance.now();
      try {
        this.polls++;
        const s = await this.#sampler.sample();
        this.error = undefined;
        if (!signal.aborted) this.#emit(s);
      } catch (e) {
        this.error = printable(e instanceof Error ? e.message : String(e));
      }
    }
  }

  #emit(s: Sample): void {
    this.latest = s;
    for (const fn of this.#listeners) {
      try {
        fn(s);
      } catch {
        // One subscriber's failure never stops the others or the sampling.
      }
    }
  }

  /** Stops sampling and waits for the poll under way. */
  async close(): Promise<void> {
    this.#stop.abort();
    await this.#running;
  }
}
