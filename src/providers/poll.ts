/**
 * @module providers/poll
 * The one home of polling and source health: the ok/stale/failed/gone contract of
 * {@link MemberStatus}, kept by a {@link Polled} member (its state, the reason on one printable
 * line, the poll in flight and its age), {@link pollAll} for several members under one deadline,
 * and {@link errorLine}, the one way an error becomes a reason.
 *
 * - ok: the last poll answered; stale: a poll is still under way past the deadline, or the
 *   member's own bounded wait ended ({@link TimeoutError}): its files keep their last values;
 *   failed: the last poll failed (its files are left out until it answers again); gone: closed
 *   for good, never polled again.
 * - A member is never asked again while its poll is in flight: a later caller joins that poll.
 *
 * Every view of a process shares one {@link Polled} per source ({@link polled}): the union's
 * members, the sampler behind top/log, the HTTP exporter, the QMP server and the filesystem all
 * poll through it, so two views never poll the same source twice at once, and a caller that
 * passes `maxAgeMs` takes a poll that finished less than that long ago instead of starting one.
 * Readers that only watch (a dashboard) {@link Polled.subscribe} to every settled poll.
 */
import { TimeoutError } from "../errors.js";
import { printable } from "../model/printable.js";
import { isSyncSource, type MemberStatus, type PollOptions, type StatsSource } from "./source.js";

/** One of ok, stale, failed, gone (see the module doc). */
export type PollState = MemberStatus["state"];

/** Whatever a {@link Polled} polls: a source, a VM's routes. */
export interface Pollable {
  poll(options?: PollOptions): Promise<void>;
}

/** Options of {@link Polled.poll}. */
export interface PolledOptions extends PollOptions {
  /** Take the last poll instead when it finished less than this many ms ago. */
  readonly maxAgeMs?: number | undefined;
}

/** An error as one printable line: its message, line breaks folded, control characters escaped. */
export function errorLine(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return printable(text.replace(/\s*\n\s*/g, " "));
}

/** The reason a member still polling at a deadline shows. */
export function staleReason(deadlineMs: number): string {
  return `no answer within ${deadlineMs} ms; showing its last values`;
}

/** A polled member: its state and reason, the poll in flight and its age. */
export class Polled {
  readonly target: Pollable;
  /** The synchronous poll, when the member has one (kernel fds, files, shared memory). */
  readonly #sync: (() => void) | undefined;
  #state: PollState = "ok";
  #reason: string | undefined;
  #error: unknown;
  #inflight: Promise<void> | undefined;
  #startedAt = 0;
  /** performance.now() when the last poll ended (creation counts: an opened source holds current values). */
  #doneAt = performance.now();
  readonly #listeners = new Set<(p: Polled) => void>();

  constructor(target: Pollable, sync?: () => void) {
    this.target = target;
    this.#sync = sync;
  }

  get state(): PollState {
    return this.#state;
  }

  /** Why the member is not ok (one printable line); undefined when ok. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** The last poll's error (failed or stale by its own timeout), for callers that rethrow it. */
  get error(): unknown {
    return this.#error;
  }

  /** The poll in flight, if any (it never rejects). */
  get inflight(): Promise<void> | undefined {
    return this.#inflight;
  }

  /** How long the poll in flight has been running, in ms; undefined when none is. */
  get inflightMs(): number | undefined {
    return this.#inflight ? performance.now() - this.#startedAt : undefined;
  }

  /** Milliseconds since the last poll ended. */
  get ageMs(): number {
    return performance.now() - this.#doneAt;
  }

  /** Whether the member polls synchronously. */
  get sync(): boolean {
    return this.#sync !== undefined;
  }

  /** The member's status under `uri`. */
  status(uri: string): MemberStatus {
    return this.#reason === undefined ? { uri, state: this.#state } : { uri, state: this.#state, reason: this.#reason };
  }

