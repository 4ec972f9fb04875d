/**
 * @module cli/commands/prune
 * `statsfs prune shm:NAME[?dir=D]`: removes what producers that are gone left in
 * an export directory (links to a memfd whose process ended, files nobody holds), then the
 * directories left empty. Live producers' files and anything foreign are never touched, and
 * nothing outside the export directory (see providers/shm/prune.ts).
 */
import { lstatSync } from "node:fs";
import { join } from "node:path";
import { UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import { checkQueryKeys } from "../../../providers/query.js";
import { parseSourceUri } from "../../../providers/registry.js";
import { defaultDir } from "../../../providers/shm/format/paths.js";
import { pruneExports } from "../../../providers/shm/prune.js";
import type { Command } from "../../command.js";
import { Exit, type Io } from "../../io.js";

/** Options of {@link prune}. */
export interface PruneCliOptions {
  readonly source: string;
}

/** Parses `shm:NAME[?dir=D]` (NAME may be empty for every tree, or a path `app/http`). */
export function parseShmTarget(uri: string): { dir: string; name: string | undefined } {
  const spec = uri.startsWith("shm:") ? parseSourceUri(uri) : undefined;
  if (spec?.scheme !== "shm") throw new UsageError(`prune: ${printable(uri)} is not a shm: source (statsfs prune shm:NAME[?dir=D])`);
  const q = spec.query;
  checkQueryKeys(printable(uri), q, ["dir"], "prune");
  const parts = spec.rest.split("/").filter((s) => s !== "");
  if (parts.some((p) => p === "." || p === "..")) throw new UsageError(`${printable(uri)}: "." and ".." are not source names`);
  return { dir: q.get("dir") || defaultDir(), name: parts.length ? parts.join("/") : undefined };
}

/** Prunes and lists what it removed, one path per line. */
export async function prune(o: PruneCliOptions, io: Io): Promise<number> {
  const { dir, name } = parseShmTarget(o.source);
  const top = name === undefined ? dir : join(dir, name);
  // A link is left to pruneExports, which refuses it by name (it never follows one).
  const st = lstatSync(top, { throwIfNoEntry: false });
  if (!st?.isDirectory() && !st?.isSymbolicLink()) {
    throw new UsageError(`${printable(o.source)}: nothing exported as ${printable(name ?? dir)} in ${printable(dir)}`);
  }
  const removed = pruneExports(name === undefined ? { dir } : { dir, name });
  for (const p of removed) io.stdout.write(`removed ${printable(p)}\n`);
  io.stderr.write(`${removed.length} file${removed.length === 1 ? "" : "s"} of producers that are gone removed\n`);
  return Exit.Ok;
}

export const command: Command = {
  name: "prune",
  summary: "remove exported files of producers that are gone",
  help: `usage: statsfs prune shm:NAME[?dir=D]

  Removes, under D/NAME (D defaults to $STATSFS_DIR or /dev/shm/statsfs; NAME empty = every
  tree), the files of producers that have ended — however they ended (exit, SIGTERM, SIGKILL) —
  and the directories left empty. Readers already show such producers as gone and count none
  of their values; this only tidies. Files of live producers are never touched.`,
  options: {},
  positionals: [1, 1],
  run: (a, io) => prune({ source: a.positionals[0] as string }, io),
};
