/**
 * @module prom-client/metric
 * What every metric shares, as prom-client's Metric: the configuration (`name`, `help`,
 * `labelNames`, `registers`, `aggregator`, `collect`, `enableExemplars`, and any other option,
 * kept on the metric as prom-client keeps it), its checks and messages, registration, label
 * arguments by position or by object, and the `collect()` call before a read.
 */
import { globalRegistry, type Labels, type MetricObject, type MetricValue, Registry } from "./registry.js";
import type { Series } from "./series.js";
import { validateLabelName, validateMetricName } from "./validation.js";

/** Options every metric takes. */
export interface MetricConfiguration {
  name: string;
  help: string;
  labelNames?: readonly string[];
  registers?: Registry[];
  aggregator?: "sum" | "first" | "min" | "max" | "average" | "omit";
  collect?: (this: never) => void | Promise<void>;
  enableExemplars?: boolean;
  [option: string]: unknown;
}

/** True for objects (prom-client's isObject: null is not one). */
export function isObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === "object";
}

/** Label arguments as prom-client reads them: an object, or values by position (checked against the names). */
export function labelArgs(names: readonly string[], args: readonly unknown[]): Labels {
  if (typeof args[0] === "object") return args[0] as Labels;
  if (names.length !== args.length) {
    throw new Error(
      `Invalid number of arguments (${args.length}): "${args.join(", ")}" for label names (${names.length}): "${names.join(", ")}".`,
    );
  }
  const out: Labels = {};
  for (let i = 0; i < names.length; i++) out[names[i] as string] = args[i];
  return out;
}

/**
 * prom-client's `remove(…labels)`: removes the series of one label set from `t`, and what
 * `kept` holds for it by series id (exemplars, digests).
 */
export function removeSeries(t: Series, args: readonly unknown[], kept?: Map<number, unknown>): void {
  const labels = labelArgs(t.names, args);
  t.validate(labels);
  const s = t.find(labels);
  if (s >= 0) kept?.delete(t.id[s] as number);
  t.removeSlot(s, labels);
}

/** The base of Counter, Gauge, Histogram and Summary. */
export abstract class Metric {
  declare name: string;
  declare help: string;
  declare labelNames: string[];
  declare registers: Registry[];
  declare aggregator: string;
  declare enableExemplars: boolean;
  declare collect: (() => unknown) | undefined;
  /** Label names, sorted. */
  declare sortedLabelNames: string[];
  abstract readonly type: string;

  constructor(config: MetricConfiguration, defaults: Record<string, unknown> = {}) {
    if (!isObject(config)) throw new TypeError("constructor expected a config object");
    Object.assign(this, { labelNames: [], registers: [globalRegistry], aggregator: "sum", enableExemplars: false }, defaults, config);
    if (!this.registers) this.registers = [globalRegistry];
    if (!this.help) throw new Error("Missing mandatory help parameter");
    if (!this.name) throw new Error("Missing mandatory name parameter");
    if (!validateMetricName(this.name)) throw new Error("Invalid metric name");
    if (!validateLabelName(this.labelNames)) throw new Error("Invalid label name");
    if (this.collect && typeof this.collect !== "function") throw new Error('Optional "collect" parameter must be a function');
    this.sortedLabelNames = this.labelNames ? [...this.labelNames].sort() : [];
  }

  /** Registers with every registry of the configuration (after the subclass set itself up). */
  protected enroll(): void {
    for (const r of this.registers) {
      if (this.enableExemplars && r.contentType === Registry.PROMETHEUS_CONTENT_TYPE) {
        throw new TypeError("Exemplars are supported only on OpenMetrics registries");
      }
      r.registerMetric(this);
    }
  }

  /** Runs the `collect` callback (awaiting it when it returns a promise). */
  protected async collected(): Promise<void> {
    if (this.collect) {
      const v = this.collect();
      if (v instanceof Promise) await v;
    }
  }

  /** The metric object of `values`. */
  protected object(values: MetricValue[]): MetricObject {
    return { help: this.help, name: this.name, type: this.type, values, aggregator: this.aggregator };
  }

  abstract get(): Promise<MetricObject>;
  abstract reset(): void;
}
