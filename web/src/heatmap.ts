/**
 * @module web/heatmap
 * A small canvas heatmap: rows (vCPUs, or histogram buckets) × time columns, one cell per
 * sample, colour on a log scale of the cell's value, optional quantile bands drawn as the
 * bucket ranges that hold them (boxes over runs of equal buckets, never a line between
 * buckets). Cells are painted 1 pixel each into an offscreen canvas laid out like the ring of
 * samples (x = slot) and scaled up without smoothing. Only columns that are new are painted
 * (with their quantile buckets), unless the colour scale — the window's maximum rounded up to
 * a power of two — or the rows shown change, so an update costs one column of 256 vCPUs, not
 * 256 × 900 cells.
 */
import { clock } from "../../src/views/web/format.js";
import { clear, h } from "./dom.js";

/** What one update draws: time columns (oldest first) that live in a ring of `cap` slots. */
export interface HeatmapData {
  readonly cols: number;
  readonly rows: number;
  /** Slots of the ring the columns live in (a column keeps its slot while it is shown). */
  readonly cap: number;
  slot(col: number): number;
  /** What a column holds (its sample's seq): a column is painted again only when this changes. */
  stamp(col: number): number;
  /** The value of a cell; NaN: no sample. */
  value(col: number, row: number): number;
  /** Date.now() of a column. */
  time(col: number): number;
  /** Quantile bands: per column, the row (bucket) holding the quantile. */
  readonly bands?: readonly { readonly name: string; readonly color: string; bucket(col: number): number | undefined }[];
}

/** How a heatmap labels itself. */
export interface HeatmapOptions {
  /** Row 0 at the bottom (histogram buckets) rather than the top (vCPUs). */
  readonly bottomUp: boolean;
  readonly height: number;
  readonly gutter: number;
  rowLabel(row: number): string;
  /** Lines of the tooltip of a cell. */
  tooltip(col: number, row: number): string[];
  /** Rows with no data at either end may be left out (histogram buckets never used). */
  readonly trim?: boolean;
}

/** Colour stops of the scale (dark blue → violet → orange → yellow), 256 entries. */
const LUT = (() => {
  const stops = [
    [13, 17, 40],
    [60, 15, 110],
    [140, 35, 105],
    [215, 75, 60],
    [250, 155, 30],
    [250, 240, 120],
  ];
  const out = new Uint8ClampedArray(256 * 3);
  for (let i = 0; i < 256; i++) {
    const t = (i / 255) * (stops.length - 1);
    const k = Math.min(stops.length - 2, Math.floor(t));
    const f = t - k;
    const a = stops[k] ?? [0, 0, 0];
    const b = stops[k + 1] ?? a;
    for (let c = 0; c < 3; c++) out[i * 3 + c] = (a[c] ?? 0) + ((b[c] ?? 0) - (a[c] ?? 0)) * f;
  }
  return out;
})();

export class Heatmap {
  readonly el: HTMLDivElement;
  readonly #canvas: HTMLCanvasElement;
  readonly #tip: HTMLDivElement;
  readonly #scale: HTMLSpanElement;
  readonly #o: HeatmapOptions;
  #off: HTMLCanvasElement = document.createElement("canvas");
  #data: HeatmapData | undefined;
  #rowLo = 0;
  #rowHi = -1;
  #rowsAll = -1;
  #key = "";
  #scaleMax = -1;
  /** Per ring slot: the seq painted there (-1: none), its maximum, its used rows, its quantile buckets. */
  #stamps = new Float64Array(0);
  #colMax = new Float64Array(0);
  #colLo = new Int32Array(0);
  #colHi = new Int32Array(0);
  #bands: Int16Array[] = [];
  #geom = { x: 0, y: 0, w: 1, h: 1 };

  constructor(o: HeatmapOptions) {
    this.#o = o;
    this.#canvas = h("canvas", { class: "heat" });
    this.#tip = h("div", { class: "tip", hidden: "" });
    this.#scale = h("span", { class: "scale-max" });
    this.el = h(
      "div",
      { class: "heatwrap" },
      this.#canvas,
      this.#tip,
      h(
        "div",
        { class: "scale" },
        h("span", {}, "0"),
        h("span", { class: "bar" }),
        this.#scale,
        h("span", { class: "muted" }, " (log colour scale)"),
      ),
    );
    this.#canvas.addEventListener("mousemove", (e) => this.#hover(e));
    this.#canvas.addEventListener("mouseleave", () => this.#tip.setAttribute("hidden", ""));
  }

