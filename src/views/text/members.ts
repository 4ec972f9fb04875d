/**
 * @module views/text/members
 * Warning lines about a source's members that are not ok (stale, failed, gone), bounded: the
 * first few by name and reason, then one line counting the rest by state. Member names and
 * reasons come from outside (file names, a peer's text) and go through {@link printable}.
 */
import { printable } from "../../model/text.js";
import type { MemberStatus } from "../../providers/source.js";

/** Members named one per line before the rest are only counted. */
export const MEMBER_LINES = 5;

/** `statsfs: …` lines (without newlines) for the members of `source` that are not ok. */
export function memberWarnings(source: string, members: readonly MemberStatus[], max = MEMBER_LINES): string[] {
  const bad = members.filter((m) => m.state !== "ok");
  const out = bad.slice(0, max).map((m) => `statsfs: ${printable(m.uri)}: ${m.state}${m.reason ? `: ${printable(m.reason)}` : ""}`);
  const rest = bad.slice(max);
  if (rest.length > 0) {
    const by = new Map<string, number>();
    for (const m of rest) by.set(m.state, (by.get(m.state) ?? 0) + 1);
    const counts = [...by].map(([st, n]) => `${n} ${st}`).join(", ");
    out.push(
      `statsfs: ${printable(source)}: ${rest.length} more member${rest.length === 1 ? "" : "s"} not ok (${counts}); ${bad.length} of ${members.length} in all`,
    );
  }
  return out;
}
