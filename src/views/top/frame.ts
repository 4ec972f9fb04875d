/**
 * @module views/top/frame
 * One frame of `top` as plain text lines: per group a title, then a table of the busiest
 * statistics (highest rate first, then largest value), with per-file columns while they fit.
 */

import type { StatsIdentity } from "../../model/identity.js";
import { printable } from "../../model/printable.js";
import { unitLabel } from "../../model/units.js";
import { renderTable } from "../text/table.js";
import type { RateGroup, RateRow } from "./rates.js";

/** Frame options. */
export interface FrameOptions {
  /** Terminal columns (per-file columns are dropped when they don't fit). */
  readonly width: number;
  /** Lines available for all groups (undefined: no limit). */
  readonly height?: number | undefined;
  /** Show statistics that are zero and not moving. */
  readonly all: boolean;
}

function fmtRate(r: number | undefined): string {
  if (r === undefined) return "";
  if (r === 0) return "0";
  return r >= 100 || Number.isInteger(r) ? Math.round(r).toString() : r.toFixed(1);
}

function fmtCell(v: number | bigint | undefined): string {
  return typeof v === "bigint" ? v.toString() : fmtRate(v);
}

function order(a: RateRow, b: RateRow): number {
  const ra = a.rate ?? -1;
  const rb = b.rate ?? -1;
  if (ra !== rb) return rb - ra;
  return a.value === b.value ? a.stat.name.localeCompare(b.stat.name) : a.value > b.value ? -1 : 1;
}

/** Short column names for files: a vCPU's index, a producer's instance, else the id's last part. */
function fileLabel(identity: StatsIdentity): string {
  const { vcpu, instance, shard } = identity.labels;
  if (vcpu !== undefined) return vcpu;
  if (instance !== undefined) return shard === undefined ? instance : `${instance}~${shard}`;
  return identity.id.slice(identity.id.lastIndexOf("/") + 1);
}

/** Each group takes 3 lines besides its rows: title, column heading, blank line. */
const GROUP_LINES = 3;

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

/** The frame's lines. */
export function renderFrame(groups: readonly RateGroup[], o: FrameOptions): string[] {
  const lines: string[] = [];
  const visible = groups.map((g) => g.rows.filter((r) => o.all || r.value !== 0n || (r.rate ?? 0) !== 0).sort(order));
  const room = allocateRows(
    visible.map((r) => r.length),
    o.height,
  );
  for (const [gi, g] of groups.entries()) {
    const rows = visible[gi] ?? [];
    const shown = rows.slice(0, room[gi] ?? 0);
    const head = ["name", "value", "/s", "unit"];
    const table = shown.map((r) => [
      r.stat.name,
      r.value.toString(),
      fmtRate(r.rate),
      unitLabel(r.stat.unit, r.stat.base, r.stat.exponent),
    ]);
    let text = renderTable([head, ...table])
      .trimEnd()
      .split("\n");
    // Add per-file columns while the widest line still fits.
    if (g.files.length > 1) {
      const cols = g.files.map((f, i) => [printable(fileLabel(f.file.identity)), ...shown.map((r) => fmtCell(r.perFile[i]))]);
      let k = 0;
      for (; k < cols.length; k++) {
        const withCols = renderTable([head, ...table].map((row, ri) => [...row, ...cols.slice(0, k + 1).map((c) => c[ri] ?? "")]));
        if (Math.max(...withCols.split("\n").map((l) => l.length)) > o.width) break;
        text = withCols.trimEnd().split("\n");
      }
    }
    lines.push(
      `${printable(g.title)}${rows.length > shown.length ? `  (${rows.length - shown.length} more)` : ""}`,
      ...text.map((l) => `  ${l}`),
      "",
    );
  }
  return lines;
}
