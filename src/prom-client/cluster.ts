/**
 * @module prom-client/cluster
 * prom-client's AggregatorRegistry: `aggregate()` merges the metrics of several registries (or
 * workers) by each metric's `aggregator`, and `setRegistries()` names the registries a worker
 * offers.
 */
import { aggregators } from "./aggregators.js";
import { type MetricObject, Registry } from "./registry.js";

let registries: Registry[] = [];

/** The registries a cluster worker offers (default: the global registry). */
export function offeredRegistries(fallback: Registry): Registry[] {
  return registries.length > 0 ? registries : [fallback];
}

/** prom-client's AggregatorRegistry. */
export class AggregatorRegistry extends Registry {
  /** One registry of the metrics of `metricsArr` (one array of metric objects per worker), aggregated. */
  static aggregate(metricsArr: MetricObject[][], registryType: string = Registry.PROMETHEUS_CONTENT_TYPE): Registry {
    const out = new Registry();
    out.setContentType(registryType);
    const byName = new Map<string, MetricObject[]>();
    for (const metrics of metricsArr) {
      for (const m of metrics) {
        const g = byName.get(m.name);
        if (g) g.push(m);
        else byName.set(m.name, [m]);
      }
    }
    for (const metrics of byName.values()) {
      const name = (metrics[0] as MetricObject).aggregator;
      const fn = Object.hasOwn(aggregators, name) ? aggregators[name] : undefined;
      if (typeof fn !== "function") throw new Error(`'${name}' is not a defined aggregator.`);
      const m = fn(metrics);
      if (m) out.registerMetric(Object.assign({ get: () => m }, m));
    }
    return out;
  }

  /** Sets the registries a worker offers to the cluster's aggregate. */
  static setRegistries(regs: Registry | Registry[]): void {
    const list = Array.isArray(regs) ? regs : [regs];
    for (const r of list) if (!(r instanceof Registry)) throw new TypeError(`Expected Registry, got ${typeof r}`);
    registries = list;
  }
}
