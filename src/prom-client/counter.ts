/**
 * @module prom-client/counter
 * prom-client's Counter over a {@link Series} table: `inc()` on an unlabelled counter and `inc()`
 * on a kept child are one typed-array add (after prom-client's value checks); `labels(…)` is one
 * Map lookup. Exemplars (`enableExemplars`) as prom-client: `inc({ labels, value, exemplarLabels })`.
 */
import { format } from "node:util";
import { Exemplar } from "./exemplar.js";
import { isObject, labelArgs, Metric, type MetricConfiguration, removeSeries } from "./metric.js";
import type { Labels, MetricObject, MetricValue } from "./registry.js";
import { Series } from "./series.js";

function checkInc(value: unknown): number {
  if (value && !Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${format(value)}`);
  if ((value as number) < 0) throw new Error("It is not possible to decrease a counter");
  return value === null || value === undefined ? 1 : (value as number);
}

const NO_LABELS = Object.freeze({ labelHash: "" });

/** prom-client's label hash (`name:value,` over the sorted declared names), which `inc()` returns. */
function promHash(labels: Labels, sorted: readonly string[]): string {
  let h = "";
  for (const k of sorted) {
    const v = labels[k];
    if (v !== undefined) h += `${k}:${v as string},`;
  }
  return h;
}

/** What `counter.labels(…)` returns: keep it, its `inc()` is a typed-array add. */
export class CounterChild {
  /** @internal */
  declare readonly m: Counter;
  /** @internal Slot of its series, and the series' id there (checked before each write). */
  declare s: number;
  /** @internal */
  declare id: number;
  /** @internal Label values by position, or the label object. */
  declare readonly labels: Labels | readonly unknown[];
  /** @internal */
  constructor(m: Counter, s: number, labels: Labels | readonly unknown[]) {
    this.m = m;
    this.s = s;
    this.id = s < 0 ? -1 : (m.t.id[s] as number);
    this.labels = labels;
  }
  /** Adds `value` (default 1). */
  inc(value?: number): void {
    const t = this.m.t;
    let s = this.s;
    if (t.id[s] !== this.id) s = this.#attach();
    if (value === undefined) {
      (t.v as Float64Array)[s] = ((t.v as Float64Array)[s] as number) + 1;
      return;
    }
    const n = checkInc(value);
    t.v[s] = (t.v[s] as number) + n;
  }
  #attach(): number {
    const t = this.m.t;
    const byValues = Array.isArray(this.labels);
    let s = byValues ? t.findValues(this.labels as unknown[]) : t.find(this.labels as Labels);
    if (s < 0) s = byValues ? t.createValues(this.labels as unknown[]) : t.create(this.labels as Labels);
    this.s = s;
    this.id = t.id[s] as number;
    return s;
  }
}

/** A child whose label set prom-client refuses at `inc()` (an undeclared name). */
class RefusedChild {
  readonly #labels: Labels;
  readonly #names: readonly string[];
  constructor(names: readonly string[], labels: Labels) {
    this.#names = names;
    this.#labels = labels;
  }
  inc(): void {
    new Series(this.#names, 1).validate(this.#labels);
  }
}

/** Options of a Counter (prom-client's). */
export type CounterConfiguration = MetricConfiguration;

/** prom-client's Counter. */
export class Counter extends Metric {
  readonly type = "counter";
  /** @internal The series. */
  declare t: Series;
  /** @internal Exemplars by series id. */
  declare ex: Map<number, Exemplar>;
  /** @internal Slot of the unlabelled series, or −1. */
  declare u: number;
  declare defaultLabels: Labels;
  declare defaultValue: number;
  declare defaultExemplarLabelSet: Labels;

  constructor(config: CounterConfiguration) {
    super(config);
    this.t = new Series(this.labelNames, 1);
    this.ex = new Map();
    this.u = -1;
    this.defaultLabels = {};
    this.defaultValue = 1;
    this.defaultExemplarLabelSet = {};
    this.reset();
    if (config.enableExemplars) {
      this.enableExemplars = true;
      this.inc = this.incWithExemplar as Counter["inc"];
    }
    this.enroll();
  }

  /**
   * Adds `value` (default 1) to the series of `labels` (default: no labels). Returns prom-client's
   * `{ labelHash }` (one shared object for the unlabelled series).
   */
  inc(labels?: Labels | number, value?: number): { labelHash: string } {
    if (labels === undefined && value === undefined) {
      // The unlabelled fast path: one typed-array add.
      const t = this.t;
      const s = this.u;
      if (s >= 0 && t.id[s] !== 0) {
        t.v[s] = (t.v[s] as number) + 1;
        return NO_LABELS;
      }
    }
    if (this.incWithoutExemplar(labels, value) >= 0 && isObject(labels)) return { labelHash: promHash(labels, this.sortedLabelNames) };
    return NO_LABELS;
  }

  /** @internal */
  incWithoutExemplar(labels?: Labels | number, value?: number): number {
    const t = this.t;
    if (isObject(labels)) {
      t.validate(labels);
      const n = checkInc(value);
      const s = t.findOrCreate(labels);
      t.v[s] = (t.v[s] as number) + n;
      return s;
    }
    let s = this.u;
    if (s >= 0 && t.id[s] === 0) s = -1;
    if (labels === undefined && s >= 0) {
      t.v[s] = (t.v[s] as number) + 1;
      return s;
    }
    const n = checkInc(labels);
    if (s < 0) {
      s = t.findOrCreate({});
      if (t.names.length === 0) this.u = s;
    }
    t.v[s] = (t.v[s] as number) + n;
    return s;
  }

  /** `inc` of an exemplar-enabled counter. */
  incWithExemplar({
    labels = this.defaultLabels,
    value = this.defaultValue,
    exemplarLabels = this.defaultExemplarLabelSet,
  }: {
    labels?: Labels;
    value?: number;
    exemplarLabels?: Labels;
  } = {}): void {
    const s = this.incWithoutExemplar(labels, value);
    this.updateExemplar(exemplarLabels, value, this.t.id[s] as number);
  }

  /** @internal */
  updateExemplar(exemplarLabels: Labels, value: number, s: number): void {
    if (exemplarLabels === this.defaultExemplarLabelSet) return;
    let e = this.ex.get(s);
    if (!e) {
      e = new Exemplar();
      this.ex.set(s, e);
    }
    e.validateExemplarLabelSet(exemplarLabels);
    e.labelSet = exemplarLabels;
    e.value = value ? value : 1;
    e.timestamp = Date.now() / 1000;
  }

  /** Removes every series (an unlabelled counter keeps its series, at 0). */
  reset(): void {
    this.t.clear();
    this.ex.clear();
    this.u = -1;
    if (this.labelNames.length === 0) this.u = this.t.create({});
  }

  async get(): Promise<MetricObject> {
    await this.collected();
    const t = this.t;
    const values: MetricValue[] = [];
    for (const s of t.slots()) {
      const e = this.ex.size > 0 ? this.ex.get(t.id[s] as number) : undefined;
      const val: MetricValue = { value: t.v[s] as number, labels: t.labelsOf(s) };
      if (e) val.exemplar = e;
      values.push(val);
    }
    t.release();
    return this.object(values);
  }

  /** The child of one label set (by position or as an object); keep it. */
  labels(...args: unknown[]): CounterChild {
    const t = this.t;
    if (args.length === t.names.length && typeof args[0] !== "object") return new CounterChild(this, t.findValues(args), args);
    const labels = labelArgs(t.names, args);
    try {
      t.validate(labels);
    } catch {
      return new RefusedChild(t.names, labels) as unknown as CounterChild;
    }
    return new CounterChild(this, t.find(labels), labels);
  }

  /** Removes the series of one label set. */
  remove(...args: unknown[]): void {
    removeSeries(this.t, args, this.ex);
  }
}
