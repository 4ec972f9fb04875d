/**
 * @module web/entity
 * One entity in depth. A VM: its rates over the last 15 minutes (exits, io and halt exits per
 * second; share of vCPU time in halt wait; halt-poll success), a vCPU × time heatmap of a
 * chosen statistic (one hot vCPU among 256 stands out), every histogram as a bucket × time
 * heatmap with p50/p90/p99 as the buckets that hold them, and every statistic with its exact
 * total. A producer source: its counters and gauges over time, its files and label sets, its
 * histograms the same way. Charts name their statistic and unit.
 */
import {
  bucketRange,
  clock,
  exact,
  num,
  percentText,
  QUANTILES,
  quantileBucket,
  rateText,
  secondsPerSecond,
  shareText,
  statTitle,
  valueText,
} from "../../src/views/web/format.js";
import { type DetailEvent, type EntityMeta, PER_VCPU_STATS, type StatMeta } from "../../src/views/web/protocol.js";
import { TimeChart } from "./chart.js";
import { clear, h, setAttr, setText } from "./dom.js";
import { Heatmap } from "./heatmap.js";
import { Ring } from "./ring.js";

const BAND_COLORS: Readonly<Record<string, string>> = { p50: "#ffffff", p90: "#5ce1e6", p99: "#ef5b7c" };

/** A statistic's value per second (counts), seconds per second (times) or value (gauges), from a ring slot. */
function perSecond(s: StatMeta, v: number, seconds: number): number {
  if (s.kind === "gauge") return v;
  if (!(seconds > 0)) return Number.NaN;
  return s.kind === "time" ? secondsPerSecond(s, v, seconds) : v / seconds;
}

function rateOf(s: StatMeta, v: number): string {
  return s.kind === "time"
    ? shareText(v)
    : s.kind === "gauge"
      ? valueText(s, Number.isFinite(v) ? String(Math.round(v)) : null)
      : rateText(v);
}

interface HistPanel {
  readonly stat: StatMeta;
  readonly map: Heatmap;
  readonly q: HTMLDivElement;
}

interface StatRow {
  readonly tr: HTMLTableRowElement;
  readonly now: HTMLTableCellElement;
  readonly total: HTMLTableCellElement;
}

export class EntityView {
  readonly el: HTMLDivElement;
  readonly key: string;
  readonly #ring: Ring;
  #meta: EntityMeta;
  #last: DetailEvent | undefined;
  readonly #head: HTMLDivElement;
  readonly #notes: HTMLDivElement;
  readonly #charts: HTMLDivElement;
  readonly #vcpu: HTMLDivElement;
  readonly #hists: HTMLDivElement;
  readonly #table: HTMLTableSectionElement;
  #chartList: { chart: TimeChart; lines: ((slot: number) => number)[] }[] = [];
  #chosen: { chart: TimeChart; stat: StatMeta } | undefined;
  readonly #chosenBox: HTMLDivElement;
  #vmap: Heatmap | undefined;
  #vstat: string;
  readonly #onVstat: (s: string) => void;
  #histPanels = new Map<string, HistPanel>();
  #statRows = new Map<string, StatRow>();
  #shape = "";
  #history: "none" | "asked" | "done" = "none";
  #dirty = false;

