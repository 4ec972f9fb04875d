/**
 * @module providers/pending
 * A source that could not be opened yet ({@link PendingSource}): a long-running server (the
 * exporter) starts before what it serves — a Node service whose `shm:` directory does not
 * exist until the service runs, a QEMU not started yet — and keeps trying. Each poll tries to
 * open the source until it succeeds; until then the poll fails with the reason (the source is
 * down, with no files), after that it is the source itself.
 */
import { AsyncClosable } from "../closable.js";
import { SourceError } from "../errors.js";
import type { StatsFile } from "../model/stats-file.js";
import type { MemberStatus, PollOptions, SourceCapabilities, StatsSource } from "./source.js";

const NOT_YET: SourceCapabilities = { pollSync: false, raw: false, reset: false };

/** A source opened at its first poll that succeeds. */
export class PendingSource extends AsyncClosable implements StatsSource {
  readonly uri: string;
  readonly #open: (uri: string) => Promise<StatsSource>;
  #inner: StatsSource | undefined;

  /** `open` opens the source (e.g. providers/registry's openSource). */
  constructor(uri: string, open: (uri: string) => Promise<StatsSource>) {
    super();
    this.uri = uri;
    this.#open = open;
  }

  /** The source, once it opened. */
  get inner(): StatsSource | undefined {
    return this.#inner;
  }

  get files(): readonly StatsFile[] {
    return this.#inner?.files ?? [];
  }

  get capabilities(): SourceCapabilities {
    return this.#inner?.capabilities ?? NOT_YET;
  }

  /** Whether the source, once open, names anything running. */
  get live(): boolean {
    return this.#inner !== undefined && this.#inner.live !== false;
  }

  /** The source's members once open (none before). */
  get members(): readonly MemberStatus[] {
    return this.#inner?.members ?? [];
  }

  async poll(options: PollOptions = {}): Promise<void> {
    if (this.closed) throw new SourceError("STATSFS_SOURCE", `${this.uri}: closed`);
    if (!this.#inner) {
      const s = await this.#open(this.uri);
      if (this.closed) {
        await s.close();
        throw new SourceError("STATSFS_SOURCE", `${this.uri}: closed`);
      }
      this.#inner = s;
    }
    await this.#inner.poll(options);
  }

  protected async closing(): Promise<void> {
    await this.#inner?.close();
  }
}
