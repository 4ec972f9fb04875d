/**
 * @module views/top/kvm-frame
 * One frame of `top` in kvm_stat's layout: the headline ("kvm statistics - summary" or
 * "kvm statistics - pid N (name)", followed by `[simulated VM …]` when the default fell back to one), the regex line, the column heading `Event Total %Total
 * CurAvg/s` at kvm_stat's widths (40, 10, 7, 8), then per group its title, its rows sorted by
 * (delta, total) — or by total — with rows at 0/0 hidden, and a Total row. Beyond kvm_stat:
 * times in human units (`1.25 s`, `0.95 s/s` of time per second), histograms with p50/p90/p99
 * as bucket ranges, per-file drilldown, per-guest totals, and groups that went away shown with
 * their last frame.
 */
import { type Amount, amountText, compare, isPositive, isZero, plus } from "../../model/amount.js";
import type { StatDescriptor } from "../../model/descriptor.js";
import { printable } from "../../model/printable.js";
import { formatScaled, unitLabel } from "../../model/units.js";
import { scaledNumberText } from "../../model/value.js";
import { bucketText } from "../text/values.js";
import { clip, padEnd, padStart } from "../text/width.js";
import type { EventGroup, EventPart, EventRow } from "./events.js";
import { quantileBucket } from "./events.js";
import { allocateRows, GROUP_LINES } from "./rows.js";

/** A line of the frame and how it is emphasised (ignored without colour or a TTY). */
export interface Line {
  readonly text: string;
  readonly style?: "bold" | "standout" | "dim" | "alert" | undefined;
}

/** What the user chose (keys and options). */
export interface ViewState {
  /** `o`: sort by Total instead of (CurAvg/s, Total). */
  sortByTotal: boolean;
  /** `b`: one row per guest. */
  byGuest: boolean;
  /** `x`: per-file child rows. */
  drill: boolean;
  /** `-f` / `f`: regex text ('' for none). */
  fields: string;
  /** `-p` / `-g` / `p` / `g`: the pid shown ('' for the summary). */
  pid: string;
  /** The guest name of that pid, when known. */
  guest: string;
  /** `--all`: also rows at 0/0. */
  all?: boolean | undefined;
  /** What the default source fell back to (a simulated or demo VM), said in the headline. */
  shows?: string | undefined;
}

/** A group that went away: its last frame and when. */
export interface GoneGroup {
  readonly group: EventGroup;
  readonly goneAt: number;
  /** Why, when its source member failed. */
  readonly reason?: string | undefined;
}

/** Inputs of one frame. */
export interface FrameInput {
  readonly groups: readonly EventGroup[];
  readonly gone: readonly GoneGroup[];
  /** Lines about the source (a member stale or failed). */
  readonly notes: readonly string[];
  readonly state: ViewState;
  /** The pid shown is gone (kvm_stat's "Guest is DEAD"). */
  readonly dead?: boolean | undefined;
  /** Lines available (undefined: no limit, plain output). */
  readonly height?: number | undefined;
  /** Columns available (undefined: kvm_stat's widths). */
  readonly width?: number | undefined;
}

/** kvm_stat's name column; narrower on a narrow terminal so that the numbers stay on screen. */
let NAME_W = 40;

/** The name column for a terminal `width` columns wide: 40, or what leaves room for the numbers. */
export function nameWidth(width: number | undefined): number {
  // ` name total(10)pct(7) cur(8)`: 28 columns besides the name.
  return width === undefined || width >= 68 ? 40 : Math.max(8, width - 28);
}

function row(name: string, total: string, pct: string, cur: string, extra = ""): string {
  return ` ${padEnd(clip(name, NAME_W), NAME_W)} ${padStart(total, 10)}${padStart(pct, 7)} ${padStart(cur, 8)}${extra}`;
}

/** The headline: kvm_stat's summary or pid form. */
export function headline(state: ViewState): string {
  const shows = state.shows === undefined ? "" : `   [${printable(state.shows)}]`;
  if (state.pid === "") return `kvm statistics - summary${shows}`;
  return `kvm statistics - pid ${state.pid}${state.guest ? ` (${printable(state.guest)})` : ""}${shows}`;
}

function sortKey(state: ViewState) {
  return (a: { name: string; total: Amount; delta: Amount | undefined }, b: typeof a): number => {
    const byDelta = state.sortByTotal ? 0 : compare(b.delta ?? 0n, a.delta ?? 0n);
    if (byDelta !== 0) return byDelta;
    const byTotal = compare(b.total, a.total);
    if (byTotal !== 0) return byTotal;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  };
}

const KIND_ORDER = { count: 0, time: 1, gauge: 2 } as const;

