/**
 * @module prom-client/registry
 * prom-client's Registry: metrics by name, default labels, the two exposition formats (text
 * 0.0.4 and OpenMetrics 1.0.0) and `getMetricsAsJSON()`. The text is built from each metric's
 * `get()` objects by the same rules as prom-client (label order, shared labels, default labels,
 * escaping, `Nan`/`+Inf`/`-Inf`, `_total` in OpenMetrics, exemplars), so the same operations
 * print the same bytes; the global registry lives on `globalThis` under a symbol, so a process
 * that loads both the CommonJS and the ES build still has one `register`.
 * `exportStats()` exports a registry as a statsfs bundle file (prom-client/export.ts): metrics
 * registered later join it, removed ones leave it.
 */
import { type ExportOptions, RegistryExport } from "./export.js";

/** A label set as printed: names to values as given. */
export type Labels = Record<string, unknown>;

/** An OpenMetrics exemplar: labels, value, timestamp in seconds. */
export interface ExemplarObject {
  labelSet: Labels;
  value: number | null;
  timestamp?: number;
}

/** One sample of a metric's `get()`, as prom-client shapes it. */
export interface MetricValue {
  value: number;
  labels: Labels;
  metricName?: string;
  sharedLabels?: Labels;
  exemplar?: ExemplarObject | null | undefined;
}

/** A metric's `get()` result. */
export interface MetricObject {
  help: string;
  name: string;
  type: string;
  values: MetricValue[];
  aggregator: string;
}

/** What a registry holds: our metrics, or any object with prom-client's `get()` contract. */
export interface RegistrableMetric {
  name: string;
  type?: string;
  get(): MetricObject | Promise<MetricObject>;
  getForPromString?(): MetricObject | Promise<MetricObject>;
  reset?(): void;
}

const PROMETHEUS = "text/plain; version=0.0.4; charset=utf-8";
const OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/** The exposition of a sample's value, as prom-client writes it. */
export function valueText(value: unknown): string {
  if (Number.isNaN(value)) return "Nan";
  if (!Number.isFinite(value)) return (value as number) < 0 ? "-Inf" : "+Inf";
  return `${value as string}`;
}

function escapeString(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}

