/**
 * @module views/fs/mount
 * `mountStatsfs(dir, sources)`: the statsfs filesystem over FUSE at `dir`, serving every
 * stats file of the sources until closed. Needs root and /dev/fuse.
 */
import type { StatsSource } from "../../providers/source.js";
import { FuseSession, type MountOptions } from "./fuse/session.js";
import { SourceSet } from "./sources.js";
import { StatsFs } from "./statsfs.js";

/** Options of {@link mountStatsfs}. */
export interface StatsfsMountOptions extends MountOptions {
  /** Largest age of a value served, in ms (default 0: every read at offset 0 re-reads). */
  readonly maxAgeMs?: number;
  /** How often listings re-poll the sources for files that came or went, in ms (default 100). */
  readonly scanMs?: number;
}

/** A mounted statsfs. */
export interface StatsfsMount extends AsyncDisposable {
  readonly dir: string;
  readonly fs: StatsFs;
  readonly session: FuseSession;
  /** Unmounts; idempotent. Does not close the sources. */
  close(): Promise<void>;
}

/** Mounts the sources' stats files at `dir`. */
export async function mountStatsfs(dir: string, sources: readonly StatsSource[], o: StatsfsMountOptions = {}): Promise<StatsfsMount> {
  const fs = new StatsFs(new SourceSet(sources, o.maxAgeMs ?? 0, o.scanMs ?? 100));
  const session = await FuseSession.mount(dir, fs, o);
  const close = () => session.close();
  return { dir, fs, session, close, [Symbol.asyncDispose]: close };
}
