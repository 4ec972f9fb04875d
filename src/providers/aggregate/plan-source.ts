/**
 * @module providers/aggregate/plan-source
 * The shell shared by the sources whose files an {@link AggregatePlan} computes: the in-process
 * live source and the `shm:` reader of exported files. Subclasses say how to refresh the plan;
 * polling, writing zero, and the closed state live here once.
 */
import { AsyncClosable } from "../../closable.js";
import { SourceError } from "../../errors.js";
import type { StatsFile } from "../../model/stats-file.js";
import type { SourceCapabilities, SyncStatsSource } from "../source.js";
import { AggregatePlan } from "./plan.js";

/** A {@link SyncStatsSource} whose files an aggregation plan computes. */
export abstract class PlanSource extends AsyncClosable implements SyncStatsSource {
  abstract readonly uri: string;
  abstract readonly files: readonly StatsFile[];
  /** Polled in place; values declared writable (and aggregates over them) reset by writing 0. */
  readonly capabilities: SourceCapabilities = { pollSync: true, raw: false, reset: true };
  /** The current plan; subclasses replace it when the trees behind them change. */
  protected plan: AggregatePlan = new AggregatePlan([]);

  /** Rebuilds the plan if needed and recomputes every value. */
  protected abstract refresh(): void;

  /** Releases what the subclass holds (files, fds); called once by {@link close}. */
  protected release(): void {}

  /** Refreshes every file. After {@link close} it throws STATSFS_CLOSED. */
  pollSync(): void {
    if (this.closed) throw new SourceError("STATSFS_CLOSED", `${this.uri}: source is closed`);
    this.refresh();
  }

  async poll(): Promise<void> {
    this.pollSync();
  }

  /**
   * Writes to a statistic of one of the files: 0 resets the value, or every value behind an
   * aggregate, if they were defined writable; anything else is refused.
   */
  write(file: StatsFile, name: string, value: bigint | number): void {
    this.plan.write(file, name, value);
  }

  /** Whether statistic `name` of `file` may be reset (every value behind it declared writable). */
  writable(file: StatsFile, name: string): boolean {
    return this.plan.writable(file, name);
  }

  /** Stops polling and releases what the source holds (close() runs it once). */
  protected closing(): void {
    this.release();
  }
}
