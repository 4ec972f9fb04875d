/**
 * @module prom-client/default-metrics
 * prom-client's `collectDefaultMetrics()`: the same metric names, help texts, label sets and
 * cluster aggregators (process CPU, start time, memory from /proc/self/status, open and max fds,
 * event-loop lag and its percentiles, active handles/requests/resources, heap sizes and spaces,
 * Node version, GC durations by kind), read at each scrape through `collect()` callbacks on this
 * module's own Counter, Gauge and Histogram. Options: `register`, `prefix`, `labels`,
 * `gcDurationBuckets`, `eventLoopMonitoringPrecision`, `enableExemplars`.
 */
import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay, PerformanceObserver, constants as perf } from "node:perf_hooks";
import { getHeapSpaceStatistics } from "node:v8";
import { Counter } from "./counter.js";
import { Gauge } from "./gauge.js";
import { Histogram } from "./histogram.js";
import { isObject } from "./metric.js";
import type { Labels, Registry } from "./registry.js";

/** Options of {@link collectDefaultMetrics}. */
export interface DefaultMetricsCollectorConfiguration {
  register?: Registry;
  prefix?: string;
  labels?: Labels;
  gcDurationBuckets?: number[];
  eventLoopMonitoringPrecision?: number;
  enableExemplars?: boolean;
}

const START = Math.round(Date.now() / 1000 - process.uptime());
let maxFds: number | undefined;

type Config = DefaultMetricsCollectorConfiguration & { eventLoopMonitoringPrecision: number };

interface Common {
  registers: Registry[] | undefined;
  prefix: string;
  labels: Labels;
  labelNames: string[];
}

function common(registry: Registry | undefined, config: Config): Common {
  const labels = config.labels ? config.labels : {};
  return {
    registers: registry ? [registry] : undefined,
    prefix: config.prefix ? config.prefix : "",
    labels,
    labelNames: Object.keys(labels),
  };
}

function opts(c: Common, name: string, help: string, extra: Record<string, unknown> = {}) {
  return { name: c.prefix + name, help, registers: c.registers as Registry[], labelNames: c.labelNames, ...extra };
}

function memoryUsage(): NodeJS.MemoryUsage | undefined {
  try {
    return process.memoryUsage();
  } catch {
    return undefined;
  }
}

