/**
 * @module views/text/table
 * Aligned plain-text columns. Numbers (cells that look numeric) are right-aligned.
 */

const NUMERIC = /^-?[\d.,]+( \S+)?$/;

/** Renders rows as aligned columns separated by two spaces; the first row is the heading. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const r of rows) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  return rows
    .map((r, ri) =>
      r
        .map((c, i) => {
          const w = widths[i] ?? 0;
          const last = i === r.length - 1;
          if (ri > 0 && NUMERIC.test(c)) return c.padStart(w);
          return last ? c : c.padEnd(w);
        })
        .join("  ")
        .trimEnd(),
    )
    .join("\n")
    .concat("\n");
}
