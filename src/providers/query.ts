/**
 * @module providers/query
 * The `?key=value` options of a source name, checked the same way for every scheme: a key the
 * scheme does not take, or a key given twice, is a usage error naming the source — a typo must
 * never be silently ignored.
 */
import { UsageError } from "../errors.js";
import { editDistance } from "../model/edit-distance.js";

/** Throws unless every key of `query` is in `allowed` and none appears twice. `what` names the source kind in the message. */
export function checkQueryKeys(uri: string, query: URLSearchParams, allowed: readonly string[], what: string): void {
  checkDuplicateKeys(uri, query);
  for (const k of query.keys()) {
    if (allowed.includes(k)) continue;
    const takes = allowed.length === 0 ? "takes no options" : `takes ${allowed.join(", ")}`;
    const near = closest(k, allowed);
    throw new UsageError(`${uri}: unknown option "${k}"${near === undefined ? "" : ` (did you mean "${near}"?)`}; ${what} ${takes}`);
  }
}

/** Throws when a key appears more than once (`vcpus=2&vcpus=3`). */
export function checkDuplicateKeys(uri: string, query: URLSearchParams): void {
  const seen = new Set<string>();
  for (const k of query.keys()) {
    if (seen.has(k)) throw new UsageError(`${uri}: option "${k}" is given more than once`);
    seen.add(k);
  }
}

/** The allowed key within edit distance 2 of `k`, if one is. */
function closest(k: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = 3;
  for (const a of allowed) {
    const d = k.length > 64 || a.length > 64 ? Number.POSITIVE_INFINITY : editDistance(k, a);
    if (d < bestD) {
      best = a;
      bestD = d;
    }
  }
  return best;
}
