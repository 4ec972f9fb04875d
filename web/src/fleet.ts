/**
 * @module web/fleet
 * The fleet: one row per VM (guest, pid, vCPUs, route, state with its reason, exits/s, io and
 * halt exits/s, share of vCPU time in halt wait, halt-poll success) and one per producer source
 * or other origin (its counters' rates and its gauges), sortable by any column and filtered by
 * text. Rows are kept element by element and only changed text is written, so 200+ VMs update
 * every second without re-building the table.
 */
import { clock, exact, num, percentText, rateText, secondsPerSecond, shareText, valueText } from "../../src/views/web/format.js";
import type { EntityMeta, FleetValues, StatMeta } from "../../src/views/web/protocol.js";
import { h, setAttr, setText } from "./dom.js";

/** One cell's text, tooltip and sort value. */
interface Cell {
  readonly text: string;
  readonly title?: string;
  readonly sort: number | string;
}

/** A column of a table. */
interface Column {
  readonly id: string;
  readonly label: string;
  readonly title: string;
  readonly numeric: boolean;
  cell(m: EntityMeta, v: FleetValues | undefined, seconds: number): Cell;
}

export interface Entry {
  meta: EntityMeta;
  values: FleetValues | undefined;
}

function statIndex(m: EntityMeta, name: string): number {
  return m.stats.findIndex((s) => s.name === name);
}

function stateCell(m: EntityMeta): Cell {
  const when = m.goneAt === undefined ? "" : ` at ${clock(m.goneAt)}`;
  const text = `${m.state}${when}${m.reason ? `: ${m.reason}` : ""}`;
  return { text, title: text, sort: m.state === "ok" ? 0 : m.state === "stale" ? 1 : m.state === "failed" ? 2 : 3 };
}

function rateCell(m: EntityMeta, v: FleetValues | undefined, seconds: number, name: string): Cell {
  const i = statIndex(m, name);
  if (i < 0 || !v) return { text: "–", sort: -1 };
  const d = v.d[i];
  if (d === null || d === undefined || !(seconds > 0)) return { text: "–", title: `total ${v.t[i] ?? ""}`, sort: -1 };
  const r = num(d) / seconds;
  return { text: rateText(r), title: `${exact(d)} ${name} in ${seconds.toFixed(3)} s; total ${v.t[i] ?? ""}`, sort: r };
}

/** Columns of the VM table. */
export const VM_COLUMNS: readonly Column[] = [
  {
    id: "name",
    label: "Guest",
    title: "guest name (QEMU -name), or the VM's pid",
    numeric: false,
    cell: (m) => ({ text: m.name, sort: m.name.toLowerCase() }),
  },
  {
    id: "pid",
    label: "PID",
    title: "process id of the VMM",
    numeric: true,
    cell: (m) => ({ text: m.pid ?? "–", sort: Number(m.pid ?? -1) }),
  },
  { id: "vcpus", label: "vCPUs", title: "vCPU stats files", numeric: true, cell: (m) => ({ text: String(m.vcpus), sort: m.vcpus }) },
  {
    id: "route",
    label: "Route",
    title: "how its statistics are read (fd, qmp, debugfs, trace)",
    numeric: false,
    cell: (m) => ({ text: m.routes.join(", ") || m.provider, sort: m.routes.join(",") }),
  },
  { id: "state", label: "State", title: "ok, stale (last values), failed or gone, with the reason", numeric: false, cell: stateCell },
  { id: "exits", label: "exits/s", title: "exits per second, all vCPUs", numeric: true, cell: (m, v, s) => rateCell(m, v, s, "exits") },
  {
    id: "io",
    label: "io exits/s",
    title: "io_exits per second, all vCPUs",
    numeric: true,
    cell: (m, v, s) => rateCell(m, v, s, "io_exits"),
  },
  {
    id: "halt",
    label: "halt exits/s",
    title: "halt_exits per second, all vCPUs",
    numeric: true,
    cell: (m, v, s) => rateCell(m, v, s, "halt_exits"),
  },
  {
    id: "wait",
    label: "halt wait",
    title: "share of vCPU time in halt wait (halt_wait_ns per second ÷ vCPUs)",
    numeric: true,
    cell: (m, v, s) => {
      const i = statIndex(m, "halt_wait_ns");
      const st = m.stats[i];
      const d = v?.d[i];
      if (!st || d === null || d === undefined || !(s > 0) || m.vcpus === 0) return { text: "–", sort: -1 };
      const sps = secondsPerSecond(st, num(d), s);
      const pct = (sps / m.vcpus) * 100;
      return { text: percentText(pct), title: `${shareText(sps)} over ${m.vcpus} vCPUs (${exact(d)} ns in ${s.toFixed(3)} s)`, sort: pct };
    },
  },
  {
    id: "poll",
    label: "poll success",
    title: "halt_successful_poll ÷ halt_attempted_poll in the interval",
    numeric: true,
    cell: (m, v) => {
      const a = statIndex(m, "halt_attempted_poll");
      const ok = statIndex(m, "halt_successful_poll");
      if (a < 0 || ok < 0 || !v) return { text: "–", title: a < 0 ? "no halt_attempted_poll statistic" : "", sort: -1 };
      const da = num(v.d[a]);
      const dok = num(v.d[ok]);
      if (!(da > 0)) return { text: "–", title: "no halt polls in the interval", sort: -1 };
      const p = (dok / da) * 100;
      return { text: percentText(p), title: `${exact(v.d[ok])} of ${exact(v.d[a])} polls succeeded`, sort: p };
    },
  },
];

