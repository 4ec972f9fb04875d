/**
 * @module web/main
 * The dashboard page: connects to `/api/events` (Server-Sent Events; the browser reconnects by
 * itself), keeps the fleet and, when one is selected, one entity in depth. The URL keeps the
 * selection (`?e=KEY`, sort, filter, the per-vCPU statistic), so every view can be linked to
 * and the Back button works. Rendering waits for the next animation frame, once per event.
 */
import { clock } from "../../src/views/web/format.js";
import type { DetailEvent, FleetEvent, FleetValues, MemberNote } from "../../src/views/web/protocol.js";
import { clear, h, setText } from "./dom.js";
import { EntityView } from "./entity.js";
import { type Entry, FleetTable, SOURCE_COLUMNS, VM_COLUMNS } from "./fleet.js";

interface Selection {
  e: string | undefined;
  sort: string;
  dir: 1 | -1;
  q: string;
  v: string;
}

function readUrl(): Selection {
  const p = new URLSearchParams(location.search);
  return {
    e: p.get("e") ?? undefined,
    sort: p.get("sort") ?? "exits",
    dir: p.get("dir") === "asc" ? 1 : -1,
    q: p.get("q") ?? "",
    v: p.get("v") ?? "exits",
  };
}

function writeUrl(s: Selection, push: boolean): void {
  const p = new URLSearchParams();
  if (s.e !== undefined) p.set("e", s.e);
  if (s.sort !== "exits") p.set("sort", s.sort);
  if (s.dir === 1) p.set("dir", "asc");
  if (s.q) p.set("q", s.q);
  if (s.v !== "exits") p.set("v", s.v);
  const url = `${location.pathname}${p.size ? `?${p}` : ""}`;
  if (push) history.pushState(null, "", url);
  else history.replaceState(null, "", url);
}

const entries = new Map<string, Entry>();
let notes: readonly MemberNote[] = [];
let last: { seq: number; wall: number; seconds: number; interval: number } | undefined;
let sel = readUrl();
let view: EntityView | undefined;
let source: EventSource | undefined;
let scheduled = false;

const status = h("span", { class: "status" }, "connecting…");
const crumbs = h("nav", { class: "crumbs" });
const summary = h("span", { class: "summary" });
const filter = h("input", { type: "search", placeholder: "filter: guest, pid, route, state…", "aria-label": "filter" });
filter.value = sel.q;
const noteBox = h("div", { class: "notes" });
const vmCount = h("span", { class: "count" });
const srcCount = h("span", { class: "count" });
const vmTable = new FleetTable(VM_COLUMNS, sel.sort, sel.dir, onSort, open);
const srcTable = new FleetTable(SOURCE_COLUMNS, sel.sort === "exits" ? "values" : sel.sort, sel.dir, onSort, open);
const vmSection = h("section", { class: "card" }, h("h2", {}, "Virtual machines ", vmCount), h("div", { class: "scroll" }, vmTable.el));
const srcSection = h(
  "section",
  { class: "card" },
  h("h2", {}, "Producers and other sources ", srcCount),
  h("div", { class: "scroll" }, srcTable.el),
);
const fleetView = h("div", { class: "fleet-view" }, h("div", { class: "toolbar" }, filter, summary), noteBox, vmSection, srcSection);
const entityBox = h("div", { class: "entity-view" });
const main = h("main", {}, fleetView, entityBox);

document.body.append(
  h("header", {}, h("a", { class: "brand", href: "/" }, "statsfs"), crumbs, h("span", { class: "spacer" }), status),
  main,
  h("footer", {}, "statsfs dashboard · read-only · every number from the one sampler of this server · u64 totals exact in tooltips"),
);

function onSort(col: string, dir: 1 | -1): void {
  sel.sort = col;
  sel.dir = dir;
  vmTable.sort = col;
  vmTable.dir = dir;
  srcTable.sort = col;
  srcTable.dir = dir;
  writeUrl(sel, false);
  schedule();
}

function open(key: string): void {
  sel.e = key;
  writeUrl(sel, true);
  route();
}

filter.addEventListener("input", () => {
  sel.q = filter.value;
  writeUrl(sel, false);
  schedule();
});

crumbs.addEventListener("click", (e) => {
  const a = (e.target as Element | null)?.closest("a");
  if (!a) return;
  e.preventDefault();
  sel.e = undefined;
  writeUrl(sel, true);
  route();
});

// The fleet tables hold only the rows near the window: scrolling asks for a frame.
window.addEventListener("scroll", () => schedule(), { passive: true });
window.addEventListener("resize", () => schedule());

