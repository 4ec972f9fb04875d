/**
 * @module web/heatmap
 * A small canvas heatmap: rows (vCPUs, or histogram buckets) × time columns, one cell per
 * sample, colour on a log scale of the cell's value, optional quantile bands drawn as the
 * bucket ranges that hold them (boxes over runs of equal buckets, never a line between
 * buckets). Cells are painted 1 pixel each into an offscreen canvas and scaled up without
 * smoothing, so 256 vCPUs × 900 samples cost one putImageData per update.
 */
import { clock } from "../../src/views/web/format.js";
import { clear, h } from "./dom.js";

/** What one update draws. */
export interface HeatmapData {
  readonly cols: number;
  readonly rows: number;
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
  #rowHi = 0;
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

  /** Draws `d` (and keeps it for the tooltip). */
  update(d: HeatmapData, maxText: (max: number) => string): void {
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
    let max = 0;
    let lo = d.rows;
    let hi = -1;
    for (let col = 0; col < d.cols; col++)
      for (let row = 0; row < d.rows; row++) {
        const v = d.value(col, row);
        if (v > 0) {
          if (v > max) max = v;
          if (row < lo) lo = row;
          if (row > hi) hi = row;
        }
      }
    if (!this.#o.trim || hi < 0) {
      lo = 0;
      hi = d.rows - 1;
    } else {
      // Keep a bucket of context on each side.
      lo = Math.max(0, lo - 1);
      hi = Math.min(d.rows - 1, hi + 1);
    }
    this.#rowLo = lo;
    this.#rowHi = hi;
    const nrows = Math.max(1, hi - lo + 1);
    const cols = Math.max(1, d.cols);
    const off = this.#off;
    if (off.width !== cols || off.height !== nrows) {
      off.width = cols;
      off.height = nrows;
    }
    const octx = off.getContext("2d");
    const ctx = c.getContext("2d");
    if (!octx || !ctx) return;
    const img = octx.createImageData(cols, nrows);
    const px = img.data;
    const logMax = Math.log1p(max);
    for (let col = 0; col < d.cols; col++)
      for (let r = 0; r < nrows; r++) {
        const row = lo + r;
        const y = this.#o.bottomUp ? nrows - 1 - r : r;
        const p = (y * cols + col) * 4;
        const v = d.value(col, row);
        if (Number.isNaN(v)) {
          px[p + 3] = 0;
          continue;
        }
        const i = v > 0 && logMax > 0 ? Math.max(1, Math.round((Math.log1p(v) / logMax) * 255)) : 0;
        px[p] = LUT[i * 3] ?? 0;
        px[p + 1] = LUT[i * 3 + 1] ?? 0;
        px[p + 2] = LUT[i * 3 + 2] ?? 0;
        px[p + 3] = 255;
      }
    octx.putImageData(img, 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const g = { x: this.#o.gutter, y: 4, w: cssW - this.#o.gutter - 8, h: cssH - 22 };
    this.#geom = g;
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = "#0b0e14";
    ctx.fillRect(g.x, g.y, g.w, g.h);
    ctx.drawImage(off, 0, 0, cols, nrows, g.x, g.y, g.w, g.h);
    const cw = g.w / cols;
    const rh = g.h / nrows;
    const rowY = (row: number) => g.y + (this.#o.bottomUp ? nrows - 1 - (row - lo) : row - lo) * rh;
    for (const band of d.bands ?? []) {
      ctx.strokeStyle = band.color;
      ctx.lineWidth = 1.5;
      let start = 0;
      let cur = band.bucket(0);
      const flush = (end: number) => {
        if (cur === undefined || cur < lo || cur > hi) return;
        ctx.strokeRect(g.x + start * cw, rowY(cur), (end - start) * cw, rh);
      };
      for (let col = 1; col <= d.cols; col++) {
        const b = col < d.cols ? band.bucket(col) : undefined;
        if (col < d.cols && b === cur) continue;
        flush(col);
        start = col;
        cur = b;
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