/** Rows worth showing (not 0/0), sorted: counts, then times, then current values. */
export function visibleRows(rows: readonly EventRow[], state: ViewState): EventRow[] {
  const by = sortKey(state);
  return rows
    .filter((r) => state.all === true || !isZero(r.total) || (r.delta !== undefined && !isZero(r.delta)))
    .sort((a, b) => KIND_ORDER[a.kind] - KIND_ORDER[b.kind] || by(a, b));
}

/**
 * CurAvg/s of a count: delta per second rounded, as kvm_stat prints it; a rate of a double
 * (an f64 value) below 100/s keeps two decimals, so 0.25/s does not show as 0.
 */
function curAvg(delta: Amount | undefined, seconds: number): string {
  if (delta === undefined || seconds <= 0) return "";
  if (isZero(delta)) return "0";
  const r = Number(delta) / seconds;
  return typeof delta === "number" && Math.abs(r) < 100 ? String(Number(r.toFixed(2))) : String(Math.round(r));
}

/** A time statistic's rate as a share of time: seconds of it per second. */
function timeShare(d: StatDescriptor, delta: Amount | undefined, seconds: number): string {
  if (delta === undefined || seconds <= 0) return "";
  const s = (Number(delta) * 10 ** d.exponent) / seconds;
  return `${s < 10 ? s.toFixed(2) : s.toFixed(1)} s/s`;
}

/** A total exactly: a time in its unit's prefixes (an f64 time: its digits and the unit), a count in full. */
function totalText(r: { stat: StatDescriptor; kind: string; total: Amount }): string {
  if (r.kind !== "time") return amountText(r.total);
  const { unit, base, exponent } = r.stat;
  if (typeof r.total === "bigint") return formatScaled(r.total, unit, base, exponent);
  return `${scaledNumberText(r.total, base, exponent)} ${unitLabel(unit, base, 0)}`.trim();
}

/** `part` as a percentage of `whole` with one decimal; "" unless whole > 0. */
function share(part: Amount, whole: Amount): string {
  return isPositive(whole) ? ((Number(part) * 100) / Number(whole)).toFixed(1) : "";
}

/** p50/p90/p99 of a histogram, each as the bucket range that holds it. */
export function percentiles(d: StatDescriptor, buckets: readonly bigint[]): string {
  const out: string[] = [];
  for (const [p, name] of [
    [0.5, "p50"],
    [0.9, "p90"],
    [0.99, "p99"],
  ] as const) {
    const i = quantileBucket(buckets, p);
    if (i !== undefined) out.push(`${name} ${bucketText(d, i)}`);
  }
  return out.join("  ");
}

function eventLine(r: EventRow, groupTotal: Amount, seconds: number): string {
  const pct = r.counted ? share(r.total, groupTotal) : "";
  const cur = r.kind === "time" ? timeShare(r.stat, r.delta, seconds) : r.kind === "count" ? curAvg(r.delta, seconds) : "";
  const extra = r.buckets ? percentiles(r.stat, r.buckets) : "";
  return row(printable(r.name), totalText(r), pct, cur, extra ? `  ${extra}` : "");
}

function childLine(c: EventRow, parentTotal: Amount, seconds: number): string {
  const pct = c.kind === "count" ? share(c.total, parentTotal) : "";
  return row(`  ${printable(c.name)}`, totalText(c), pct, c.kind === "count" ? curAvg(c.delta, seconds) : "");
}

function partLine(r: EventRow, p: EventPart, seconds: number): string {
  const pct = r.kind === "count" ? share(p.total, r.total) : "";
  const cur = r.kind === "time" ? timeShare(r.stat, p.delta, seconds) : r.kind === "count" ? curAvg(p.delta, seconds) : "";
  return row(`  ${printable(p.label)}`, totalText({ stat: r.stat, kind: r.kind, total: p.total }), pct, cur);
}

/**
 * The parent of a child event (kvm_stat's `kvm_exit(HLT)` under `kvm_exit`, as the trace
 * route names exit reasons), when the parent is among `names`.
 */
export function parentOf(name: string, names: ReadonlySet<string>): string | undefined {
  const open = name.indexOf("(");
  if (open <= 0 || !name.endsWith(")")) return undefined;
  const parent = name.slice(0, open);
  return names.has(parent) ? parent : undefined;
}

/** Rows split into parents and, by parent name, their child events. */
function family(rows: readonly EventRow[]): { parents: EventRow[]; children: Map<string, EventRow[]> } {
  const names = new Set(rows.map((r) => r.name));
  const parents: EventRow[] = [];
  const children = new Map<string, EventRow[]>();
  for (const r of rows) {
    const p = parentOf(r.name, names);
    if (p === undefined) parents.push(r);
    else children.set(p, [...(children.get(p) ?? []), r]);
  }
  return { parents, children };
}

