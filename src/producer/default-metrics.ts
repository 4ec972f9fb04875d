/**
 * @module producer/default-metrics
 * The process statistics prom-client's `collectDefaultMetrics()` gives, written through statsfs
 * handles into a source (default name `process`), refreshed every `intervalMs` (default 1 s) by
 * an unref'd timer and on demand with {@link DefaultMetrics.update}:
 *
 *   cpu_user, cpu_system          cumulative, seconds (µs raw)   process.cpuUsage()
 *   resident_memory               instant, bytes                 process.memoryUsage.rss()
 *   heap_used, heap_total, external, array_buffers   instant, bytes   process.memoryUsage()
 *   open_fds, max_fds             instant                        /proc/self/fd, /proc/self/limits
 *   start_time                    instant, seconds               since the epoch
 *   eventloop_lag                 log2 histogram, seconds (ns)   a 10 ms timer's lateness
 *   gc                            log2 histogram, seconds (ns)   GC pauses, labelled by kind
 *
 * In OpenMetrics these read `statsfs_process_cpu_user_seconds_total`, …
 */
import { readdirSync, readFileSync } from "node:fs";
import { constants, PerformanceObserver } from "node:perf_hooks";
import { defaultRegistry, type Registration, type Registry } from "./registry.js";
import { createSource, type Source } from "./source.js";

/** Options of {@link collectDefaultMetrics}. */
export interface DefaultMetricsOptions {
  /** Registry to register the source in (default: the global one). */
  readonly registry?: Registry;
  /** Source name (default `process`). */
  readonly name?: string;
  /** Refresh period in ms (default 1000; 0: only on {@link DefaultMetrics.update}). */
  readonly intervalMs?: number;
  /** Export the source as live files (as `register`'s `export` option). */
  readonly export?: boolean | { dir?: string; instance?: string; nameSize?: number };
}

/** What {@link collectDefaultMetrics} returns; closing it stops the timers and unregisters. */
export interface DefaultMetrics extends Disposable {
  readonly source: Source;
  readonly registration: Registration;
  /** Refreshes the sampled values now. */
  update(): void;
  close(): void;
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

function maxFds(): number {
  try {
    const m = /^Max open files\s+(\d+)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Starts collecting the default process statistics. */
export function collectDefaultMetrics(options: DefaultMetricsOptions = {}): DefaultMetrics {
  const registry = options.registry ?? defaultRegistry;
  const source = createSource(options.name ?? "process");
  const v = source.addValues({
    cpu_user: { unit: "seconds", exponent: -6, help: "User CPU time spent by the process" },
    cpu_system: { unit: "seconds", exponent: -6, help: "System CPU time spent by the process" },
    resident_memory: { type: "instant", unit: "bytes", help: "Resident memory size" },
    heap_used: { type: "instant", unit: "bytes", help: "V8 heap in use" },
    heap_total: { type: "instant", unit: "bytes", help: "V8 heap allocated" },
    external: { type: "instant", unit: "bytes", help: "Memory of C++ objects bound to JavaScript objects" },
    array_buffers: { type: "instant", unit: "bytes", help: "Memory of ArrayBuffers and SharedArrayBuffers" },
    open_fds: { type: "instant", help: "Open file descriptors" },
    max_fds: { type: "instant", help: "Limit of open file descriptors" },
    start_time: { type: "instant", unit: "seconds", help: "Start time of the process since the Unix epoch" },
    eventloop_lag: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 40, sum: true, help: "Lateness of a 10 ms timer" },
    gc: {
      type: "log2-histogram",
      unit: "seconds",
      exponent: -9,
      buckets: 40,
      sum: true,
      aggregations: [],
      help: "Garbage collection pauses, by kind",
    },
  });
  const registration = registry.register(source, options.export === undefined ? {} : { export: options.export });
  v.start_time.set(Math.floor(Date.now() / 1000 - process.uptime()));
  v.max_fds.set(maxFds());
  let last = { user: 0, system: 0 };
  const update = () => {
    const cpu = process.cpuUsage();
    v.cpu_user.add(cpu.user - last.user);
    v.cpu_system.add(cpu.system - last.system);
    last = cpu;
    const m = process.memoryUsage();
    v.resident_memory.set(m.rss);
    v.heap_used.set(m.heapUsed);
    v.heap_total.set(m.heapTotal);
    v.external.set(m.external);
    v.array_buffers.set(m.arrayBuffers);
    try {
      v.open_fds.set(readdirSync("/proc/self/fd").length - 1);
    } catch {
      // no /proc: left as is
    }
  };
  update();
  const timers: NodeJS.Timeout[] = [];
  if ((options.intervalMs ?? 1000) > 0) timers.push(setInterval(update, options.intervalMs ?? 1000).unref());
  // Event-loop lag: how late a 10 ms timer fires.
  const LAG_MS = 10;
  let expected = performance.now() + LAG_MS;
  timers.push(
    setInterval(() => {
      const now = performance.now();
      v.eventloop_lag.record(Math.max(0, Math.round((now - expected) * 1e6)));
      expected = now + LAG_MS;
    }, LAG_MS).unref(),
  );
  const gcByKind = new Map<string, typeof v.gc>();
  // (gc is recorded only by kind; its unlabelled self stays empty)
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      const kind = GC_KINDS[(e as unknown as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? "other";
      let h = gcByKind.get(kind);
      if (!h) {
        h = v.gc.labels({ kind });
        gcByKind.set(kind, h);
      }
      h.record(Math.round(e.duration * 1e6));
    }
  });
  obs.observe({ entryTypes: ["gc"] });
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const t of timers) clearInterval(t);
    obs.disconnect();
    registration.close();
  };
  return { source, registration, update, close, [Symbol.dispose]: close };
}
