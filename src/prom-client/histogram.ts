/**
 * @module prom-client/histogram
 * prom-client's Histogram over a {@link Series} table of `buckets + 2` words per series: the
 * counts of the buckets and of the +Inf bucket as u64 (low and high u32 halves, the codec's
 * bounds-histogram words, so an exported file holds them as they are), then the sum as a double;
 * the count is their total. `observe()` on an unlabelled histogram or a kept child finds the
 * bucket (`value <= bound`, linear or binary search) and makes two typed-array adds. The exposition is prom-client's: cumulative `_bucket` lines with `le` first, `+Inf`
 * equal to `_count`, then `_sum` and `_count`; exemplars per bucket when enabled.
 */
import { format } from "node:util";
import { Exemplar } from "./exemplar.js";
import { elapsed } from "./gauge.js";
import { isObject, labelArgs, Metric, type MetricConfiguration, removeSeries } from "./metric.js";
import type { Labels, MetricObject, MetricValue } from "./registry.js";
import { Series } from "./series.js";

/** Options of a Histogram (prom-client's). */
export interface HistogramConfiguration extends MetricConfiguration {
  buckets?: number[];
}

type BucketExemplars = Record<string, Exemplar | null | undefined>;

/** Index of the first bound ≥ `value`, or `bounds.length` (the +Inf bucket). */
function bucketOf(bounds: Float64Array, value: number): number {
  const n = bounds.length;
  if (n <= 16) {
    let k = 0;
    while (k < n && !(value <= (bounds[k] as number))) k++;
    return k;
  }
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (value <= (bounds[m] as number)) hi = m;
    else lo = m + 1;
  }
  return lo;
}

function checkValue(value: unknown): number {
  if (!Number.isFinite(value)) throw new TypeError(`Value is not a valid number: ${format(value)}`);
  return value as number;
}

/** What `histogram.labels(…)` returns: keep it, its `observe()` is three typed-array adds. */
export class HistogramChild {
  /** @internal */
  declare readonly m: Histogram;
  /** @internal */
  declare s: number;
  /** @internal */
  declare id: number;
  /** @internal */
  declare readonly labels: Labels;
  /** @internal */
  constructor(m: Histogram, s: number, labels: Labels) {
    this.m = m;
    this.s = s;
    this.id = s < 0 ? -1 : (m.t.id[s] as number);
    this.labels = labels;
  }
  observe(value: number): void {
    checkValue(value);
    const m = this.m;
    const t = m.t;
    let s = this.s;
    if (t.id[s] !== this.id) {
      s = t.find(this.labels);
      if (s < 0) s = m.create(this.labels);
      this.s = s;
      this.id = t.id[s] as number;
    }
    m.add(s, value);
  }
  startTimer(): (endLabels?: Labels) => number {
    const start = process.hrtime();
    return (endLabels?: Labels) => {
      const value = elapsed(start);
      this.m.observe(Object.assign({}, this.labels, endLabels), value);
      return value;
    };
  }
}

/** prom-client's Histogram. */
export class Histogram extends Metric {
  readonly type = "histogram";
  declare buckets: number[];
  /** The upper bounds (frozen), as prom-client's `upperBounds`. */
  declare upperBounds: readonly number[];
  /** @internal The same bounds as doubles. */
  declare b: Float64Array;
  /** @internal */
  declare t: Series;
  /** @internal Bucket exemplars by series id (exemplar-enabled histograms). */
  declare ex: Map<number, BucketExemplars>;
  /** @internal Slot of the unlabelled series of a histogram without label names, or −1. */
  declare u: number;
  declare defaultLabels: Labels;
  declare defaultExemplarLabelSet: Labels;

