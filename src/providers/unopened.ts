/**
 * @module providers/unopened
 * A source that could not be opened, kept as a member of several: it has no files, and each
 * poll fails with the reason it could not be opened, so a union reports it as a failed member
 * (`members`) and the exporter shows it as `statsfs_exporter_source_up{source="…"} 0`, while the
 * other sources are served. Used where several sources are served together (`serve`); a single
 * source that cannot open still refuses at start.
 */
import { AsyncClosable } from "../closable.js";
import { SourceError } from "../errors.js";
import type { StatsFile } from "../model/stats-file.js";
import { errorLine } from "./poll.js";
import { NO_CAPABILITIES, type StatsSource } from "./source.js";

/** A source that failed to open, standing in for it among others. */
export class UnopenedSource extends AsyncClosable implements StatsSource {
  readonly uri: string;
  readonly capabilities = NO_CAPABILITIES;
  readonly files: readonly StatsFile[] = [];
  /** Why it could not be opened, on one printable line. */
  readonly reason: string;

  constructor(uri: string, error: unknown) {
    super();
    this.uri = uri;
    this.reason = `cannot open: ${errorLine(error)}`;
  }

  async poll(): Promise<void> {
    throw new SourceError("STATSFS_SOURCE_UNOPENED", this.reason);
  }

  /** Nothing to release: the source never opened. */
  protected closing(): void {}
}