function escapeLabelValue(v: unknown): unknown {
  return typeof v === "string" ? escapeString(v).replace(/"/g, '\\"') : v;
}

function formatLabels(labels: Labels, exclude?: Labels): string[] {
  const out: string[] = [];
  for (const [name, value] of Object.entries(labels)) {
    if (!exclude || !Object.hasOwn(exclude, name)) out.push(`${name}="${escapeLabelValue(value) as string}"`);
  }
  return out;
}

const flatShared = new WeakMap<Labels, string>();
function flattenShared(labels: Labels): string {
  let s = flatShared.get(labels);
  if (s === undefined) {
    s = formatLabels(labels).join(",");
    flatShared.set(labels, s);
  }
  return s;
}

/** prom-client's Registry. */
export class Registry {
  static get PROMETHEUS_CONTENT_TYPE(): string {
    return PROMETHEUS;
  }
  static get OPENMETRICS_CONTENT_TYPE(): string {
    return OPENMETRICS;
  }

  /** @internal */
  _metrics: Record<string, RegistrableMetric> = {};
  /** @internal */
  _defaultLabels: Labels = {};
  /** @internal */
  _contentType: string;

  constructor(contentType: string = PROMETHEUS) {
    if (contentType !== PROMETHEUS && contentType !== OPENMETRICS) throw new TypeError(`Content type ${contentType} is unsupported`);
    this._contentType = contentType;
  }

  /** @internal The registry's exported file, once {@link exportStats} ran. */
  _export: RegistryExport | undefined;

  /**
   * Exports this registry as one statsfs bundle file, `<dir>/<name>/<instance>.stats` (see
   * prom-client/export.ts): its metrics' values then live in that file, readable by
   * `statsfs read shm:<name>`, `top`, `mount`, `serve --http` and the cluster primary. Returns the
   * file's path; a second call returns the same path. Throws a one-line statsfs error when the
   * file cannot be made (e.g. the instance is held by another live process).
   */
  exportStats(opts: ExportOptions = {}): string {
    if (!this._export) this._export = new RegistryExport(this.getMetricsAsArray(), opts);
    return this._export.path;
  }

  /** Stops exporting (the file is removed; values stay in the process). */
  unexportStats(): void {
    this._export?.close();
    this._export = undefined;
  }

  getMetricsAsArray(): RegistrableMetric[] {
    return Object.values(this._metrics);
  }

  async getMetricsAsString(metrics: RegistrableMetric): Promise<string> {
    const metric = typeof metrics.getForPromString === "function" ? await metrics.getForPromString() : await metrics.get();
    const name = escapeString(metric.name);
    const lines = [`# HELP ${name} ${escapeString(metric.help)}`, `# TYPE ${name} ${metric.type}`];
    const defaults = Object.keys(this._defaultLabels).length > 0 ? this._defaultLabels : null;
    const om = this.contentType === OPENMETRICS;
    for (const val of metric.values ?? []) {
      let metricName = val.metricName ?? name;
      let labels = val.labels ?? {};
      const shared = val.sharedLabels ?? {};
      if (om && metric.type === "counter") metricName = `${metricName}_total`;
      if (defaults) labels = { ...labels, ...defaults, ...labels };
      const parts = [...formatLabels(labels, shared), flattenShared(shared)].filter(Boolean);
      let line = `${metricName}${parts.length ? `{${parts.join(",")}}` : ""} ${valueText(val.value)}`;
      const ex = val.exemplar;
      if (ex && om) line += ` # {${formatLabels(ex.labelSet).join(",")}} ${valueText(ex.value)} ${ex.timestamp as number}`;
      lines.push(line);
    }
    return lines.join("\n");
  }

  async metrics(): Promise<string> {
    const om = this.contentType === OPENMETRICS;
    const parts = await Promise.all(
      this.getMetricsAsArray().map((m) => {
        if (om && m.type === "counter") m.name = m.name.replace(/_total$/, "");
        return this.getMetricsAsString(m);
      }),
    );
    return om ? `${parts.join("\n")}\n# EOF\n` : `${parts.join("\n\n")}\n`;
  }

  registerMetric(metric: RegistrableMetric): void {
    const known = this._metrics[metric.name];
    if (known && known !== metric) throw new Error(`A metric with the name ${metric.name} has already been registered.`);
    this._metrics[metric.name] = metric;
    if (!known) this._export?.attach(metric);
  }

  clear(): void {
    for (const m of Object.values(this._metrics)) this._export?.detach(m);
    this._metrics = {};
    this._defaultLabels = {};
  }

  async getMetricsAsJSON(): Promise<MetricObject[]> {
    const names = Object.keys(this._defaultLabels);
    const all = await Promise.all(this.getMetricsAsArray().map((m) => m.get()));
    for (const item of all) {
      if (!item.values || names.length === 0) continue;
      for (const val of item.values) {
        val.labels = Object.assign({}, val.labels);
        for (const n of names) val.labels[n] = val.labels[n] || this._defaultLabels[n];
      }
    }
    return all;
  }

  removeSingleMetric(name: string): void {
    this._export?.detach(this._metrics[name]);
    delete this._metrics[name];
  }

  getSingleMetricAsString(name: string): Promise<string> {
    return this.getMetricsAsString(this._metrics[name] as RegistrableMetric);
  }

  getSingleMetric(name: string): RegistrableMetric | undefined {
    return this._metrics[name];
  }

  setDefaultLabels(labels: Labels): void {
    this._defaultLabels = labels;
    // Default labels are not in the file: a cluster worker's primary then asks it over IPC.
    if (this._export?.forPrimary && Object.keys(labels ?? {}).length > 0) this.unexportStats();
  }

  resetMetrics(): void {
    for (const name in this._metrics) this._metrics[name]?.reset?.();
  }

  get contentType(): string {
    return this._contentType;
  }

  setContentType(contentType: string): void {
    if (contentType !== PROMETHEUS && contentType !== OPENMETRICS) throw new Error(`Content type ${contentType} is unsupported`);
    this._contentType = contentType;
  }

  /** One registry holding every metric of `registries` (same content type). */
  static merge(registries: readonly Registry[]): Registry {
    const type = (registries[0] as Registry).contentType;
    for (const r of registries) {
      if (r.contentType !== type) throw new Error("Registers can only be merged if they have the same content type");
    }
    const merged = new Registry(type);
    for (const r of registries) for (const m of r.getMetricsAsArray()) merged.registerMetric(m);
    return merged;
  }
}

const GLOBAL = Symbol.for("statsfs.prom-client.globalRegistry");

/** The process's one global registry (shared by the CommonJS and ES builds). */
export const globalRegistry: Registry = ((globalThis as Record<symbol, unknown>)[GLOBAL] as Registry | undefined) ?? new Registry();
(globalThis as Record<symbol, unknown>)[GLOBAL] = globalRegistry;
