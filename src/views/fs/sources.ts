/**
 * @module views/fs/sources
 * The sources behind a mount and how fresh their values are. A read of one value refreshes
 * just that file where the file can re-read itself (a kernel fd, an exported producer file:
 * one pread), else its source, at most once per `maxAgeMs`; listings re-poll sources at most
 * once per `scanMs` so that files appear and disappear as VMs and producers come and go. A
 * source whose poll fails is marked failed (its files leave the tree, reads of them already
 * open fail with EIO) and is tried again on the next scan; the mount survives. A source's
 * state, reason and poll in flight are its {@link Polled} (providers/poll).
 */
import type { StatsFile } from "../../model/stats-file.js";
import { errorLine, type Polled, polled } from "../../providers/poll.js";
import type { StatsSource } from "../../providers/source.js";

/** One file and the source it comes from. */
export interface FileRef {
  readonly file: StatsFile;
  readonly owner: SourceState;
}

/** Why a file cannot be read now, or undefined when it can. */
export type Liveness = undefined | "gone" | "failed";

interface SelfPolling {
  poll?(): void;
}

/** One source and its polling state. */
export class SourceState {
  readonly source: StatsSource;
  /** The source's state, reason and poll in flight, shared with every view of it. */
  readonly polled: Polled;
  #seen: readonly StatsFile[] = [];
  #members = new Set<StatsFile>();

  constructor(source: StatsSource) {
    this.source = source;
    this.polled = polled(source);
  }

  /** Why the source's files cannot be read (its last poll failed or timed out), or undefined. */
  get failed(): string | undefined {
    const p = this.polled;
    return p.state === "ok" ? undefined : (p.reason ?? p.state);
  }

  /** The files now (empty while failed). */
  get files(): readonly StatsFile[] {
    if (this.failed !== undefined) return [];
    return this.source.files;
  }

  /** True when `f` is still one of the source's files. */
  has(f: StatsFile): boolean {
    const now = this.source.files;
    if (now !== this.#seen) {
      this.#seen = now;
      this.#members = new Set(now);
    }
    return this.#members.has(f);
  }

  /** Polls if older than `maxAgeMs`; synchronous sources inline, others as a shared promise. */
  refresh(maxAgeMs: number): Promise<void> | undefined {
    const p = this.polled;
    if (p.inflight) return p.inflight;
    if (p.ageMs < maxAgeMs) return undefined;
    if (p.sync) {
      p.pollSync();
      return undefined;
    }
    return p.poll();
  }
}

/** Every source of a mount. */
export class SourceSet {
  readonly states: readonly SourceState[];
  /** Largest age of a value served, in ms. */
  readonly maxAgeMs: number;
  /** Largest age of a directory listing, in ms. */
  readonly scanMs: number;

  constructor(sources: readonly StatsSource[], maxAgeMs: number, scanMs: number) {
    this.states = sources.map((s) => new SourceState(s));
    this.maxAgeMs = maxAgeMs;
    this.scanMs = scanMs;
  }

  /** Every healthy file, with its source. */
  refs(): FileRef[] {
    const out: FileRef[] = [];
    for (const st of this.states) for (const file of st.files) out.push({ file, owner: st });
    return out;
  }

  /** A key that changes whenever the set of files changes. */
  signature(): readonly (readonly StatsFile[])[] {
    return this.states.map((s) => s.files);
  }

  /** Re-polls sources older than `scanMs` (for listings and lookups). */
  scan(): Promise<void> | undefined {
    const waits = this.states.map((s) => s.refresh(this.scanMs)).filter((p) => p !== undefined);
    return waits.length ? Promise.all(waits).then(() => undefined) : undefined;
  }

  /** Whether a file can be read now. */
  liveness(ref: FileRef): Liveness {
    if (ref.owner.failed !== undefined) return "failed";
    return ref.owner.has(ref.file) ? undefined : "gone";
  }

  /**
   * Brings `refs` up to date: files that re-read themselves (a stats fd: one pread) do so,
   * others through their source at most once per `maxAgeMs` (0 forces).
   */
  freshen(refs: readonly FileRef[], maxAgeMs = this.maxAgeMs): Promise<void> | undefined {
    const waits: Promise<void>[] = [];
    let owners: Set<SourceState> | undefined;
    for (const r of refs) {
      const self = r.file as StatsFile & SelfPolling;
      if (typeof self.poll === "function" && r.owner.failed === undefined) {
        try {
          self.poll();
          continue;
        } catch (e) {
          r.owner.polled.fail(errorLine(e));
          continue;
        }
      }
      owners ??= new Set();
      owners.add(r.owner);
    }
    if (owners) {
      for (const o of owners) {
        const p = o.refresh(maxAgeMs);
        if (p) waits.push(p);
      }
    }
    return waits.length ? Promise.all(waits).then(() => undefined) : undefined;
  }
}
