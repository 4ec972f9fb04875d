/**
 * @module web/chart
 * A time-series chart of the last 15 minutes (uPlot, canvas): a title naming the statistic and
 * its unit, one line per series, values in the legend and axis in that unit. Created when it
 * first has data and a width; resized with its container.
 */
import uPlot from "uplot";
import { clock } from "../../src/views/web/format.js";
import { h } from "./dom.js";

export const COLORS = ["#5ab0ff", "#f5a524", "#3ecf8e", "#ef5b7c", "#b48cff", "#e6d85c", "#5ce1e6", "#ff8a5c"];

/** One line of a chart. */
export interface LineSpec {
  readonly label: string;
  readonly color?: string | undefined;
}

export class TimeChart {
  readonly el: HTMLElement;
  readonly #box: HTMLDivElement;
  readonly #lines: readonly LineSpec[];
  readonly #fmt: (v: number) => string;
  readonly #range: readonly [number, number] | undefined;
  #u: uPlot | undefined;
  #ro: ResizeObserver | undefined;

  constructor(title: string, lines: readonly LineSpec[], fmt: (v: number) => string, range?: readonly [number, number]) {
    this.#lines = lines;
    this.#fmt = fmt;
    this.#range = range;
    this.#box = h("div", { class: "plot" });
    this.el = h("section", { class: "card chart" }, h("h3", {}, title), this.#box);
  }

  /** Draws x (seconds since the epoch) and one array per line (null: no value). */
  update(x: number[], ys: (number | null)[][]): void {
    const data = [x, ...ys] as uPlot.AlignedData;
    if (this.#u) {
      this.#u.setData(data);
      this.#showLast(x.length);
      return;
    }
    const width = this.#box.clientWidth;
    if (width <= 0) return;
    const fmt = this.#fmt;
    const range = this.#range;
    const opts: uPlot.Options = {
      width,
      height: 170,
      legend: { live: true },
      cursor: { drag: { x: false, y: false } },
      scales: {
        x: { time: true },
        // From 0 to a little above the highest value; a percentage never above 100.
        y: { range: (_u, _min, max) => [0, range ? Math.min(range[1], max > 0 ? max * 1.15 : range[1]) : max > 0 ? max * 1.1 : 1] },
      },
      axes: [
        {
          stroke: "#9aa7b8",
          grid: { stroke: "#232a35" },
          ticks: { stroke: "#232a35" },
          values: (_u, vals) => vals.map((v) => clock(v * 1000)),
        },
        {
          stroke: "#9aa7b8",
          grid: { stroke: "#232a35" },
          ticks: { stroke: "#232a35" },
          size: 64,
          values: (_u, vals) => vals.map((v) => fmt(v)),
        },
      ],
      series: [
        { value: (_u, v) => (v === null ? "–" : clock(v * 1000)) },
        ...this.#lines.map((l, i) => ({
          label: l.label,
          stroke: l.color ?? COLORS[i % COLORS.length] ?? "#5ab0ff",
          width: 1.5,
          points: { show: false },
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : fmt(v)),
        })),
      ],
    };
    this.#u = new uPlot(opts, data, this.#box);
    this.#showLast(x.length);
    this.#ro = new ResizeObserver(() => {
      const w = this.#box.clientWidth;
      if (this.#u && w > 0 && w !== this.#u.width) this.#u.setSize({ width: w, height: 170 });
    });
    this.#ro.observe(this.#box);
  }

  /** Without the cursor on the chart, the legend shows the latest values. */
  #showLast(n: number): void {
    const u = this.#u;
    if (u && n > 0 && (u.cursor.left ?? -1) < 0) u.setLegend({ idx: n - 1 });
  }

  destroy(): void {
    this.#ro?.disconnect();
    this.#u?.destroy();
    this.#u = undefined;
  }
}
