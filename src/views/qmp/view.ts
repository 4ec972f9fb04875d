/**
 * @module views/qmp/view
 * What the QMP server serves: its sources as one (several become a {@link UnionSource}, so one
 * member failing or stalling never fails a query for the others), polled on each query.
 * Sources that poll synchronously (kernel fds, files, shared memory, live producer sources) are
 * polled right away for every query; asynchronous ones (a QEMU behind `qmp:`) are polled once
 * for all queries that arrive while a poll is under way, and a member slower than
 * {@link STALL_MS} keeps its last values.
 */
import type { StatsFile } from "../../model/stats-file.js";
import { isSyncSource, type StatsSource } from "../../providers/source.js";
import { UnionSource } from "../../providers/union.js";
import { acceptedProviders, acceptedTargets } from "../qapi/requests.js";

/** How long a query waits for a slow member of several before answering with its last values. */
export const STALL_MS = 2000;

/** The served statistics. */
export class StatsView {
  readonly source: StatsSource | undefined;
  readonly #union: boolean;
  #inflight: Promise<void> | undefined;

  /** `sources` stay owned by the caller (the view never closes them). */
  constructor(sources: readonly StatsSource[]) {
    this.#union = sources.length > 1;
    this.source = sources.length === 1 ? sources[0] : sources.length > 1 ? new UnionSource(sources) : undefined;
  }

  /** Every stats file of every source, in source order. */
  get files(): readonly StatsFile[] {
    return this.source?.files ?? [];
  }

  /** The StatsProvider values requests may name: ours plus every provider the sources have. */
  providers(): Set<string> {
    return acceptedProviders(this.files);
  }

  /** The StatsTarget values requests may name. */
  targets(): Set<string> {
    return acceptedTargets(this.files);
  }

  /** Refreshes every source. */
  async poll(): Promise<void> {
    const s = this.source;
    if (!s) return;
    if (isSyncSource(s)) return s.pollSync();
    this.#inflight ??= s.poll(this.#union ? { timeoutMs: STALL_MS } : {}).finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }
}
