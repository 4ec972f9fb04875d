/**
 * @module prom-client/gauge
 * prom-client's Gauge over a {@link Series} table: `set`, `inc`, `dec`, `setToCurrentTime`,
 * `startTimer`, by label object or through a kept child (a typed-array store or add after
 * prom-client's type check). As in prom-client, `set()` takes the label set's key order from
 * the labels it was given last, and `inc()`/`dec()` keep it.
 */
import { format } from "node:util";
import { isObject, labelArgs, Metric, type MetricConfiguration, removeSeries } from "./metric.js";
import type { Labels, MetricObject, MetricValue } from "./registry.js";
import type { Series as SeriesTable } from "./series.js";
import { Series } from "./series.js";

function checkSet(value: unknown): number {
  if (typeof value !== "number") throw new TypeError(`Value is not a valid number: ${format(value)}`);
  return value;
}
function checkDelta(delta: unknown): number {
  if (typeof delta !== "number") throw new TypeError(`Delta is not a valid number: ${format(delta)}`);
  return delta;
}

/** Seconds since `start` (process.hrtime), as prom-client computes them. */
export function elapsed(start: [number, number]): number {
  const d = process.hrtime(start);
  return d[0] + d[1] / 1e9;
}

/** What `gauge.labels(…)` returns: keep it. */
export class GaugeChild {
  /** @internal */
  declare readonly m: Gauge;
  /** @internal */
  declare s: number;
  /** @internal */
  declare id: number;
  /** @internal */
  declare readonly o: number;
  /** @internal */
  declare readonly labels: Labels;
  /** @internal */
  constructor(m: Gauge, s: number, o: number, labels: Labels) {
    this.m = m;
    this.s = s;
    this.id = s < 0 ? -1 : (m.t.id[s] as number);
    this.o = o;
    this.labels = labels;
  }
  #slot(t: SeriesTable): number {
    let s = this.s;
    if (t.id[s] !== this.id) {
      s = t.findOrCreate(this.labels);
      this.s = s;
      this.id = t.id[s] as number;
    }
    return s;
  }
  set(value: number): void {
    checkSet(value);
    const t = this.m.t;
    const s = this.#slot(t);
    t.v[s] = value;
    t.ord[s] = this.o;
  }
  inc(value?: number): void {
    const d = checkDelta(value === undefined ? 1 : value);
    const t = this.m.t;
    const s = this.#slot(t);
    t.v[s] = (t.v[s] as number) + d;
  }
  dec(value?: number): void {
    const d = checkDelta(value === undefined ? -1 : -(value as number));
    const t = this.m.t;
    const s = this.#slot(t);
    t.v[s] = (t.v[s] as number) + d;
  }
  setToCurrentTime(): void {
    this.set(Date.now() / 1000);
  }
  startTimer(): (endLabels?: Labels) => number {
    return this.m.startTimer(this.labels);
  }
}

/** Options of a Gauge (prom-client's). */
export type GaugeConfiguration = MetricConfiguration;

/** prom-client's Gauge. */
export class Gauge extends Metric {
  readonly type = "gauge";
  /** @internal */
  declare t: Series;
  /** @internal Slot of the unlabelled series of a gauge without label names, or −1. */
  declare u: number;

  constructor(config: GaugeConfiguration) {
    super(config);
    this.t = new Series(this.labelNames, 1);
    this.u = -1;
    this.reset();
    this.enroll();
  }

  #unlabelled(): number {
    const t = this.t;
    let s = this.u;
    if (s >= 0 && t.id[s] !== 0) return s;
    s = t.find({});
    if (s < 0) s = t.create({});
    else t.reorder(s, {});
    if (t.names.length === 0) this.u = s;
    return s;
  }

  /** Sets the series of `labels` (default: none) to `value`. */
  set(labels: Labels | number, value?: number): void {
    const t = this.t;
    if (!isObject(labels)) {
      checkSet(labels);
      const s = this.#unlabelled();
      t.v[s] = labels as number;
      return;
    }
    checkSet(value);
    t.validate(labels);
    let s = t.find(labels);
    if (s < 0) s = t.create(labels);
    else t.reorder(s, labels);
    t.v[s] = value as number;
  }

  #delta(labels: Labels | number | undefined, value: number | undefined, sign: 1 | -1): void {
    const t = this.t;
    let v = isObject(labels) ? value : labels;
    if (v === undefined) v = 1;
    const d = checkDelta(sign === 1 ? v : -v);
    if (!isObject(labels)) {
      const s = this.#unlabelledForDelta();
      t.v[s] = (t.v[s] as number) + d;
      return;
    }
    t.validate(labels);
    const s = t.findOrCreate(labels);
    t.v[s] = (t.v[s] as number) + d;
  }

  #unlabelledForDelta(): number {
    const t = this.t;
    let s = this.u;
    if (s >= 0 && t.id[s] !== 0) return s;
    s = t.findOrCreate({});
    if (t.names.length === 0) this.u = s;
    return s;
  }

  /** Adds `value` (default 1). */
  inc(labels?: Labels | number, value?: number): void {
    this.#delta(labels, value, 1);
  }

  /** Subtracts `value` (default 1). */
  dec(labels?: Labels | number, value?: number): void {
    this.#delta(labels, value, -1);
  }

  /** Sets the gauge to the current time in seconds since the epoch. */
  setToCurrentTime(labels?: Labels): void {
    const now = Date.now() / 1000;
    if (labels === undefined) this.set(now);
    else this.set(labels, now);
  }

  /** Starts a timer; the returned function sets the gauge to the seconds elapsed and returns them. */
  startTimer(labels?: Labels): (endLabels?: Labels) => number {
    const start = process.hrtime();
    return (endLabels?: Labels) => {
      const value = elapsed(start);
      this.set(Object.assign({}, labels, endLabels), value);
      return value;
    };
  }

  /** Removes every series (a gauge without label names keeps its series, at 0). */
  reset(): void {
    this.t.clear();
    this.u = -1;
    if (this.labelNames.length === 0) this.u = this.t.create({});
  }

  async get(): Promise<MetricObject> {
    await this.collected();
    const t = this.t;
    const values: MetricValue[] = [];
    for (const s of t.slots()) values.push({ value: t.v[s] as number, labels: t.labelsOf(s) });
    t.release();
    return this.object(values);
  }

  /** @internal The value of one label set (0 if it has none), as prom-client's `_getValue`. */
  _getValue(labels?: Labels): number {
    const s = this.t.find(labels || {});
    return s < 0 ? 0 : (this.t.v[s] as number);
  }

  /** The child of one label set (by position or as an object); keep it. */
  labels(...args: unknown[]): GaugeChild {
    const t = this.t;
    const labels = labelArgs(t.names, args);
    t.validate(labels);
    return new GaugeChild(this, t.find(labels), t.orderOf(labels), labels);
  }

  /** Removes the series of one label set. */
  remove(...args: unknown[]): void {
    removeSeries(this.t, args);
  }
}