/**
 * Count totals over parent events (kvm_stat: child events only when there are no parents):
 * counts only — a histogram's sample count repeats a counter (halt_wait_hist, halt_exits) and
 * an aggregate companion repeats its value. `tallied`: only rows that count across groups.
 */
function countTotals(all: readonly EventRow[], tallied = false): { total: Amount; delta: Amount } {
  const { parents, children } = family(all);
  const sum = (rows: readonly EventRow[]) => {
    let total: Amount = 0n;
    let delta: Amount = 0n;
    for (const r of rows)
      if (r.counted && (!tallied || r.tallied)) {
        total = plus(total, r.total);
        delta = plus(delta, r.delta ?? 0n);
      }
    return { total, delta };
  };
  const t = sum(parents);
  return isZero(t.total) && isZero(t.delta) && children.size > 0 ? sum([...children.values()].flat()) : t;
}

function totalLine(rows: readonly EventRow[], seconds: number): string {
  const t = countTotals(rows);
  return row("Total", amountText(t.total), "", isPositive(t.delta) ? curAvg(t.delta, seconds) : "");
}

/** A group's lines: its rows (and drilldown parts), limited to `room` lines of rows. */
function groupLines(g: EventGroup, state: ViewState, room: number, goneAt?: number, reason?: string): Line[] {
  const { parents, children } = family(g.rows);
  const rows = visibleRows(parents, state);
  const { total } = countTotals(g.rows);
  // Only the lines that fit are formatted; the rest are counted for "(N more)".
  const body: string[] = [];
  let hidden = 0;
  const push = (make: () => string) => {
    if (body.length < room) body.push(make());
    else hidden++;
  };
  const byPart = (a: EventPart, b: EventPart): number => {
    const byDelta = state.sortByTotal ? 0 : compare(b.delta ?? 0n, a.delta ?? 0n);
    if (byDelta !== 0) return byDelta;
    const byTotal = compare(b.total, a.total);
    if (byTotal !== 0) return byTotal;
    return a.label < b.label ? -1 : a.label > b.label ? 1 : 0;
  };
  for (const r of rows) {
    push(() => eventLine(r, total, g.seconds));
    if (!state.drill) continue;
    // x: a trace event's children (exit reasons), each as a share of its parent.
    for (const c of visibleRows(children.get(r.name) ?? [], state)) push(() => childLine(c, r.total, g.seconds));
    if (r.parts && r.parts.length > 1) {
      const parts = r.parts.filter((p) => !isZero(p.total) || (p.delta !== undefined && !isZero(p.delta)));
      if (body.length >= room) hidden += parts.length;
      else for (const p of parts.sort(byPart)) push(() => partLine(r, p, g.seconds));
    }
  }
  const shown = body;
  const more = hidden > 0 ? `  (${hidden} more)` : "";
  const when = goneAt === undefined ? "" : `  — gone at ${new Date(goneAt).toTimeString().slice(0, 8)}${reason ? `: ${reason}` : ""}`;
  const out: Line[] = [{ text: ` ${printable(g.title)}${when}${more}`, style: goneAt === undefined ? "bold" : "alert" }];
  if (rows.length === 0 && goneAt === undefined) out.push({ text: " No matching events reported yet" });
  out.push(...shown.map((text) => (goneAt === undefined ? { text } : { text, style: "dim" as const })));
  if (rows.length > 0) out.push({ text: totalLine(g.rows, g.seconds), style: goneAt === undefined ? "bold" : "dim" });
  return out;
}

/** `b`: one row per guest (VM owner), summing the count statistics of all its files. */
function guestLines(groups: readonly EventGroup[], state: ViewState): Line[] {
  const owners = new Map<string, { name: string; total: Amount; delta: Amount | undefined; seconds: number }>();
  for (const g of groups) {
    const { guest, pid, member } = g.labels;
    // A producer's owner is its top-level source: its subordinates and label sets are inside it.
    const source = g.labels.source === undefined ? undefined : `/${g.labels.source.split("/")[1] ?? ""}`;
    const who = source !== undefined && member !== undefined ? `${source} member ${member}` : source;
    const name = guest ?? (pid !== undefined ? `pid ${pid}${member !== undefined ? ` member ${member}` : ""}` : (who ?? g.title));
    const key = `${guest ?? ""}\0${pid ?? ""}\0${member ?? ""}\0${source ?? ""}`;
    const t = countTotals(g.rows, true);
    const anyDelta = g.rows.some((r) => r.counted && r.tallied && r.delta !== undefined);
    const o = owners.get(key) ?? { name, total: 0n, delta: undefined, seconds: g.seconds };
    o.total = plus(o.total, t.total);
    if (anyDelta) o.delta = plus(o.delta ?? 0n, t.delta);
    owners.set(key, o);
  }
  const all = [...owners.values()];
  const sum = all.reduce<Amount>((s, o) => plus(s, o.total), 0n);
  const lines: Line[] = all
    .filter((o) => !isZero(o.total) || !isZero(o.delta ?? 0n))
    .sort(sortKey(state))
    .map((o) => ({ text: row(printable(o.name), amountText(o.total), share(o.total, sum), curAvg(o.delta, o.seconds)) }));
  const delta = all.reduce<Amount>((s, o) => plus(s, o.delta ?? 0n), 0n);
  const secs = all[0]?.seconds ?? 0;
  lines.push({ text: row("Total", amountText(sum), "", isPositive(delta) ? curAvg(delta, secs) : ""), style: "bold" });
  return lines;
}

