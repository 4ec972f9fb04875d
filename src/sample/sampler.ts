/**
 * @module sample/sampler
 * The one home of "poll every N ms, keep the previous values, compute deltas and rates": a
 * {@link Sampler} takes samples of a source, and {@link samples} iterates them on an interval
 * until an AbortSignal fires. Every sample says which files were added, which went away (with
 * their last values and when) and which stayed, keyed by {@link identityKey}, so a VM
 * appearing or leaving never resets the rates of the others. `top` and `log` consume it.
 *
 * A sampler polls through the process's one {@link Polled} of its source (providers/poll), so
 * it shares polls with every other view of the same source. To watch without polling — a
 * dashboard beside `serve` — {@link follow} a source: the listener gets a {@link Sample} after
 * every poll of it, whichever view asked for the poll.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { type Amount, amountOf, counted } from "../model/amount.js";
import type { StatDescriptor } from "../model/descriptor.js";
import { identityKey } from "../model/identity.js";
import type { StatsFile } from "../model/stats-file.js";
import { type Polled, polled } from "../providers/poll.js";
import type { MemberStatus, StatsSource } from "../providers/source.js";

/** A file in one sample: its values now and at the previous sample. */
export interface SampledFile {
  /** Stable across samples: {@link identityKey} of the file's identity. */
  readonly key: string;
  readonly file: StatsFile;
  /** A copy of the data block at this sample. */
  readonly data: BigUint64Array;
  /** A copy at the previous sample; undefined for a file new in this sample. */
  readonly prev: BigUint64Array | undefined;
  /** The values at the last {@link Sampler.rebase} (undefined: none, totals count from 0). */
  readonly base?: BigUint64Array | undefined;
}

/** A file that went away: its last values and when it was last seen. */
export interface GoneFile {
  readonly key: string;
  readonly file: StatsFile;
  readonly data: BigUint64Array;
  /** Date.now() of the first sample without it. */
  readonly goneAt: number;
}

/** One sample of a source. */
export interface Sample {
  /** 0 for the first sample, then 1, 2, … */
  readonly seq: number;
  /** performance.now() when the poll finished. */
  readonly time: number;
  /** Date.now() when the poll finished. */
  readonly wall: number;
  /** Seconds since the previous sample (0 for the first). */
  readonly seconds: number;
  /** Every file now, in the source's order. */
  readonly files: readonly SampledFile[];
  /** Files new in this sample (a subset of `files`). */
  readonly added: readonly SampledFile[];
  /** Files of the previous sample that are gone now. */
  readonly removed: readonly GoneFile[];
  /** Member states of the source (unions, the host), empty for plain sources. */
  readonly members: readonly MemberStatus[];
}

/** Options of a {@link Sampler}. */
export interface SamplerOptions {
  /** Bound on one poll's wait for slow members (they are shown stale); default none. */
  readonly timeoutMs?: number | undefined;
}

/** Takes samples of one source, remembering the previous one. */
export class Sampler {
  readonly source: StatsSource;
  /** The source's state and poll in flight, shared with every view of it. */
  readonly polled: Polled;
  readonly #timeoutMs: number | undefined;
  #prev = new Map<string, SampledFile>();
  /** Values at the last rebase, by key (files new since then have none). */
  #base = new Map<string, { schema: unknown; data: BigUint64Array }>();
  #lastTime: number | undefined;
  #seq = 0;

  constructor(source: StatsSource, options: SamplerOptions = {}) {
    this.source = source;
    this.polled = polled(source);
    this.#timeoutMs = options.timeoutMs;
  }