/** A producer's or other origin's values in a line: counters as rates, gauges as values. */
function valuesCell(m: EntityMeta, v: FleetValues | undefined, seconds: number): Cell {
  if (!v) return { text: "", sort: 0 };
  const parts: string[] = [];
  const tips: string[] = [];
  let sort = 0;
  for (const [i, s] of m.stats.entries()) {
    const d = v.d[i];
    tips.push(`${s.name}: total ${totalText(s, v.t[i])}`);
    if (s.kind === "gauge") parts.push(`${s.name} ${valueText(s, d ?? null)}`);
    else if (d === null || d === undefined || !(seconds > 0)) parts.push(`${s.name} –`);
    else if (s.kind === "time") parts.push(`${s.name} ${shareText(secondsPerSecond(s, num(d), seconds))}`);
    else {
      const r = num(d) / seconds;
      sort += r;
      parts.push(`${s.name} ${rateText(r)}`);
    }
  }
  return { text: parts.join(" · "), title: tips.join("\n"), sort };
}

function totalText(s: StatMeta, t: string | undefined): string {
  if (t === undefined) return "";
  return s.kind === "time" || s.kind === "gauge" ? `${valueText(s, t)} (${t})` : t;
}

/** Columns of the producers' and other origins' table. */
export const SOURCE_COLUMNS: readonly Column[] = [
  {
    id: "name",
    label: "Source",
    title: "producer source, or origin",
    numeric: false,
    cell: (m) => ({ text: m.name, sort: m.name.toLowerCase() }),
  },
  {
    id: "provider",
    label: "Provider",
    title: "provider of its stats files",
    numeric: false,
    cell: (m) => ({ text: m.provider, sort: m.provider }),
  },
  {
    id: "files",
    label: "Files",
    title: "stats files (sources, label sets, processes)",
    numeric: true,
    cell: (m) => ({ text: String(m.files), sort: m.files }),
  },
  { id: "state", label: "State", title: "ok, stale, failed or gone, with the reason", numeric: false, cell: stateCell },
  { id: "values", label: "Values (root source)", title: "counters per second, gauges now", numeric: true, cell: valuesCell },
];

interface RowEls {
  readonly tr: HTMLTableRowElement;
  readonly tds: HTMLTableCellElement[];
}

/** A sortable, filterable table of entities that updates in place. */
export class FleetTable {
  readonly el: HTMLTableElement;
  readonly #cols: readonly Column[];
  readonly #body: HTMLTableSectionElement;
  readonly #heads: HTMLTableCellElement[];
  readonly #rows = new Map<string, RowEls>();
  readonly #padTop: HTMLTableRowElement;
  readonly #padBottom: HTMLTableRowElement;
  #rowH = 27;
  sort: string;
  dir: 1 | -1;

