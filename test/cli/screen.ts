/**
 * @module test/cli/screen
 * Reading a captured `top` screen: its groups (blocks between blank lines: a title, rows, a
 * Total row) and the rows that appear twice where they may not. Two VMs may legitimately show
 * the same row (`pages_4k 4` in both VM groups); a duplicate is a row name repeated inside one
 * group, or a group title repeated on the screen (what stale rows after a resize look like).
 */

/** The screen's groups: runs of non-blank lines (the header is the first). */
export function groups(screen: string): string[][] {
  const out: string[][] = [];
  let cur: string[] = [];
  for (const l of screen.split("\n")) {
    if (l.trim() === "") {
      if (cur.length) out.push(cur);
      cur = [];
    } else cur.push(l);
  }
  if (cur.length) out.push(cur);
  return out;
}

/** Rows that appear twice where they may not (empty when the screen is clean). */
export function duplicateRows(screen: string): string[] {
  const dups: string[] = [];
  const titles = new Set<string>();
  for (const [i, g] of groups(screen).entries()) {
    const title = g[0] as string;
    if (i > 0) {
      if (titles.has(title)) dups.push(`group title twice: ${title.trim()}`);
      titles.add(title);
    }
    const names = new Set<string>();
    for (const row of i > 0 ? g.slice(1) : g) {
      const name = i > 0 ? (row.trim().split(/\s+/)[0] as string) : row;
      if (names.has(name)) dups.push(`row twice in group "${title.trim()}": ${row.trim()}`);
      names.add(name);
    }
  }
  return dups;
}