/** The frame's lines. */
export function kvmFrame(f: FrameInput): Line[] {
  const { state } = f;
  NAME_W = nameWidth(f.width);
  const head = headline(state);
  const lines: Line[] = [{ text: f.dead ? `${head}   Guest is DEAD   ` : head, style: "bold" }];
  lines.push({
    text: state.fields
      ? `${" ".repeat(17)}regex filter: ${printable(state.fields.length > 30 ? `${state.fields.slice(0, 30)}...` : state.fields)}`
      : "",
  });
  lines.push({ text: row(state.byGuest ? "Guest Name" : "Event", "Total", "%Total", "CurAvg/s"), style: "standout" });
  for (const n of f.notes) lines.push({ text: ` ${n}`, style: "alert" });
  if (state.byGuest) {
    lines.push(...guestLines(f.groups, state));
    return f.height === undefined ? lines : lines.slice(0, f.height);
  }
  let all = [...f.groups.map((group) => ({ group, goneAt: undefined, reason: undefined }) as const), ...f.gone];
  // More groups than fit with one row each: the first that fit, then one line saying how many more.
  let more = 0;
  if (f.height !== undefined) {
    const fit = Math.max(1, Math.floor((f.height - lines.length - 1) / (GROUP_LINES + 1)));
    if (all.length > fit) {
      more = all.length - fit;
      all = all.slice(0, fit);
    }
  }
  const needs = all.map(({ group }) => {
    const rows = visibleRows(state.drill ? group.rows : family(group.rows).parents, state);
    const parts = state.drill ? rows.reduce((s, r) => s + (r.parts && r.parts.length > 1 ? r.parts.length : 0), 0) : 0;
    return Math.max(1, rows.length + parts);
  });
  const room = allocateRows(needs, f.height === undefined ? undefined : f.height - lines.length - (more > 0 ? 1 : 0));
  for (const [i, { group, goneAt, reason }] of all.entries()) {
    lines.push(...groupLines(group, state, room[i] ?? 0, goneAt, reason), { text: "" });
  }
  if (more > 0) lines.push({ text: ` (${more} more group${more === 1 ? "" : "s"}: f filters, p/g picks a guest, b totals)`, style: "dim" });
  return f.height === undefined ? lines : lines.slice(0, f.height);
}

/** kvm_stat's interactive commands reference (`h`). */
export const KEYS_HELP: readonly string[] = [
  "   b     toggle events by guests (honors filters)",
  "   c     clear filter",
  "   f     filter by regular expression",
  "   g     filter by guest name/PID",
  "   h     display interactive commands reference",
  "   o     toggle sorting order (Total vs CurAvg/s)",
  "   p     filter by guest name/PID",
  "   q     quit",
  "   r     reset stats",
  "   s     set delay between refreshs (value range: 0.1-25.5 secs)",
  "   x     toggle reporting of stats for individual child events (vCPUs, files)",
  "Any other key refreshes statistics immediately",
];

/** The help screen. */
export function helpFrame(): Line[] {
  return [
    { text: "Interactive commands reference", style: "bold" },
    { text: "" },
    { text: "Press any key to exit", style: "standout" },
    { text: "" },
    ...KEYS_HELP.map((text) => ({ text })),
  ];
}

/** A prompt screen (f, g/p, s): title, current value, the input so far, a message, a list. */
export function promptFrame(p: {
  title: string;
  current?: string | undefined;
  label: string;
  input: string;
  message?: string | undefined;
  list?: readonly string[] | undefined;
}): Line[] {
  const lines: Line[] = [{ text: p.title, style: "bold" }, { text: "" }];
  lines.push({ text: p.current ?? "" });
  lines.push({ text: `${p.label}${printable(p.input)}` });
  lines.push({ text: "" });
  lines.push({ text: p.message ? printable(p.message) : "" });
  if (p.list) lines.push({ text: "" }, ...p.list.map((text) => ({ text })));
  return lines;
}