  /** Draws `d` (and keeps it for the tooltip); `key` names what is shown (a new one repaints all). */
  update(d: HeatmapData, maxText: (max: number) => string, key = ""): void {
    this.#data = d;
    const c = this.#canvas;
    const dpr = window.devicePixelRatio || 1;
    const cssW = Math.max(200, this.el.clientWidth || 600);
    const cssH = this.#o.height;
    if (c.width !== Math.round(cssW * dpr) || c.height !== Math.round(cssH * dpr)) {
      c.width = Math.round(cssW * dpr);
      c.height = Math.round(cssH * dpr);
      c.style.width = `${cssW}px`;
      c.style.height = `${cssH}px`;
    }
    const cap = d.cap;
    if (this.#stamps.length !== cap || this.#rowsAll !== d.rows) {
      this.#stamps = new Float64Array(cap).fill(-1);
      this.#colMax = new Float64Array(cap);
      this.#colLo = new Int32Array(cap).fill(d.rows);
      this.#colHi = new Int32Array(cap).fill(-1);
      this.#bands = [];
      this.#rowsAll = d.rows;
    }
    // Per new column: its maximum and its used rows (cheap: one pass over its cells).
    const fresh: number[] = [];
    for (let col = 0; col < d.cols; col++) {
      const x = d.slot(col);
      const st = d.stamp(col);
      if (this.#stamps[x] === st && key === this.#key) continue;
      let m = 0;
      let lo = d.rows;
      let hi = -1;
      for (let row = 0; row < d.rows; row++) {
        const v = d.value(col, row);
        if (v > 0) {
          if (v > m) m = v;
          if (row < lo) lo = row;
          hi = row;
        }
      }
      this.#colMax[x] = m;
      this.#colLo[x] = lo;
      this.#colHi[x] = hi;
      fresh.push(col);
    }
    let max = 0;
    let lo = d.rows;
    let hi = -1;
    const shown = new Uint8Array(cap);
    for (let col = 0; col < d.cols; col++) {
      const x = d.slot(col);
      shown[x] = 1;
      max = Math.max(max, this.#colMax[x] ?? 0);
      lo = Math.min(lo, this.#colLo[x] ?? d.rows);
      hi = Math.max(hi, this.#colHi[x] ?? -1);
    }
    if (!this.#o.trim || hi < 0) {
      lo = 0;
      hi = d.rows - 1;
    } else {
      // Keep a bucket of context on each side.
      lo = Math.max(0, lo - 1);
      hi = Math.min(d.rows - 1, hi + 1);
    }
    const scale = max > 0 ? 2 ** Math.ceil(Math.log2(max)) : 0;
    const all = key !== this.#key || scale !== this.#scaleMax || lo !== this.#rowLo || hi !== this.#rowHi;
    this.#key = key;
    this.#scaleMax = scale;
    this.#rowLo = lo;
    this.#rowHi = hi;
    const nrows = Math.max(1, hi - lo + 1);
    const off = this.#off;
    const octx = off.getContext("2d");
    const ctx = c.getContext("2d");
    if (!octx || !ctx) return;
    if (off.width !== cap || off.height !== nrows) {
      off.width = cap;
      off.height = nrows;
    }
    const bands = d.bands ?? [];
    while (this.#bands.length < bands.length) this.#bands.push(new Int16Array(cap).fill(-1));
    const paint = all ? Array.from({ length: d.cols }, (_, i) => i) : fresh;
    if (all) octx.clearRect(0, 0, cap, nrows);
    const logMax = Math.log1p(scale);
    const column = octx.createImageData(1, nrows);
    const px = column.data;
    for (const col of paint) {
      const x = d.slot(col);
      for (let r = 0; r < nrows; r++) {
        const row = lo + r;
        const y = this.#o.bottomUp ? nrows - 1 - r : r;
        const p = y * 4;
        const v = d.value(col, row);
        if (Number.isNaN(v)) {
          px[p] = 0;
          px[p + 1] = 0;
          px[p + 2] = 0;
          px[p + 3] = 0;
          continue;
        }
        const i = v > 0 && logMax > 0 ? Math.max(1, Math.min(255, Math.round((Math.log1p(v) / logMax) * 255))) : 0;
        px[p] = LUT[i * 3] ?? 0;
        px[p + 1] = LUT[i * 3 + 1] ?? 0;
        px[p + 2] = LUT[i * 3 + 2] ?? 0;
        px[p + 3] = 255;
      }
      octx.putImageData(column, x, 0);
      this.#stamps[x] = d.stamp(col);
      for (const [b, band] of bands.entries()) {
        const arr = this.#bands[b];
        if (arr) arr[x] = band.bucket(col) ?? -1;
      }
    }
    // Slots no longer shown are cleared, so the ring never shows an old sample.
    for (let x = 0; x < cap; x++)
      if (!shown[x] && this.#stamps[x] !== -1) {
        octx.clearRect(x, 0, 1, nrows);
        this.#stamps[x] = -1;
      }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const g = { x: this.#o.gutter, y: 4, w: cssW - this.#o.gutter - 8, h: cssH - 22 };
    this.#geom = g;
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#0b0e14";
    ctx.fillRect(g.x, g.y, g.w, g.h);
    const cols = Math.max(1, d.cols);
    const cw = g.w / cols;
    // The columns in time order are a run of ring slots, perhaps wrapping once: one or two blits.
    if (d.cols > 0) {
      const first = d.slot(0);
      const firstRun = Math.min(d.cols, cap - first);
      ctx.drawImage(off, first, 0, firstRun, nrows, g.x, g.y, firstRun * cw, g.h);
      if (firstRun < d.cols) ctx.drawImage(off, 0, 0, d.cols - firstRun, nrows, g.x + firstRun * cw, g.y, (d.cols - firstRun) * cw, g.h);
    }
    const rh = g.h / nrows;
    const rowY = (row: number) => g.y + (this.#o.bottomUp ? nrows - 1 - (row - lo) : row - lo) * rh;
    for (const [b, band] of bands.entries()) {
      const arr = this.#bands[b];
      if (!arr) continue;
      const at = (col: number) => {
        const v = arr[d.slot(col)] ?? -1;
        return v < 0 ? undefined : v;
      };
      ctx.strokeStyle = band.color;
      ctx.lineWidth = 1.5;
      let start = 0;
      let cur = at(0);
      for (let col = 1; col <= d.cols; col++) {
        const bk = col < d.cols ? at(col) : undefined;
        if (col < d.cols && bk === cur) continue;
        if (cur !== undefined && cur >= lo && cur <= hi) ctx.strokeRect(g.x + start * cw, rowY(cur), (col - start) * cw, rh);
        start = col;
        cur = bk;
      }
    }
    // Row labels: as many as fit without overlapping.
    ctx.fillStyle = "#9aa7b8";
    ctx.font = "11px system-ui, sans-serif";
    ctx.textBaseline = "middle";
    ctx.textAlign = "right";
    const every = Math.max(1, Math.ceil(13 / rh));
    for (let row = lo; row <= hi; row++) {
      if ((row - lo) % every !== 0) continue;
      ctx.fillText(this.#o.rowLabel(row), g.x - 4, rowY(row) + rh / 2);
    }
    // Time labels.
    ctx.textAlign = "center";
    ctx.textBaseline = "top";
    const ticks = Math.max(2, Math.floor(g.w / 110));
    for (let t = 0; t <= ticks; t++) {
      const col = Math.min(d.cols - 1, Math.round((t / ticks) * (d.cols - 1)));
      if (col < 0) break;
      const x = g.x + (col + 0.5) * cw;
      ctx.fillText(clock(d.time(col)), Math.min(cssW - 28, Math.max(g.x + 24, x)), g.y + g.h + 4);
    }
    this.#scale.textContent = maxText(max);
  }

  #hover(e: MouseEvent): void {
    const d = this.#data;
    if (!d) return;
    const r = this.#canvas.getBoundingClientRect();
    const x = e.clientX - r.left - this.#geom.x;
    const y = e.clientY - r.top - this.#geom.y;
    const nrows = this.#rowHi - this.#rowLo + 1;
    if (x < 0 || y < 0 || x >= this.#geom.w || y >= this.#geom.h || d.cols === 0) {
      this.#tip.setAttribute("hidden", "");
      return;
    }
    const col = Math.min(d.cols - 1, Math.floor((x / this.#geom.w) * d.cols));
    const rr = Math.min(nrows - 1, Math.floor((y / this.#geom.h) * nrows));
    const row = this.#rowLo + (this.#o.bottomUp ? nrows - 1 - rr : rr);
    clear(this.#tip);
    for (const line of this.#o.tooltip(col, row)) this.#tip.append(h("div", {}, line));
    this.#tip.removeAttribute("hidden");
    const left = Math.min(e.clientX - r.left + 14, r.width - 260);
    this.#tip.style.left = `${Math.max(0, left)}px`;
    this.#tip.style.top = `${e.clientY - r.top + 14}px`;
  }
}
