/**
 * @module prom-client/aggregators
 * How a cluster's per-worker metrics become one (prom-client's metricAggregators): group the
 * samples by metric name and label set, then `sum` (default), `first`, `min`, `max`, `average`,
 * or `omit` the metric; `AggregatorFactory` makes others.
 */
import type { MetricObject, MetricValue } from "./registry.js";

/** prom-client's label-set hash (sorted names, `name:value,`), the grouping key of aggregation. */
function hashObject(labels: Record<string, unknown>): string {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let h = "";
  for (const k of keys) {
    const v = labels[k];
    if (v !== undefined) h += `${k}:${v as string},`;
  }
  return h;
}

/** An aggregation of one metric's objects from several workers. */
export type Aggregator = (metrics: MetricObject[]) => MetricObject | undefined;

/** Makes an aggregator from a function of the grouped samples. */
export function AggregatorFactory(fn: (values: MetricValue[]) => number): Aggregator {
  return (metrics) => {
    if (metrics.length === 0) return undefined;
    const first = metrics[0] as MetricObject;
    const result: MetricObject = { help: first.help, name: first.name, type: first.type, values: [], aggregator: first.aggregator };
    const groups = new Map<string, MetricValue[]>();
    for (const m of metrics) {
      for (const v of m.values) {
        const key = `${v.metricName}_${hashObject(v.labels)}`;
        const g = groups.get(key);
        if (g) g.push(v);
        else groups.set(key, [v]);
      }
    }
    for (const values of groups.values()) {
      const v0 = values[0] as MetricValue;
      const out: MetricValue = { value: fn(values), labels: v0.labels };
      if (v0.metricName) out.metricName = v0.metricName;
      result.values.push(out);
    }
    return result;
  };
}

/** The aggregators by name. */
export const aggregators: Record<string, Aggregator> = {
  sum: AggregatorFactory((v) => v.reduce((p, c) => p + c.value, 0)),
  first: AggregatorFactory((v) => (v[0] as MetricValue).value),
  omit: () => undefined,
  average: AggregatorFactory((v) => v.reduce((p, c) => p + c.value, 0) / v.length),
  min: AggregatorFactory((v) => v.reduce((p, c) => Math.min(p, c.value), Number.POSITIVE_INFINITY)),
  max: AggregatorFactory((v) => v.reduce((p, c) => Math.max(p, c.value), Number.NEGATIVE_INFINITY)),
};
