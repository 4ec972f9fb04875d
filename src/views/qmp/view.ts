/**
 * @module views/qmp/view
 * What the QMP server serves: its sources as one (several become a {@link UnionSource}, so one
 * member failing or stalling never fails a query for the others), polled on each query.
 * Sources that poll synchronously (kernel fds, files, shared memory, live producer sources) are
 * polled right away for every query; asynchronous ones (a QEMU behind `qmp:`) are polled once
 * for all queries that arrive while a poll is under way (and scrapes of the HTTP exporter: both
 * poll through the process's one Polled of a source, providers/poll), and a source or member
 * slower than {@link STALL_MS} keeps its last values.
 */
import type { StatsFile } from "../../model/stats-file.js";
import { type Polled, polled, VIEW_DEADLINE_MS } from "../../providers/poll.js";
import type { StatsSource } from "../../providers/source.js";
import { UnionSource } from "../../providers/union.js";
import { acceptedProviders, acceptedTargets } from "../qapi/requests.js";

/** How long a query waits for a slow source before answering with its last values (the exporter's rule too). */
export const STALL_MS = VIEW_DEADLINE_MS;

/** The served statistics. */
export class StatsView {
  readonly source: StatsSource | undefined;
  /** The source's state and poll in flight, shared with every view of it. */
  readonly polled: Polled | undefined;

  /** `sources` stay owned by the caller (the view never closes them). */
  constructor(sources: readonly StatsSource[]) {
    this.source = sources.length === 1 ? sources[0] : sources.length > 1 ? new UnionSource(sources) : undefined;
    this.polled = this.source && polled(this.source);
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

  /** Refreshes every source, at most {@link STALL_MS} for a slow one. */
  async poll(): Promise<void> {
    const p = this.polled;
    if (!p) return;
    await p.poll({ timeoutMs: STALL_MS });
    // A failed source fails the query (its reason is the error's text); a stale one answers
    // with its last values.
    if (p.state === "failed") throw p.error;
  }
}