window.addEventListener("popstate", () => {
  sel = readUrl();
  filter.value = sel.q;
  route();
});

function connect(): void {
  source?.close();
  const url = sel.e === undefined ? "/api/events" : `/api/events?e=${encodeURIComponent(sel.e)}`;
  const es = new EventSource(url);
  source = es;
  es.addEventListener("open", () => setText(status, "live"));
  es.addEventListener("error", () => {
    status.className = "status off";
    setText(status, es.readyState === EventSource.CLOSED ? "disconnected" : "reconnecting…");
  });
  es.addEventListener("fleet", (m) => onFleet(JSON.parse((m as MessageEvent<string>).data) as FleetEvent));
  es.addEventListener("detail", (m) => onDetail(JSON.parse((m as MessageEvent<string>).data) as DetailEvent));
}

function onFleet(ev: FleetEvent): void {
  for (const m of ev.meta) {
    const e = entries.get(m.key);
    if (e) e.meta = m;
    else entries.set(m.key, { meta: m, values: undefined });
    if (view && view.key === m.key) view.setMeta(m);
  }
  for (const k of ev.dropped) entries.delete(k);
  const byKey = new Map<string, FleetValues>(ev.values.map((v) => [v.key, v]));
  for (const [k, e] of entries) e.values = byKey.get(k) ?? e.values;
  notes = ev.notes;
  last = { seq: ev.seq, wall: ev.wall, seconds: ev.seconds, interval: ev.interval };
  status.className = "status";
  setText(status, `live · ${clock(ev.wall)}`);
  if (sel.e !== undefined && !view) route();
  schedule();
}

function onDetail(ev: DetailEvent): void {
  if (!view || view.key !== ev.key || !last) return;
  view.apply(ev, last.wall, last.seconds);
  schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    render();
  });
}

function render(): void {
  const seconds = last?.seconds ?? 0;
  if (sel.e === undefined) {
    const all = [...entries.values()];
    const vms = all.filter((e) => e.meta.kind === "vm");
    const srcs = all.filter((e) => e.meta.kind !== "vm");
    const nv = vmTable.update(vms, seconds, sel.q);
    const ns = srcTable.update(srcs, seconds, sel.q);
    setText(vmCount, nv === vms.length ? `(${vms.length})` : `(${nv} of ${vms.length})`);
    setText(srcCount, ns === srcs.length ? `(${srcs.length})` : `(${ns} of ${srcs.length})`);
    srcSection.hidden = srcs.length === 0;
    vmSection.hidden = vms.length === 0 && srcs.length > 0;
    const bad = all.filter((e) => e.meta.state !== "ok").length;
    setText(
      summary,
      `${vms.length} VM${vms.length === 1 ? "" : "s"} · ${srcs.length} other source${srcs.length === 1 ? "" : "s"}${bad ? ` · ${bad} not ok` : ""} · sample every ${(last?.interval ?? 1000) / 1000} s`,
    );
    clear(noteBox);
    for (const n of notes) noteBox.append(h("div", { class: "note" }, `${n.uri}: ${n.state}${n.reason ? `: ${n.reason}` : ""}`));
  } else view?.frame();
  if (last) document.body.dataset.seq = String(last.seq);
}

function route(): void {
  clear(crumbs);
  crumbs.append(h("a", { href: "/" }, "Fleet"));
  if (sel.e === undefined) {
    view?.destroy();
    view = undefined;
    clear(entityBox);
    fleetView.hidden = false;
    document.title = "statsfs · fleet";
    if (source === undefined || source.url.includes("?e=")) connect();
    schedule();
    return;
  }
  fleetView.hidden = true;
  const e = entries.get(sel.e);
  if (view?.key !== sel.e) {
    view?.destroy();
    view = undefined;
    clear(entityBox);
    if (e) {
      view = new EntityView(e.meta, last?.interval ?? 1000, sel.v, (v) => {
        sel.v = v;
        writeUrl(sel, false);
      });
      entityBox.append(view.el);
    } else if (last)
      entityBox.append(h("div", { class: "note" }, "Nothing with this name is being shown (it may have gone before this page opened)."));
    if (source === undefined || !source.url.endsWith(`?e=${encodeURIComponent(sel.e)}`)) connect();
  }
  crumbs.append(" › ", h("span", {}, e?.meta.name ?? "…"));
  document.title = `statsfs · ${e?.meta.name ?? ""}`;
  schedule();
}

route();
