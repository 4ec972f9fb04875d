/**
 * @module views/text/width
 * Text measured in terminal columns, not UTF-16 units: guest names may hold wide (CJK) or
 * combining characters. Widths come from `string-width` (East Asian Width, emoji, zero-width).
 */
import stringWidth from "string-width";

/** Columns `s` takes on a terminal. */
export function width(s: string): number {
  // ASCII fast path: one column per printable character.
  return /^[\x20-\x7e]*$/.test(s) ? s.length : stringWidth(s);
}

/** `s` cut to at most `cols` columns (never splitting a wide character). */
export function clip(s: string, cols: number): string {
  if (width(s) <= cols) return s;
  let out = "";
  let used = 0;
  for (const { segment } of new Intl.Segmenter().segment(s)) {
    const w = stringWidth(segment);
    if (used + w > cols) break;
    out += segment;
    used += w;
  }
  return out;
}

/** `s` padded with spaces on the right to `cols` columns (longer text is kept whole). */
export function padEnd(s: string, cols: number): string {
  const w = width(s);
  return w >= cols ? s : s + " ".repeat(cols - w);
}

/** `s` padded with spaces on the left to `cols` columns. */
export function padStart(s: string, cols: number): string {
  const w = width(s);
  return w >= cols ? s : " ".repeat(cols - w) + s;
}