  constructor(
    cols: readonly Column[],
    sort: string,
    dir: 1 | -1,
    onSort: (col: string, dir: 1 | -1) => void,
    onOpen: (key: string) => void,
  ) {
    this.#cols = cols;
    this.sort = cols.some((c) => c.id === sort) ? sort : (cols[0]?.id ?? "name");
    this.dir = dir;
    this.#heads = cols.map((c) => {
      const th = h("th", { title: c.title, class: c.numeric ? "num" : undefined, "data-col": c.id }, c.label);
      th.addEventListener("click", () => {
        const d: 1 | -1 = this.sort === c.id ? (this.dir === 1 ? -1 : 1) : c.numeric ? -1 : 1;
        this.sort = c.id;
        this.dir = d;
        onSort(c.id, d);
      });
      return th;
    });
    this.#body = h("tbody");
    this.#padTop = h("tr", { class: "pad", "aria-hidden": "true" }, h("td", { colspan: String(cols.length) }));
    this.#padBottom = h("tr", { class: "pad", "aria-hidden": "true" }, h("td", { colspan: String(cols.length) }));
    this.el = h(
      "table",
      { class: `fleet ${cols === VM_COLUMNS ? "vms" : "sources"}` },
      h("thead", {}, h("tr", {}, ...this.#heads)),
      this.#body,
    );
    this.#body.addEventListener("click", (e) => {
      const tr = (e.target as Element | null)?.closest("tr");
      const key = tr?.dataset.key;
      if (key !== undefined) onOpen(key);
    });
  }

  /**
   * Shows `entries` that match `filter`, sorted; returns how many match. Only the rows in and
   * near the window are in the document (spacer rows stand for the rest), so a fleet of
   * hundreds of VMs costs the browser the same layout and paint as a screenful.
   */
  update(entries: readonly Entry[], seconds: number, filter: string): number {
    const f = filter.trim().toLowerCase();
    const shown: { e: Entry; cells: Cell[] }[] = [];
    const seen = new Set<string>();
    for (const e of entries) {
      const cells = this.#cols.map((c) => c.cell(e.meta, e.values, seconds));
      seen.add(e.meta.key);
      if (f && !cells.some((c) => c.text.toLowerCase().includes(f))) continue;
      shown.push({ e, cells });
    }
    for (const k of this.#rows.keys()) if (!seen.has(k)) this.#rows.delete(k);
    const ci = Math.max(
      0,
      this.#cols.findIndex((c) => c.id === this.sort),
    );
    const dir = this.dir;
    shown.sort((a, b) => {
      const x = a.cells[ci]?.sort ?? 0;
      const y = b.cells[ci]?.sort ?? 0;
      if (x !== y) return (x < y ? -1 : 1) * dir;
      const n = a.cells[0]?.sort ?? "";
      const m = b.cells[0]?.sort ?? "";
      return n < m ? -1 : n > m ? 1 : a.e.meta.key < b.e.meta.key ? -1 : 1;
    });
    // The window: rows from the table's top to the viewport's bottom, with a margin.
    const top = this.#body.getBoundingClientRect().top;
    const view = window.innerHeight || 900;
    const rowH = this.#rowH;
    const first = Math.max(0, Math.floor(-top / rowH) - 20);
    const last = Math.min(shown.length, Math.ceil((view - top) / rowH) + 20);
    const trs: HTMLTableRowElement[] = [];
    for (let i = first; i < last; i++) {
      const item = shown[i];
      if (!item) continue;
      const { e, cells } = item;
      let r = this.#rows.get(e.meta.key);
      if (!r) {
        const tds = this.#cols.map((c) => h("td", { class: c.numeric ? "num" : undefined }));
        const tr = h("tr", { tabindex: "0" }, ...tds);
        tr.dataset.key = e.meta.key;
        r = { tr, tds };
        this.#rows.set(e.meta.key, r);
      }
      setAttr(r.tr, "class", `state-${e.meta.state}`);
      for (const [j, c] of cells.entries()) {
        const td = r.tds[j];
        if (!td) continue;
        setText(td, c.text);
        setAttr(td, "title", c.title ?? c.text);
      }
      trs.push(r.tr);
    }
    padHeight(this.#padTop, first * rowH);
    padHeight(this.#padBottom, Math.max(0, shown.length - last) * rowH);
    const order = [this.#padTop, ...trs, this.#padBottom];
    const now = this.#body.children;
    if (now.length !== order.length || order.some((tr, i) => now[i] !== tr)) this.#body.replaceChildren(...order);
    const measured = trs[0]?.getBoundingClientRect().height;
    if (measured && measured > 10) this.#rowH = measured;
    setAttr(this.el, "data-shown", String(shown.length));
    for (const [i, th] of this.#heads.entries()) {
      const c = this.#cols[i];
      setAttr(th, "aria-sort", c?.id === this.sort ? (this.dir === 1 ? "ascending" : "descending") : "none");
    }
    return shown.length;
  }
}

/** Sets a spacer row's height (its one cell's); 0 hides it. */
function padHeight(tr: HTMLTableRowElement, px: number): void {
  const td = tr.firstElementChild as HTMLElement | null;
  if (!td) return;
  const v = `${px}px`;
  if (td.style.height !== v) td.style.height = v;
  tr.hidden = px === 0;
}