  constructor(config: HistogramConfiguration) {
    super(config, { buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    this.defaultLabels = {};
    this.defaultExemplarLabelSet = {};
    this.enableExemplars = false;
    this.upperBounds = Object.freeze(this.buckets);
    this.b = Float64Array.from(this.buckets);
    this.t = new Series(this.labelNames, this.b.length + 2);
    this.ex = new Map();
    this.u = -1;
    if (config.enableExemplars) {
      this.enableExemplars = true;
      this.observe = this.observeWithExemplar as Histogram["observe"];
    }
    // prom-client registers before it checks the label names: a refused histogram stays registered, empty.
    if (this.labelNames.includes("le")) {
      this.enroll();
      throw new Error("le is a reserved label keyword");
    }
    if (this.labelNames.length === 0) this.create({});
    this.enroll();
  }

  /** @internal Creates the series of `labels` (values 0). */
  create(labels: Labels): number {
    const s = this.t.create(labels);
    if (this.enableExemplars) this.#freshExemplars(s);
    return s;
  }

  #freshExemplars(s: number): void {
    const be: BucketExemplars = {};
    for (const b of this.upperBounds) be[b] = null;
    this.ex.set(this.t.id[s] as number, be);
  }

  /** @internal Counts `value` in series `s`. */
  add(s: number, value: number): void {
    const b = this.b;
    const n = b.length;
    const t = this.t;
    const base = s * (n + 2);
    const i = (base + bucketOf(b, value)) * 2;
    const u = t.u;
    const lo = ((u[i] as number) + 1) >>> 0;
    u[i] = lo;
    if (lo === 0) u[i + 1] = ((u[i + 1] as number) + 1) >>> 0;
    t.v[base + n + 1] = (t.v[base + n + 1] as number) + value;
  }

  /** @internal The count of bucket `k` (0 … buckets; the last is +Inf) of slot `s`. */
  count(s: number, k: number): number {
    const u = this.t.u;
    const i = (s * (this.b.length + 2) + k) * 2;
    return (u[i] as number) + (u[i + 1] as number) * 4294967296;
  }

  /** Observes `value` in the series of `labels` (default: none). */
  observe(labels: Labels | number, value?: number): void {
    const t = this.t;
    if (typeof labels === "number" && !Number.isNaN(labels)) {
      // The unlabelled fast path (prom-client ignores `value` here too; NaN takes the general path,
      // where prom-client turns it into `{}` and then refuses the missing value).
      checkValue(labels);
      let s = this.u;
      if (s < 0 || t.id[s] === 0) s = this.#unlabelled();
      this.add(s, labels);
      return;
    }
    const l = labels || {};
    if (isObject(l)) {
      t.validate(l);
      checkValue(value);
      let s = t.find(l);
      if (s < 0) s = this.create(l);
      this.add(s, value as number);
      return;
    }
    checkValue(l);
    this.add(this.#unlabelled(), l as number);
  }

  #unlabelled(): number {
    const t = this.t;
    let s = t.find({});
    if (s < 0) s = this.create({});
    if (t.names.length === 0) this.u = s;
    return s;
  }

  /** `observe` of an exemplar-enabled histogram. */
  observeWithExemplar({
    labels = this.defaultLabels,
    value,
    exemplarLabels = this.defaultExemplarLabelSet,
  }: {
    labels?: Labels;
    value?: number;
    exemplarLabels?: Labels;
  } = {}): void {
    Histogram.prototype.observe.call(this, (labels as unknown) === 0 ? 0 : labels || {}, value);
    this.updateExemplar(labels, value as number, exemplarLabels);
  }

  /** @internal */
  updateExemplar(labels: Labels, value: number, exemplarLabels: Labels): void {
    if (Object.keys(exemplarLabels).length === 0) return;
    const slot = this.t.find(labels);
    const be = this.ex.get(this.t.id[slot] as number) as BucketExemplars;
    const k = bucketOf(this.b, value);
    const bound = k < this.b.length ? (this.upperBounds[k] as number) : -1;
    let e = be[bound];
    if (!isObject(e)) {
      e = new Exemplar();
      be[bound] = e;
    }
    e.validateExemplarLabelSet(exemplarLabels);
    e.labelSet = exemplarLabels;
    e.value = value;
    e.timestamp = Date.now() / 1000;
  }

  async get(): Promise<MetricObject> {
    const data = await this.getForPromString();
    data.values = data.values.map(({ sharedLabels, labels, ...rest }) => {
      for (const k of Object.keys(sharedLabels as Labels)) labels[k] = (sharedLabels as Labels)[k];
      return { ...rest, labels };
    });
    return data;
  }

  /** @internal What the registry prints (bucket labels apart from the series' labels). */
  async getForPromString(): Promise<MetricObject> {
    await this.collected();
    const t = this.t;
    const n = this.b.length;
    const bucket = `${this.name}_bucket`;
    const values: MetricValue[] = [];
    for (const s of t.slots()) {
      const shared = t.labelsOf(s);
      const be = this.enableExemplars ? this.ex.get(t.id[s] as number) : undefined;
      const base = s * (n + 2);
      let acc = 0;
      for (let k = 0; k < n; k++) {
        const bound = this.upperBounds[k] as number;
        acc += this.count(s, k);
        values.push({ labels: { le: bound }, sharedLabels: shared, value: acc, metricName: bucket, exemplar: be ? be[bound] : null });
      }
      const count = acc + this.count(s, n);
      values.push(
        { labels: { le: "+Inf" }, sharedLabels: shared, value: count, metricName: bucket, exemplar: be ? be["-1"] : null },
        { labels: {}, sharedLabels: shared, value: t.v[base + n + 1] as number, metricName: `${this.name}_sum`, exemplar: undefined },
        { labels: {}, sharedLabels: shared, value: count, metricName: `${this.name}_count`, exemplar: undefined },
      );
    }
    t.release();
    return this.object(values);
  }

  /** Removes every series (an unlabelled histogram too, until its next observation). */
  reset(): void {
    this.t.clear();
    this.ex.clear();
  }

  /** Creates (or zeroes) the series of `labels`, so that it shows before its first observation. */
  zero(labels: Labels): void {
    const t = this.t;
    const s = t.find(labels);
    if (s < 0) {
      this.create(labels);
      return;
    }
    t.v.fill(0, s * t.stride, (s + 1) * t.stride);
    t.relabel(s, labels);
    if (this.enableExemplars) this.#freshExemplars(s);
  }

  /** Starts a timer; the returned function observes the seconds elapsed and returns them. */
  startTimer(labels?: Labels, exemplarLabels?: Labels): (endLabels?: Labels, endExemplarLabels?: Labels) => number {
    const start = process.hrtime();
    return (endLabels?: Labels, endExemplarLabels?: Labels) => {
      const value = elapsed(start);
      if (this.enableExemplars) {
        (this.observe as unknown as Histogram["observeWithExemplar"])({
          labels: Object.assign({}, labels, endLabels),
          value,
          exemplarLabels: Object.assign({}, exemplarLabels, endExemplarLabels),
        });
      } else this.observe(Object.assign({}, labels, endLabels), value);
      return value;
    };
  }

  /** The child of one label set (by position or as an object); keep it. */
  labels(...args: unknown[]): HistogramChild {
    const t = this.t;
    const labels = labelArgs(t.names, args);
    t.validate(labels);
    return new HistogramChild(this, t.find(labels), labels);
  }

  /** Removes the series of one label set. */
  remove(...args: unknown[]): void {
    removeSeries(this.t, args, this.ex);
  }
}
