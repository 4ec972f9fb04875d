/**
 * @module prom-client/summary
 * prom-client's Summary: quantiles from the same t-digest package prom-client uses (`tdigest`),
 * over an optional sliding window of `maxAgeSeconds` in `ageBuckets` (with prom-client's window
 * rules, so the same observations give the same quantiles), `_sum` and `_count`. Summaries are
 * not on the typed-array path: each label set keeps its digest objects; its sum and count are
 * also written to two doubles per series of its Series (what an exported registry's file holds).
 */
import { format } from "node:util";
import tdigest from "tdigest";
import { elapsed } from "./gauge.js";
import { labelArgs, Metric, type MetricConfiguration, removeSeries } from "./metric.js";
import type { Labels, MetricObject, MetricValue } from "./registry.js";
import { Series } from "./series.js";

type TDigest = InstanceType<typeof tdigest.TDigest>;

/** Options of a Summary (prom-client's). */
export interface SummaryConfiguration extends MetricConfiguration {
  percentiles?: number[];
  maxAgeSeconds?: number;
  ageBuckets?: number;
  pruneAgedBuckets?: boolean;
  compressCount?: number;
}

/**
 * A ring of digests rotated every maxAgeSeconds/ageBuckets, as prom-client keeps it: the ring
 * starts as one digest in every place (so an observation lands in it once per place), and a
 * rotation replaces one place by a fresh digest.
 */
class Window {
  readonly #rotate: boolean;
  readonly #ring: TDigest[];
  #current = 0;
  #last = Date.now();
  readonly #every: number;
  constructor(maxAgeSeconds: number | undefined, ageBuckets: number | undefined) {
    this.#rotate = Boolean(maxAgeSeconds && ageBuckets);
    this.#ring = Array(ageBuckets).fill(new tdigest.TDigest());
    this.#every = ((maxAgeSeconds ?? Number.NaN) * 1000) / (ageBuckets ?? Number.NaN) || Number.POSITIVE_INFINITY;
  }
  #bucket(): TDigest {
    let since = Date.now() - this.#last;
    while (since > this.#every && this.#rotate) {
      this.#ring[this.#current] = new tdigest.TDigest();
      if (++this.#current >= this.#ring.length) this.#current = 0;
      since -= this.#every;
      this.#last += this.#every;
    }
    return this.#ring[this.#current] as TDigest;
  }
  size(): number {
    return this.#bucket().size();
  }
  percentile(q: number): number | undefined {
    return this.#bucket().percentile(q);
  }
  push(x: number): void {
    this.#bucket();
    for (const d of this.#ring) d.push(x);
  }
  reset(): void {
    for (const d of this.#ring) d.reset();
  }
  compress(): void {
    for (const d of this.#ring) d.compress();
  }
}

interface Entry {
  labels: Labels;
  td: Window;
  count: number;
  sum: number;
}

/** prom-client's Summary. */
export class Summary extends Metric {
  readonly type = "summary";
  declare percentiles: number[];
  declare maxAgeSeconds: number | undefined;
  declare ageBuckets: number | undefined;
  declare pruneAgedBuckets: boolean | undefined;
  declare compressCount: number;
  /** @internal Label sets → slots (no values: the entries hold them). */
  declare t: Series;
  /** @internal Entries by series id. */
  declare e: Map<number, Entry>;

  constructor(config: SummaryConfiguration) {
    super(config, { percentiles: [0.01, 0.05, 0.5, 0.9, 0.95, 0.99, 0.999], compressCount: 1000 });
    this.t = new Series(this.labelNames, 2);
    this.e = new Map();
    // prom-client registers before it checks the label names: a refused summary stays registered, empty.
    if (this.labelNames.includes("quantile")) {
      this.enroll();
      throw new Error("quantile is a reserved label keyword");
    }
    if (this.labelNames.length === 0) this.#add({});
    this.enroll();
  }

  #add(labels: Labels): Entry {
    const entry = { labels, td: new Window(this.maxAgeSeconds, this.ageBuckets), count: 0, sum: 0 };
    const slot = this.t.create(labels); // before reading t.id: creating may grow (replace) it
    this.e.set(this.t.id[slot] as number, entry);
    return entry;
  }

  /** Observes `value` in the series of `labels` (default: none). */
  observe(labels: Labels | number, value?: number): void {
    this.#observe(labels === 0 ? 0 : labels || {}, value);
  }

  #observe(labels: unknown, value: unknown): void {
    const pair = value === undefined ? { value: labels, labels: {} as Labels } : { labels: labels as Labels, value };
    this.t.validate(labels);
    if (!Number.isFinite(pair.value)) throw new TypeError(`Value is not a valid number: ${format(pair.value)}`);
    const s = this.t.find(pair.labels);
    const entry = s < 0 ? this.#add(pair.labels) : (this.e.get(this.t.id[s] as number) as Entry);
    const v = pair.value as number;
    entry.td.push(v);
    entry.count++;
    if (entry.count % this.compressCount === 0) entry.td.compress();
    entry.sum += v;
    // The exported copy (prom-client/export.ts): sum and count, two doubles per series.
    const slot = s < 0 ? this.t.find(pair.labels) : s;
    const t = this.t.v;
    t[slot * 2] = entry.sum;
    t[slot * 2 + 1] = entry.count;
  }

  async get(): Promise<MetricObject> {
    await this.collected();
    const values: MetricValue[] = [];
    for (const slot of [...this.t.slots()]) {
      const id = this.t.id[slot] as number;
      const s = this.e.get(id) as Entry;
      if (this.pruneAgedBuckets && s.td.size() === 0) {
        this.e.delete(id);
        this.t.removeSlot(slot, s.labels);
        continue;
      }
      s.td.compress();
      for (const q of this.percentiles) {
        const v = s.td.percentile(q);
        values.push({ labels: Object.assign({ quantile: q }, s.labels), value: v ? v : 0 });
      }
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return this.object(values);
  }

  /** Empties every series' digest, sum and count (the series stay). */
  reset(): void {
    for (const s of this.e.values()) {
      s.td.reset();
      s.count = 0;
      s.sum = 0;
    }
    this.t.v.fill(0);
  }

  /** Starts a timer; the returned function observes the seconds elapsed and returns them. */
  startTimer(labels?: Labels): (endLabels?: Labels) => number {
    const start = process.hrtime();
    return (endLabels?: Labels) => {
      const value = elapsed(start);
      this.observe(Object.assign({}, labels, endLabels), value);
      return value;
    };
  }

  /** The child of one label set (by position or as an object). */
  labels(...args: unknown[]): { observe(value: number): void; startTimer(): (endLabels?: Labels) => number } {
    const labels = labelArgs(this.t.names, args);
    this.t.validate(labels);
    return {
      observe: (value: number) => this.#observe(labels, value),
      startTimer: () => this.startTimer(labels),
    };
  }

  /** Removes the series of one label set. */
  remove(...args: unknown[]): void {
    removeSeries(this.t, args, this.e);
  }
}
