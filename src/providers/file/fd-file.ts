/**
 * @module providers/file/fd-file
 * One binary stats file read through an fd: the schema once, the data block per poll.
 */

import { closeSync } from "node:fs";
import { Closable } from "../../closable.js";
import type { Pread } from "../../codec/pread.js";
import { BinaryStatsReader } from "../../codec/reader.js";
import { DecodeError, SourceError } from "../../errors.js";
import { type Labels, parseId, type StatsIdentity, withLabels } from "../../model/identity.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { openForPread } from "../../sys/fs.js";
import { fdPread } from "./pread-fd.js";

/** A stats file backed by an fd. */
export class FdStatsFile extends Closable implements StatsFile {
  readonly identity: StatsIdentity;
  readonly reader: BinaryStatsReader;
  readonly fd: number;
  /** The raw file, for checkers that look at bytes rather than the decoded schema. */
  readonly pread: Pread;
  readonly #owned: boolean;
  /** The origin for messages (a path, `fd 3`). */
  readonly #where: string;

  /**
   * Reads the schema from `fd`. `where` names the origin in errors (a path, `fd:3`);
   * `owned` says whether {@link close} closes the fd.
   */
  constructor(fd: number, where: string, owned: boolean, override?: { readonly path?: string; readonly labels?: Labels }) {
    super();
    this.fd = fd;
    this.#owned = owned;
    this.#where = where;
    try {
      this.pread = fdPread(fd);
      this.reader = new BinaryStatsReader(this.pread);
    } catch (e) {
      if (owned) closeSync(fd);
      throw located(e, where);
    }
    const parsed = parseId(this.reader.id);
    const labelled = override?.labels ? withLabels(parsed, override.labels) : parsed;
    this.identity = override?.path === undefined ? labelled : { ...labelled, path: override.path };
  }

  /** The fd's bytes, read by pread: what `check`, snapshots and the filesystem view read. */
  get raw(): Pread {
    return this.pread;
  }

  get schema(): StatsSchema {
    return this.reader.schema;
  }
  get data(): BigUint64Array {
    return this.reader.data;
  }

  /**
   * Re-reads the data block; an error names the file (a file truncated under a reader says
   * which). After {@link close} it throws: the fd number may name another file by then.
   */
  poll(): void {
    if (this.closed) throw new SourceError("STATSFS_CLOSED", `${this.identity.id}: stats file is closed`);
    try {
      this.reader.poll();
    } catch (e) {
      throw located(e, this.#where);
    }
  }

  protected closing(): void {
    if (this.#owned) closeSync(this.fd);
  }
}

/** Opens `path` for pread (never blocking, FIFOs refused); errors name the path in one line. */
export function openReadOnly(path: string): number {
  try {
    return openForPread(path);
  } catch (e) {
    throw located(e, path);
  }
}

/** Prefixes an error's one line with where it happened, keeping its code. */
export function located(e: unknown, where: string): Error {
  if (e instanceof DecodeError) {
    const out = new DecodeError(e.field, e.offset, `${where}: ${e.message.replace(/ \([^()]* at byte \d+\)$/, "")}`);
    return out;
  }
  if (e instanceof Error && "code" in e && typeof e.code === "string" && e.code.startsWith("E")) {
    // "ENOENT: no such file or directory, open 'x'" → "no such file or directory"
    const text = /^[A-Z]+: ([^,]+)/.exec(e.message)?.[1] ?? e.message;
    return new SourceError("STATSFS_SOURCE", `${where}: ${text}`, { cause: e });
  }
  return e instanceof Error ? e : new Error(String(e));
}