  /** Polls the source and returns the sample. */
  async sample(): Promise<Sample> {
    const s = this.source;
    const p = this.polled;
    await p.poll(this.#timeoutMs === undefined ? {} : { timeoutMs: this.#timeoutMs });
    if (p.state === "failed") throw p.error;
    if (p.state === "stale") {
      // A source whose bounded wait ended (a stopped QEMU) is stale, not failed: the sample
      // keeps its last values and says so, as a union does for a stalled member.
      const sample = this.take();
      const stale: MemberStatus = p.status(s.uri);
      return { ...sample, members: [...sample.members.filter((m) => m.uri !== s.uri), stale] };
    }
    return this.take();
  }

  /** A sample of the source's current values without polling (the first after opening). */
  take(): Sample {
    const time = performance.now();
    const wall = Date.now();
    const seconds = this.#lastTime === undefined ? 0 : (time - this.#lastTime) / 1000;
    const files: SampledFile[] = [];
    const added: SampledFile[] = [];
    const next = new Map<string, SampledFile>();
    for (const file of this.source.files) {
      const key = identityKey(file.identity);
      if (next.has(key)) continue; // a source listing one file twice: keep the first
      const before = this.#prev.get(key);
      // A schema change makes the previous values meaningless: treat the file as new.
      const prev = before && before.file.schema === file.schema ? before.data : undefined;
      const b = this.#base.get(key);
      const base = b && b.schema === file.schema ? b.data : undefined;
      const sf: SampledFile = base ? { key, file, data: file.data.slice(), prev, base } : { key, file, data: file.data.slice(), prev };
      files.push(sf);
      next.set(key, sf);
      if (!before) added.push(sf);
    }
    const removed: GoneFile[] = [];
    for (const [key, sf] of this.#prev) if (!next.has(key)) removed.push({ key, file: sf.file, data: sf.data, goneAt: wall });
    this.#prev = next;
    this.#lastTime = time;
    return { seq: this.#seq++, time, wall, seconds, files, added, removed, members: this.source.members ?? [] };
  }

  /**
   * Makes the last sample's values the baseline that {@link since} counts from (kvm_stat's
   * `r`): totals restart at 0 for every file seen so far; files that appear later count from 0.
   * Deltas and rates are unaffected.
   */
  rebase(): void {
    this.#base = new Map([...this.#prev].map(([k, sf]) => [k, { schema: sf.file.schema, data: sf.data }]));
  }
}

/**
 * Samples of `source` after every poll of it in this process (by any view: the exporter, the
 * QMP server, top), without polling it: each with the previous values of this listener's own
 * {@link Sampler}. Returns the function that stops it.
 */
export function follow(source: StatsSource, listener: (s: Sample) => void): () => void {
  const sampler = new Sampler(source);
  return sampler.polled.subscribe((p) => {
    if (p.state !== "failed" && p.state !== "gone") listener(sampler.take());
  });
}

/**
 * When the next sample is due, changeable while sampling runs: `top`'s `s` key sets a new
 * interval, any other key asks for a sample now ({@link Pace.wake}).
 */
export class Pace {
  #intervalMs: number;
  #wake: (() => void) | undefined;
  #woken = false;

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  /** A new interval; a wait under way ends early if the new interval has already passed. */
  set intervalMs(ms: number) {
    this.#intervalMs = ms;
    this.wake();
  }

  /** Ends the current wait now (the next sample is taken at once). */
  wake(): void {
    this.#woken = true;
    this.#wake?.();
  }

  /** Waits until `since + intervalMs` (re-read if it changes), a wake, or `signal`. */
  async wait(since: number, signal: AbortSignal | undefined): Promise<void> {
    this.#woken = false;
    while (!signal?.aborted && !this.#woken) {
      const left = this.#intervalMs - (performance.now() - since);
      if (left <= 0) return;
      const ac = new AbortController();
      this.#wake = () => ac.abort();
      const both = signal ? AbortSignal.any([signal, ac.signal]) : ac.signal;
      await sleep(left, undefined, { signal: both }).catch(() => undefined);
      this.#wake = undefined;
    }
  }
}

/** Options of {@link samples}. */
export interface SamplesOptions extends SamplerOptions {
  /** Time between samples, in milliseconds (ignored when `pace` is given). */
  readonly intervalMs: number;
  /** A changeable interval with wake-ups (top's keys); default a fixed `intervalMs`. */
  readonly pace?: Pace | undefined;
  /** Ends the iteration (between samples or during the wait). */
  readonly signal?: AbortSignal | undefined;
  /** Stop after this many samples. */
  readonly count?: number | undefined;
  /** Take the first sample from the source's current values without polling (default true:
   * every opener has just read). */
  readonly firstWithoutPoll?: boolean | undefined;
}

/**
 * Samples `source` every `intervalMs` (measured from the start of each poll, so a slow poll
 * does not stretch the period) until `signal` aborts or `count` samples were taken.
 */
export async function* samples(source: StatsSource, o: SamplesOptions, sampler = new Sampler(source, o)): AsyncGenerator<Sample> {
  let start = performance.now();
  const pace = o.pace ?? new Pace(o.intervalMs);
  for (let n = 0; o.count === undefined || n < o.count; n++) {
    if (o.signal?.aborted) return;
    if (n > 0) {
      await pace.wait(start, o.signal);
      if (o.signal?.aborted) return;
      start = performance.now();
    }
    yield n === 0 && o.firstWithoutPoll !== false ? sampler.take() : await sampler.sample();
  }
}

/**
 * The change of a statistic's total (its value, or the sum of a histogram's buckets) since the
 * previous sample; undefined for a new file. Counters that went backwards (a reset) give the
 * new value, as if counted from zero. Exact: a bigint for integer encodings, a double for f64.
 */
export function delta(d: StatDescriptor, f: SampledFile): Amount | undefined {
  if (!f.prev) return undefined;
  return counted(amountOf(d, f.data), amountOf(d, f.prev));
}

/**
 * A statistic's total since the sampler's baseline ({@link Sampler.rebase}); its own total
 * without one. A counter below its baseline (a reset) counts from zero.
 */
export function since(d: StatDescriptor, f: SampledFile): Amount {
  const now = amountOf(d, f.data);
  return f.base ? counted(now, amountOf(d, f.base)) : now;
}

/** {@link delta} per second, or undefined (new file, or no time passed). */
export function rate(d: StatDescriptor, f: SampledFile, seconds: number): number | undefined {
  const dv = delta(d, f);
  return dv === undefined || seconds <= 0 ? undefined : Number(dv) / seconds;
}
