/**
 * @module views/qmp/view
 * What the QMP server serves: the union of its sources' stats files, polled on each query.
 * Sources that poll synchronously (kernel fds, files, shared memory, live producer sources) are
 * polled right away for every query; asynchronous ones (a QEMU behind `qmp:`) are polled once for
 * all queries that arrive while a poll is under way.
 */
import type { StatsFile } from "../../model/stats-file.js";
import { isSyncSource, type StatsSource } from "../../providers/source.js";
import { acceptedProviders, acceptedTargets } from "../qapi/requests.js";

/** The served statistics. */
export class StatsView {
  readonly sources: readonly StatsSource[];
  #inflight: Promise<void> | undefined;

  constructor(sources: readonly StatsSource[]) {
    this.sources = sources;
  }

  /** Every stats file of every source, in source order. */
  get files(): StatsFile[] {
    return this.sources.length === 1 ? [...(this.sources[0] as StatsSource).files] : this.sources.flatMap((s) => s.files);
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
    const slow: StatsSource[] = [];
    for (const s of this.sources) {
      if (isSyncSource(s)) s.pollSync();
      else slow.push(s);
    }
    if (slow.length === 0) return;
    this.#inflight ??= Promise.all(slow.map((s) => s.poll())).then(
      () => {
        this.#inflight = undefined;
      },
      (e: unknown) => {
        this.#inflight = undefined;
        throw e;
      },
    );
    return this.#inflight;
  }
}