  /**
   * Polls, or joins the poll in flight; a synchronous member is polled inline. Never rejects:
   * the outcome is {@link state} and {@link reason}. A gone member is not polled.
   */
  poll(options: PolledOptions = {}): Promise<void> {
    if (this.#state === "gone") return Promise.resolve();
    if (this.#inflight) return this.#inflight;
    if (options.maxAgeMs !== undefined && this.ageMs < options.maxAgeMs) return Promise.resolve();
    if (this.#sync) {
      this.pollSync();
      return Promise.resolve();
    }
    this.#startedAt = performance.now();
    const { maxAgeMs: _, ...pollOptions } = options;
    let p: Promise<void>;
    try {
      p = this.target.poll(pollOptions);
    } catch (e) {
      p = Promise.reject(e);
    }
    const run = p.then(
      () => this.#settle(undefined),
      (e: unknown) => this.#settle(e),
    );
    this.#inflight = run;
    return run;
  }

  /** Polls a synchronous member now (a member without a synchronous poll only counts as polled). */
  pollSync(): void {
    if (this.#state === "gone") return;
    this.#startedAt = performance.now();
    try {
      this.#sync?.();
      this.#settle(undefined);
    } catch (e) {
      this.#settle(e);
    }
  }

  /** Makes the next poll due now, whatever `maxAgeMs` it is asked with (after a reset). */
  expire(): void {
    this.#doneAt = Number.NEGATIVE_INFINITY;
  }

  /** Marks a member whose poll is still in flight at a deadline stale. */
  stall(deadlineMs: number): void {
    if (this.#inflight && this.#state !== "gone") {
      this.#state = "stale";
      this.#reason = staleReason(deadlineMs);
    }
  }

  /** Marks the member failed without polling (nothing readable, a file that failed its own read). */
  fail(reason: string): void {
    if (this.#state === "gone") return;
    this.#state = "failed";
    this.#reason = printable(reason);
  }

  /** Marks the member gone for good (closed, its process exited). */
  gone(reason?: string): void {
    this.#state = "gone";
    this.#reason = reason === undefined ? undefined : printable(reason);
  }

  /**
   * Calls `listener` after every poll of this member ends, whoever asked for it; returns the
   * function that stops it. A listener that throws is dropped.
   */
  subscribe(listener: (p: Polled) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #settle(e: unknown): void {
    this.#inflight = undefined;
    this.#doneAt = performance.now();
    if (this.#state !== "gone") {
      if (e === undefined) {
        this.#state = "ok";
        this.#reason = undefined;
        this.#error = undefined;
      } else {
        // A member whose own bounded wait ended is stalled, not failed: it keeps its files.
        this.#state = e instanceof TimeoutError ? "stale" : "failed";
        this.#reason = errorLine(e);
        this.#error = e;
      }
    }
    for (const l of this.#listeners) {
      try {
        l(this);
      } catch {
        this.#listeners.delete(l);
      }
    }
  }
}

/**
 * Polls every member at once (members already polling are joined, gone ones skipped) and waits
 * for all of them, or until `deadlineMs` when given: members still polling then are marked
 * stale and keep their last values. `options` go to each member's poll (default: the deadline
 * as its timeout).
 */
export async function pollAll(
  members: readonly Polled[],
  deadlineMs?: number,
  options: PolledOptions = deadlineMs === undefined ? {} : { timeoutMs: deadlineMs },
): Promise<void> {
  const all = Promise.all(members.map((m) => m.poll(options)));
  if (deadlineMs === undefined) {
    await all;
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
  });
  await Promise.race([all, deadline]);
  clearTimeout(timer);
  for (const m of members) m.stall(deadlineMs);
}

const shared = new WeakMap<StatsSource, Polled>();

/** The one {@link Polled} of `source` in this process, shared by every view of it. */
export function polled(source: StatsSource): Polled {
  let p = shared.get(source);
  if (!p) {
    p = new Polled(source, isSyncSource(source) ? () => source.pollSync() : undefined);
    shared.set(source, p);
  }
  return p;
}

/**
 * How long a view answering clients (the QMP server, the HTTP exporter) waits for a slow source
 * before answering with its last values, marked stale: one rule for every view of `serve`.
 */
export const VIEW_DEADLINE_MS = 2000;
