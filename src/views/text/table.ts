/**
 * @module views/text/table
 * Aligned plain-text columns. Numeric cells are right-aligned to the widest number of their
 * column, and a long text cell (a histogram's buckets) overflows its own row instead of
 * widening its column, so it pushes neither the numbers nor the other rows' units right.
 */

const NUMERIC = /^-?[\d.,]+( \S+)?$/;
/** Text cells longer than this do not set their column's width. */
const LONG = 32;

/** Renders rows as aligned columns separated by two spaces; the first row is the heading. */
export function renderTable(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  const numWidths: number[] = [];
  for (const [ri, r] of rows.entries()) {
    for (const [i, c] of r.entries()) {
      if (c.length <= LONG || NUMERIC.test(c) || ri === 0) widths[i] = Math.max(widths[i] ?? 0, c.length);
      if (ri > 0 && NUMERIC.test(c)) numWidths[i] = Math.max(numWidths[i] ?? 0, c.length);
    }
  }
  const cell = (c: string, i: number, ri: number, last: boolean) => {
    const text = ri > 0 && NUMERIC.test(c) ? c.padStart(numWidths[i] ?? 0) : c;
    return last ? text : text.padEnd(widths[i] ?? 0);
  };
  return `${rows
    .map((r, ri) =>
      r
        .map((c, i) => cell(c, i, ri, i === r.length - 1))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
