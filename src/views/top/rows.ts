/**
 * @module views/top/rows
 * Sharing a screen's lines between groups by need.
 */

/** Each group takes 3 lines besides its rows: title, column heading, blank line. */
export const GROUP_LINES = 3;

/**
 * How many rows each group may show in `height` lines: every group gets an equal share, and
 * what a small group leaves unused goes to the groups that need more, in order.
 */
export function allocateRows(needs: readonly number[], height: number | undefined): number[] {
  if (height === undefined) return [...needs];
  let left = Math.max(0, height - GROUP_LINES * needs.length);
  const out = needs.map(() => 0);
  let open = needs.map((_, i) => i);
  while (left > 0 && open.length > 0) {
    const share = Math.max(1, Math.floor(left / open.length));
    for (const i of open) {
      const give = Math.min(share, (needs[i] ?? 0) - (out[i] ?? 0), left);
      out[i] = (out[i] ?? 0) + give;
      left -= give;
    }
    open = open.filter((i) => (out[i] ?? 0) < (needs[i] ?? 0));
  }
  return out;
}
