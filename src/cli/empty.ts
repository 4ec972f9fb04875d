/**
 * @module cli/empty
 * "Nothing to show" said in one line instead of an empty output: a source without stats files
 * (a QEMU without KVM, a host without VMs, an empty debugfs directory) gives its own reason
 * ({@link StatsSource.emptyReason}); a selection that keeps no file says what the source has.
 * The error exits 3 (cli/io Exit.Empty).
 */
import { NothingToShowError } from "../errors.js";
import { printable } from "../model/printable.js";
import type { StatsFile } from "../model/stats-file.js";
import type { StatsSource } from "../providers/source.js";

/** Throws when `source` has no stats files, with the source's own reason. */
export function requireFiles(source: StatsSource): void {
  if (source.files.length > 0) return;
  throw new NothingToShowError(source.emptyReason?.() ?? `${printable(source.uri)}: the source has no stats files`);
}

/**
 * Throws when none of `files` is kept by `keep`: says which targets and providers the source has
 * (`what` names the filter, e.g. "target vm").
 */
export function requireSelected(source: StatsSource, keep: (f: StatsFile) => boolean, what: string, hint = ""): void {
  requireFiles(source);
  if (source.files.some(keep)) return;
  const kinds = [...new Set(source.files.map((f) => `${f.identity.provider}/${f.identity.target}`))].join(", ");
  throw new NothingToShowError(`${printable(source.uri)} has no stats files of ${what} (it has ${printable(kinds)})${hint}`);
}