function cpu(c: Common, config: Config): void {
  let last = process.cpuUsage();
  const ex = config.enableExemplars ? config.enableExemplars : false;
  const user: Counter = new Counter(
    opts(c, "process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", {
      enableExemplars: ex,
      collect() {
        const now = process.cpuUsage();
        const u = now.user - last.user;
        const s = now.system - last.system;
        last = now;
        if (ex) {
          user.inc({ labels: c.labels, value: u / 1e6, exemplarLabels: {} } as unknown as Labels);
          system.inc({ labels: c.labels, value: s / 1e6, exemplarLabels: {} } as unknown as Labels);
          total.inc({ labels: c.labels, value: (u + s) / 1e6, exemplarLabels: {} } as unknown as Labels);
        } else {
          user.inc(c.labels, u / 1e6);
          system.inc(c.labels, s / 1e6);
          total.inc(c.labels, (u + s) / 1e6);
        }
      },
    }),
  );
  const system = new Counter(
    opts(c, "process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", { enableExemplars: ex }),
  );
  const total = new Counter(
    opts(c, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", { enableExemplars: ex }),
  );
}

function startTime(c: Common): void {
  new Gauge(
    opts(c, "process_start_time_seconds", "Start time of the process since unix epoch in seconds.", {
      aggregator: "omit",
      collect(this: Gauge) {
        this.set(c.labels, START);
      },
    }),
  );
}

function memory(c: Common): void {
  const pick = (text: string, key: string): number | undefined => {
    const line = text.split("\n").find((l) => l.startsWith(key));
    if (!line) return undefined;
    const v = (line.split(":")[1] ?? "").trim();
    return Number(v.slice(0, v.length - 3)) * 1024;
  };
  const rss: Gauge = new Gauge(
    opts(c, "process_resident_memory_bytes", "Resident memory size in bytes.", {
      collect() {
        try {
          const s = readFileSync("/proc/self/status", "utf8");
          rss.set(c.labels, pick(s, "VmRSS") as number);
          vsz.set(c.labels, pick(s, "VmSize") as number);
          data.set(c.labels, pick(s, "VmData") as number);
        } catch {
          // no /proc: the gauges keep their last values
        }
      },
    }),
  );
  const vsz = new Gauge(opts(c, "process_virtual_memory_bytes", "Virtual memory size in bytes."));
  const data = new Gauge(opts(c, "process_heap_bytes", "Process heap size in bytes."));
}

function fds(c: Common): void {
  new Gauge(
    opts(c, "process_open_fds", "Number of open file descriptors.", {
      collect(this: Gauge) {
        try {
          this.set(c.labels, readdirSync("/proc/self/fd").length - 1);
        } catch {
          // no /proc
        }
      },
    }),
  );
  if (maxFds === undefined) {
    try {
      const line = readFileSync("/proc/self/limits", "utf8")
        .split("\n")
        .find((l) => l.startsWith("Max open files"));
      if (line) maxFds = Number(line.split(/ {2,}/)[1]);
    } catch {
      return;
    }
  }
  if (maxFds === undefined) return;
  new Gauge(
    opts(c, "process_max_fds", "Maximum number of open file descriptors.", {
      collect(this: Gauge) {
        if (maxFds !== undefined) this.set(c.labels, maxFds);
      },
    }),
  );
}

function eventLoop(c: Common, config: Config): void {
  const h = monitorEventLoopDelay({ resolution: config.eventLoopMonitoringPrecision });
  h.enable();
  const g = (name: string, help: string, aggregator: string, extra: Record<string, unknown> = {}) =>
    new Gauge(opts(c, name, help, { aggregator, ...extra }));
  const lag: Gauge = g("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds.", "average", {
    collect() {
      const start = process.hrtime();
      setImmediate(() => {
        const d = process.hrtime(start);
        lag.set(c.labels, (d[0] * 1e9 + d[1]) / 1e9);
      });
      min.set(c.labels, h.min / 1e9);
      max.set(c.labels, h.max / 1e9);
      mean.set(c.labels, h.mean / 1e9);
      stddev.set(c.labels, h.stddev / 1e9);
      p50.set(c.labels, h.percentile(50) / 1e9);
      p90.set(c.labels, h.percentile(90) / 1e9);
      p99.set(c.labels, h.percentile(99) / 1e9);
      h.reset();
    },
  });
  const min = g("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.", "min");
  const max = g("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.", "max");
  const mean = g("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.", "average");
  const stddev = g("nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays.", "average");
  const p50 = g("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.", "average");
  const p90 = g("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.", "average");
  const p99 = g("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.", "average");
}

function byType(gauge: Gauge, data: Record<string, number>, labels: Labels): void {
  gauge.reset();
  for (const key in data) gauge.set(Object.assign({ type: key }, labels || {}), data[key] as number);
}

function countByClass(list: readonly unknown[]): Record<string, number> {
  const data: Record<string, number> = {};
  for (const x of list) {
    if (!x || typeof (x as object).constructor === "undefined") continue;
    const n = (x as object).constructor.name;
    data[n] = Object.hasOwn(data, n) ? (data[n] as number) + 1 : 1;
  }
  return data;
}

function active(c: Common): void {
  const p = process as unknown as { _getActiveHandles?: () => unknown[]; _getActiveRequests?: () => unknown[] };
  if (typeof process.getActiveResourcesInfo === "function") {
    new Gauge(
      opts(
        c,
        "nodejs_active_resources",
        "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.",
        {
          labelNames: ["type", ...c.labelNames],
          collect(this: Gauge) {
            const data: Record<string, number> = {};
            for (const r of process.getActiveResourcesInfo()) data[r] = Object.hasOwn(data, r) ? (data[r] as number) + 1 : 1;
            byType(this, data, c.labels);
          },
        },
      ),
    );
    new Gauge(
      opts(c, "nodejs_active_resources_total", "Total number of active resources.", {
        collect(this: Gauge) {
          this.set(c.labels, process.getActiveResourcesInfo().length);
        },
      }),
    );
  }
  for (const [kind, get, help, totalHelp] of [
    [
      "handles",
      p._getActiveHandles,
      "Number of active libuv handles grouped by handle type. Every handle type is C++ class name.",
      "Total number of active handles.",
    ],
    [
      "requests",
      p._getActiveRequests,
      "Number of active libuv requests grouped by request type. Every request type is C++ class name.",
      "Total number of active requests.",
    ],
  ] as const) {
    if (typeof get !== "function") continue;
    const list = () => get.call(process);
    new Gauge(
      opts(c, `nodejs_active_${kind}`, help, {
        labelNames: ["type", ...c.labelNames],
        collect(this: Gauge) {
          byType(this, countByClass(list()), c.labels);
        },
      }),
    );
    new Gauge(
      opts(c, `nodejs_active_${kind}_total`, totalHelp, {
        collect(this: Gauge) {
          this.set(c.labels, list().length);
        },
      }),
    );
  }
}

function heap(c: Common): void {
  const total: Gauge = new Gauge(
    opts(c, "nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes.", {
      collect() {
        const m = memoryUsage();
        if (!m) return;
        total.set(c.labels, m.heapTotal);
        used.set(c.labels, m.heapUsed);
        if (m.external !== undefined) external.set(c.labels, m.external);
      },
    }),
  );
  const used = new Gauge(opts(c, "nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes."));
  const external = new Gauge(opts(c, "nodejs_external_memory_bytes", "Node.js external memory size in bytes."));
  const spaces: Record<string, Gauge> = {};
  for (const kind of ["total", "used", "available"]) {
    spaces[kind] = new Gauge(
      opts(c, `nodejs_heap_space_size_${kind}_bytes`, `Process heap space size ${kind} from Node.js in bytes.`, {
        labelNames: ["space", ...c.labelNames],
      }),
    );
  }
  (spaces.total as Gauge).collect = () => {
    for (const s of getHeapSpaceStatistics()) {
      const space = s.space_name.substring(0, s.space_name.indexOf("_space"));
      (spaces.total as Gauge).set({ space, ...c.labels }, s.space_size);
      (spaces.used as Gauge).set({ space, ...c.labels }, s.space_used_size);
      (spaces.available as Gauge).set({ space, ...c.labels }, s.space_available_size);
    }
  };
}

function version(c: Common): void {
  const v = process.version;
  const seg = v.slice(1).split(".").map(Number);
  new Gauge(
    opts(c, "nodejs_version_info", "Node.js version info.", {
      labelNames: ["version", "major", "minor", "patch", ...c.labelNames],
      aggregator: "first",
      collect(this: Gauge) {
        this.labels(v, seg[0], seg[1], seg[2], ...Object.values(c.labels)).set(1);
      },
    }),
  );
}

const GC_KINDS: string[] = [];
GC_KINDS[perf.NODE_PERFORMANCE_GC_MAJOR] = "major";
GC_KINDS[perf.NODE_PERFORMANCE_GC_MINOR] = "minor";
GC_KINDS[perf.NODE_PERFORMANCE_GC_INCREMENTAL] = "incremental";
GC_KINDS[perf.NODE_PERFORMANCE_GC_WEAKCB] = "weakcb";

function gc(c: Common, config: Config): void {
  const h = new Histogram({
    name: `${c.prefix}nodejs_gc_duration_seconds`,
    help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
    labelNames: ["kind", ...c.labelNames],
    enableExemplars: false,
    buckets: config.gcDurationBuckets ? config.gcDurationBuckets : [0.001, 0.01, 0.1, 1, 2, 5],
    registers: c.registers as Registry[],
  });
  const obs = new PerformanceObserver((list) => {
    const entry = list.getEntries()[0] as { duration: number; detail?: { kind: number } };
    const kind = entry.detail ? GC_KINDS[entry.detail.kind] : undefined;
    h.observe(Object.assign({ kind }, c.labels), entry.duration / 1000);
  });
  obs.observe({ entryTypes: ["gc"] });
}

/** prom-client's default metric names (those this Node offers). */
export const metricsList: readonly string[] = [
  "processCpuTotal",
  "processStartTime",
  "osMemoryHeap",
  "processOpenFileDescriptors",
  "processMaxFileDescriptors",
  "eventLoopLag",
  ...(typeof process.getActiveResourcesInfo === "function" ? ["processResources"] : []),
  "processHandles",
  "processRequests",
  "heapSizeAndUsed",
  "heapSpacesSizeAndUsed",
  "version",
  "gc",
];

/** Registers prom-client's default metrics in `config.register` (default: the global registry). */
export function collectDefaultMetrics(config?: DefaultMetricsCollectorConfiguration | null): void {
  if (config !== null && config !== undefined && !isObject(config)) throw new TypeError("config must be null, undefined, or an object");
  const cfg: Config = { eventLoopMonitoringPrecision: 10, ...config };
  const c = common(cfg.register, cfg);
  cpu(c, cfg);
  startTime(c);
  memory(c);
  fds(c);
  eventLoop(c, cfg);
  active(c);
  heap(c);
  version(c);
  gc(c, cfg);
}
collectDefaultMetrics.metricsList = metricsList;