  constructor(meta: EntityMeta, intervalMs: number, vstat: string, onVstat: (s: string) => void) {
    this.key = meta.key;
    this.#meta = meta;
    this.#ring = new Ring(intervalMs);
    this.#vstat = vstat;
    this.#onVstat = onVstat;
    this.#head = h("div", { class: "entity-head" });
    this.#notes = h("div", { class: "notes" });
    this.#charts = h("div", { class: "grid" });
    this.#chosenBox = h("div", { class: "chosen" });
    this.#vcpu = h("div");
    this.#hists = h("div", { class: "grid hists" });
    this.#table = h("tbody");
    this.el = h(
      "div",
      { class: "entity" },
      this.#head,
      this.#notes,
      this.#charts,
      this.#chosenBox,
      this.#vcpu,
      this.#hists,
      h(
        "section",
        { class: "card" },
        h("h3", {}, "Every statistic (click one to chart it)"),
        h(
          "table",
          { class: "stats" },
          h(
            "thead",
            {},
            h(
              "tr",
              {},
              h("th", {}, "Part"),
              h("th", {}, "Statistic"),
              h("th", {}, "Kind"),
              h("th", { class: "num" }, "Now"),
              h("th", { class: "num" }, "Total"),
            ),
          ),
          this.#table,
        ),
      ),
    );
    this.#table.addEventListener("click", (e) => {
      const tr = (e.target as Element | null)?.closest("tr");
      const id = tr?.dataset.stat;
      const s = id === undefined ? undefined : this.#statById(id);
      if (s) this.#choose(s);
    });
    this.#renderHead();
  }

  #statById(id: string): StatMeta | undefined {
    for (const p of this.#last?.parts ?? []) for (const s of p.stats) if (s.id === id) return s;
    return undefined;
  }

  setMeta(meta: EntityMeta): void {
    this.#meta = meta;
    this.#renderHead();
  }

  #renderHead(): void {
    const m = this.#meta;
    clear(this.#head);
    const facts: string[] = [];
    if (m.kind === "vm") {
      if (m.pid !== undefined) facts.push(`pid ${m.pid}`);
      facts.push(`${m.vcpus} vCPU${m.vcpus === 1 ? "" : "s"}`);
      if (m.routes.length) facts.push(`route ${m.routes.join(", ")}`);
      if (m.vmm !== undefined) facts.push(m.vmm);
      if (m.uuid !== undefined) facts.push(`uuid ${m.uuid}`);
    } else {
      facts.push(`provider ${m.provider}`, `${m.files} file${m.files === 1 ? "" : "s"}`);
    }
    this.#head.append(
      h(
        "h2",
        {},
        h("span", { class: "kind" }, m.kind === "vm" ? "VM" : m.kind === "producer" ? "Producer" : "Source"),
        " ",
        h("span", { class: "ename" }, m.name),
      ),
      h("div", { class: "facts" }, facts.join(" · "), " · ", h("span", { class: `badge state-${m.state}` }, m.state)),
    );
    clear(this.#notes);
    if (m.state !== "ok") {
      const when = m.goneAt === undefined ? "" : ` at ${clock(m.goneAt)}`;
      const what =
        m.state === "gone"
          ? `This ${m.kind === "vm" ? "VM" : "source"} went away${when}; the values shown are its last.`
          : m.state === "failed"
            ? `Its source failed${when}; the values shown are its last.`
            : "Its source did not answer the last poll in time; the values shown are its last.";
      this.#notes.append(h("div", { class: "note" }, what, m.reason ? ` Reason: ${m.reason}` : ""));
    }
  }

  /** Asks for the history once (after the first detail event fixed the statistics). */
  async #fetchHistory(): Promise<void> {
    this.#history = "asked";
    try {
      const r = await fetch(`/api/history?e=${encodeURIComponent(this.key)}`);
      if (!r.ok) throw new Error(`history: HTTP ${r.status}`);
      const buf = await r.arrayBuffer();
      const stats = new Map<string, StatMeta>();
      for (const p of this.#last?.parts ?? []) for (const s of p.stats) stats.set(s.id, s);
      this.#ring.applyHistory(buf, stats);
    } catch (e) {
      this.#notes.append(h("div", { class: "note" }, `No history: ${e instanceof Error ? e.message : String(e)}`));
    }
    this.#history = "done";
    this.#dirty = true;
  }

  /** Takes one `detail` event (its fleet event gave the time and interval). */
  apply(ev: DetailEvent, wall: number, seconds: number): void {
    this.#last = ev;
    this.#ring.applyDetail(ev, wall, seconds);
    const shape = JSON.stringify(ev.parts.map((p) => [p.id, p.stats.map((s) => s.id)]));
    if (shape !== this.#shape) {
      this.#shape = shape;
      this.#build(ev);
    }
    if (this.#history === "none") void this.#fetchHistory();
    this.#dirty = true;
  }

  /** Draws what changed since the last frame. */
  frame(): void {
    if (!this.#dirty || !this.#last) return;
    this.#dirty = false;
    const ev = this.#last;
    const slots = this.#ring.ordered();
    const x = slots.map((s) => (this.#ring.walls[s] ?? 0) / 1000);
    for (const c of this.#chartList)
      c.chart.update(
        x,
        c.lines.map((f) => slots.map((s) => nullIfNaN(f(s)))),
      );
    if (this.#chosen) {
      const { chart, stat } = this.#chosen;
      const a = this.#ring.series.get(stat.id);
      chart.update(x, [slots.map((s) => nullIfNaN(perSecond(stat, a?.[s] ?? Number.NaN, this.#ring.seconds[s] ?? 0)))]);
    }
    this.#drawVcpus(slots);
    for (const p of this.#histPanels.values()) this.#drawHist(p, slots);
    this.#updateTable(ev);
    document.body.dataset.detailSeq = String(ev.seq);
    document.body.dataset.slots = String(slots.length);
  }

  #series(id: string, f: (v: number, seconds: number) => number): (slot: number) => number {
    return (slot) => {
      const a = this.#ring.series.get(id);
      return f(a?.[slot] ?? Number.NaN, this.#ring.seconds[slot] ?? 0);
    };
  }

  #build(ev: DetailEvent): void {
    for (const c of this.#chartList) c.chart.destroy();
    this.#chartList = [];
    clear(this.#charts);
    clear(this.#hists);
    this.#histPanels.clear();
    const m = this.#meta;
    const find = (part: string, name: string) => ev.parts.find((p) => p.id === part)?.stats.find((s) => s.name === name);
    if (m.kind === "vm") {
      const exits = ["exits", "io_exits", "halt_exits"].flatMap((n) => (find("vcpu", n) ? [find("vcpu", n) as StatMeta] : []));
      if (exits.length) {
        this.#addChart(
          `Exits (/s, sum of ${m.vcpus} vCPUs): ${exits.map((s) => s.name).join(", ")}`,
          exits.map((s) => ({ label: s.name, f: this.#series(s.id, (v, sec) => v / sec) })),
          rateText,
        );
      }
      const wait = find("vcpu", "halt_wait_ns");
      if (wait)
        this.#addChart(
          "Halt wait (% of vCPU time): halt_wait_ns per second ÷ vCPUs",
          [
            {
              label: "halt wait",
              f: this.#series(wait.id, (v, sec) => (secondsPerSecond(wait, v, sec) / Math.max(1, this.#meta.vcpus)) * 100),
            },
          ],
          percentText,
          [0, 100],
        );
      const ok = find("vcpu", "halt_successful_poll");
      const att = find("vcpu", "halt_attempted_poll");
      if (ok && att) {
        const fok = this.#series(ok.id, (v) => v);
        const fatt = this.#series(att.id, (v) => v);
        this.#addChart(
          "Halt-poll success (%): halt_successful_poll ÷ halt_attempted_poll",
          [{ label: "success", f: (s) => (fatt(s) > 0 ? (fok(s) / fatt(s)) * 100 : Number.NaN) }],
          percentText,
          [0, 100],
        );
      }
      const vmPart = ev.parts.find((p) => p.id === "vm");
      const vmCounts = (vmPart?.stats ?? []).filter((s) => s.kind === "count").slice(0, 6);
      if (vmCounts.length)
        this.#addChart(
          `VM-wide counters (/s): ${vmCounts.map((s) => s.name).join(", ")}`,
          vmCounts.map((s) => ({ label: s.name, f: this.#series(s.id, (v, sec) => v / sec) })),
          rateText,
        );
      this.#buildVcpu(ev);
    } else {
      const root = ev.parts[0];
      const counts = (root?.stats ?? []).filter((s) => s.kind === "count").slice(0, 8);
      const times = (root?.stats ?? []).filter((s) => s.kind === "time").slice(0, 8);
      const gauges = (root?.stats ?? []).filter((s) => s.kind === "gauge").slice(0, 8);
      const lbl = root?.label ?? "";
      if (counts.length)
        this.#addChart(
          `${lbl}: counters (/s): ${counts.map((s) => s.name).join(", ")}`,
          counts.map((s) => ({ label: s.name, f: this.#series(s.id, (v, sec) => v / sec) })),
          rateText,
        );
      if (times.length)
        this.#addChart(
          `${lbl}: times (s/s): ${times.map((s) => s.name).join(", ")}`,
          times.map((s) => ({ label: s.name, f: this.#series(s.id, (v, sec) => secondsPerSecond(s, v, sec)) })),
          shareText,
        );
      for (const g of gauges)
        this.#addChart(`${lbl}: ${statTitle(g)} (gauge)`, [{ label: g.name, f: this.#series(g.id, (v) => v) }], (v) =>
          valueText(g, String(Math.round(v))),
        );
    }
    // Histograms: a VM's summed over its vCPUs, a producer's per file (at most 12).
    let n = 0;
    for (const p of ev.parts)
      for (const s of p.stats) {
        if (s.kind !== "hist" || n >= 12) continue;
        n++;
        const q = h("div", { class: "quantiles" });
        const map = new Heatmap({
          bottomUp: true,
          height: 210,
          gutter: 150,
          trim: true,
          rowLabel: (row) => bucketRange(s, row),
          tooltip: (col, row) => this.#histTip(s, col, row),
        });
        const where = m.kind === "vm" ? (p.id === "vcpu" ? `sum of ${m.vcpus} vCPUs` : "VM-wide") : p.label;
        const legend = h("div", { class: "legend" }, ...QUANTILES.map((qq) => h("span", { class: `key ${qq.name}` }, `${qq.name} bucket`)));
        this.#hists.append(h("section", { class: "card hist" }, h("h3", {}, `${statTitle(s)}: ${where}`), legend, q, map.el));
        this.#histPanels.set(s.id, { stat: s, map, q });
      }
  }

  #addChart(
    title: string,
    lines: { label: string; f: (slot: number) => number }[],
    fmt: (v: number) => string,
    range?: readonly [number, number],
  ): void {
    const chart = new TimeChart(
      title,
      lines.map((l) => ({ label: l.label })),
      fmt,
      range,
    );
    this.#charts.append(chart.el);
    this.#chartList.push({ chart, lines: lines.map((l) => l.f) });
  }

  #choose(s: StatMeta): void {
    this.#chosen?.chart.destroy();
    clear(this.#chosenBox);
    const chart = new TimeChart(`Chosen: ${statTitle(s)}`, [{ label: s.name }], (v) => (s.kind === "hist" ? rateText(v) : rateOf(s, v)));
    this.#chosenBox.append(chart.el);
    this.#chosen = { chart, stat: s };
    this.#dirty = true;
    this.frame();
  }

  #buildVcpu(ev: DetailEvent): void {
    clear(this.#vcpu);
    this.#vmap = undefined;
    const names = PER_VCPU_STATS.filter((n) => ev.perFile?.d[n] !== undefined);
    if (!ev.perFile || names.length === 0) return;
    if (!names.includes(this.#vstat)) this.#vstat = names[0] ?? "exits";
    const select = h(
      "select",
      { "aria-label": "statistic per vCPU" },
      ...names.map((n) => h("option", { value: n }, n === "halt_wait_ns" ? "halt_wait_ns (% of the vCPU's time)" : `${n} (/s)`)),
    );
    select.value = this.#vstat;
    select.addEventListener("change", () => {
      this.#vstat = select.value;
      this.#onVstat(select.value);
      this.#dirty = true;
      this.frame();
    });
    const rows = ev.perFile.rows;
    this.#vmap = new Heatmap({
      bottomUp: false,
      height: Math.min(520, Math.max(120, rows.length * 2 + 30)),
      gutter: 70,
      rowLabel: (row) => `vCPU ${rows[row] ?? row}`,
      tooltip: (col, row) => this.#vcpuTip(col, row),
    });
    this.#vcpu.append(
      h("section", { class: "card" }, h("h3", {}, `Per vCPU (vCPU × time, ${rows.length} vCPUs): `, select), this.#vmap.el),
    );
  }

  #vcpuValue(slot: number, row: number): number {
    const r = this.#ring;
    const w = r.rows.length;
    const a = r.perFile.get(this.#vstat);
    const v = a?.[slot * w + row] ?? Number.NaN;
    const sec = r.seconds[slot] ?? 0;
    if (!(sec > 0)) return Number.NaN;
    return this.#vstat === "halt_wait_ns" ? ((v * 1e-9) / sec) * 100 : v / sec;
  }

  #slotsCache: number[] = [];

  #drawVcpus(slots: number[]): void {
    this.#slotsCache = slots;
    if (!this.#vmap) return;
    const pct = this.#vstat === "halt_wait_ns";
    // Per cell only array reads: 256 vCPUs × 900 samples is 230,400 cells a frame.
    const r = this.#ring;
    const w = r.rows.length;
    const a = r.perFile.get(this.#vstat);
    const scale = pct ? 1e-9 * 100 : 1;
    const per = slots.map((s) => {
      const sec = r.seconds[s] ?? 0;
      return sec > 0 ? scale / sec : Number.NaN;
    });
    this.#vmap.update(
      {
        cols: slots.length,
        rows: w,
        cap: r.cap,
        slot: (col) => slots[col] ?? 0,
        stamp: (col) => r.seqs[slots[col] ?? 0] ?? -1,
        value: (col, row) => (a?.[(slots[col] ?? 0) * w + row] ?? Number.NaN) * (per[col] ?? Number.NaN),
        time: (col) => this.#ring.walls[slots[col] ?? 0] ?? 0,
      },
      (max) => (pct ? percentText(max) : rateText(max)),
      this.#vstat,
    );
  }

  #vcpuTip(col: number, row: number): string[] {
    const slot = this.#slotsCache[col] ?? 0;
    const r = this.#ring;
    const w = r.rows.length;
    const raw = r.perFile.get(this.#vstat)?.[slot * w + row] ?? Number.NaN;
    const v = this.#vcpuValue(slot, row);
    const sec = r.seconds[slot] ?? 0;
    const head = `vCPU ${r.rows[row] ?? row} · ${clock(r.walls[slot] ?? 0)}`;
    if (Number.isNaN(v)) return [head, "no sample"];
    const what =
      this.#vstat === "halt_wait_ns"
        ? `halt wait ${percentText(v)} of its time (${raw} ns)`
        : `${this.#vstat} ${rateText(v)} (${raw} in ${sec.toFixed(3)} s)`;
    return [head, what];
  }

  #histCounts(s: StatMeta, slot: number): Float32Array | undefined {
    const b = this.#ring.buckets.get(s.id);
    return b?.data.subarray(slot * s.size, slot * s.size + s.size);
  }

  #drawHist(p: HistPanel, slots: number[]): void {
    const s = p.stat;
    const b = this.#ring.buckets.get(s.id);
    const counts = (col: number) => this.#histCounts(s, slots[col] ?? 0);
    p.map.update(
      {
        cols: slots.length,
        rows: s.size,
        cap: this.#ring.cap,
        slot: (col) => slots[col] ?? 0,
        stamp: (col) => this.#ring.seqs[slots[col] ?? 0] ?? -1,
        value: (col, row) => b?.data[(slots[col] ?? 0) * s.size + row] ?? Number.NaN,
        time: (col) => this.#ring.walls[slots[col] ?? 0] ?? 0,
        bands: QUANTILES.map((q) => ({
          name: q.name,
          color: BAND_COLORS[q.name] ?? "#fff",
          bucket: (col: number) => {
            const c = counts(col);
            return c && !Number.isNaN(c[0] ?? Number.NaN) ? quantileBucket(c, q.p) : undefined;
          },
        })),
      },
      (max) => `${Math.round(max)} samples`,
    );
    const lastSlot = slots[slots.length - 1];
    const c = lastSlot === undefined ? undefined : this.#histCounts(s, lastSlot);
    let n = 0;
    if (c) for (const x of c) n += Number.isNaN(x) ? 0 : x;
    const qs = c && n > 0 ? QUANTILES.map((q) => `${q.name} ${bucketRange(s, quantileBucket(c, q.p) ?? 0)}`).join("   ") : "no samples";
    setText(p.q, `Last interval: ${Math.round(n)} samples · ${qs}`);
  }

  #histTip(s: StatMeta, col: number, row: number): string[] {
    const slot = this.#slotsCache[col] ?? 0;
    const c = this.#histCounts(s, slot);
    const v = c?.[row] ?? Number.NaN;
    const head = `${bucketRange(s, row)} · ${clock(this.#ring.walls[slot] ?? 0)}`;
    if (Number.isNaN(v)) return [head, "no sample"];
    const qs = c ? QUANTILES.filter((q) => quantileBucket(c, q.p) === row).map((q) => q.name) : [];
    return [head, `${v} samples in ${(this.#ring.seconds[slot] ?? 0).toFixed(3)} s${qs.length ? ` · holds ${qs.join(", ")}` : ""}`];
  }

  #updateTable(ev: DetailEvent): void {
    const seen = new Set<string>();
    const seconds = this.#ring.seconds[ev.seq % this.#ring.cap] ?? 0;
    for (const [pi, p] of ev.parts.entries()) {
      const v = ev.values[pi];
      if (!v) continue;
      for (const [i, s] of p.stats.entries()) {
        seen.add(s.id);
        let r = this.#statRows.get(s.id);
        if (!r) {
          const now = h("td", { class: "num" });
          const total = h("td", { class: "num" });
          const tr = h(
            "tr",
            {},
            h("td", {}, p.label),
            h("td", {}, s.name),
            h("td", {}, s.kind === "hist" ? `histogram (${s.size} buckets)` : s.kind),
            now,
            total,
          );
          tr.dataset.stat = s.id;
          this.#table.append(tr);
          r = { tr, now, total };
          this.#statRows.set(s.id, r);
        }
        const d = v.d[i];
        const t = v.t[i];
        const nowText =
          s.kind === "gauge"
            ? valueText(s, d ?? null)
            : d === null || d === undefined || !(seconds > 0)
              ? "–"
              : s.kind === "time"
                ? shareText(secondsPerSecond(s, num(d), seconds))
                : rateText(num(d) / seconds);
        setText(r.now, nowText);
        setAttr(r.now, "title", s.kind === "gauge" ? `${exact(d ?? null)}` : `${exact(d ?? null)} in ${seconds.toFixed(3)} s`);
        setText(r.total, s.kind === "time" ? valueText(s, t ?? null) : s.kind === "hist" ? `${t ?? ""} samples` : (t ?? ""));
        setAttr(r.total, "title", `${t ?? ""} (exact)`);
      }
    }
    for (const [id, r] of this.#statRows)
      if (!seen.has(id)) {
        r.tr.remove();
        this.#statRows.delete(id);
      }
  }

  destroy(): void {
    for (const c of this.#chartList) c.chart.destroy();
    this.#chosen?.chart.destroy();
  }
}

function nullIfNaN(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
