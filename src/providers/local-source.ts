/**
 * @module providers/local-source
 * A source made of stats files that poll synchronously (fds, files, shared memory).
 */
import { AsyncClosable } from "../closable.js";
import { SourceError } from "../errors.js";
import type { StatsFile } from "../model/stats-file.js";
import type { MemberStatus, SourceCapabilities, SyncStatsSource } from "./source.js";

/** A stats file that refreshes its own data without waiting. */
export interface LocalStatsFile extends StatsFile {
  poll(): void;
  close(): void;
}

/**
 * A {@link SyncStatsSource} over a fixed list of local files, with an optional extra release.
 * Given `members` (a directory's files, the bad ones `failed` with their reason), it reports
 * them as {@link SyncStatsSource.members}.
 */
export class LocalSource extends AsyncClosable implements SyncStatsSource {
  readonly uri: string;
  readonly files: readonly LocalStatsFile[];
  readonly capabilities: SourceCapabilities;
  readonly members?: readonly MemberStatus[];
  readonly #release: (() => Promise<void> | void) | undefined;
  readonly #empty: string | undefined;

  /**
   * `members`: states of what the files came from; `empty`: why `files` is empty, when it is
   * (see {@link StatsSource.emptyReason}).
   */
  constructor(
    uri: string,
    files: readonly LocalStatsFile[],
    release?: () => Promise<void> | void,
    members?: readonly MemberStatus[],
    empty?: string,
  ) {
    super();
    this.uri = uri;
    this.files = files;
    this.#release = release;
    this.#empty = empty;
    if (members) this.members = members;
    this.capabilities = { pollSync: true, raw: files.every((f) => f.raw !== undefined), reset: false };
  }

  emptyReason(): string {
    return this.#empty ?? `${this.uri}: the source has no stats files`;
  }

  pollSync(): void {
    if (this.closed) throw new SourceError("STATSFS_CLOSED", `${this.uri}: source is closed`);
    for (const f of this.files) f.poll();
  }

  async poll(): Promise<void> {
    this.pollSync();
  }

  protected async closing(): Promise<void> {
    for (const f of this.files) f.close();
    await this.#release?.();
  }
}
