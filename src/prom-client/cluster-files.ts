/**
 * @module prom-client/cluster-files
 * The cluster primary's side of exported registries (prom-client/export.ts): a worker's metrics
 * read from its bundle file `<dir>/<name>/<primary pid>-w<worker id>.stats` instead of asked
 * for over IPC, as the `getMetricsAsJSON()` objects prom-client's workers would send (counters,
 * gauges and histograms; label values as strings, as printed). The file is opened and checked
 * as every `shm:` reader does (format/entry.ts: a sealed memfd of our user), and it must be held
 * by that worker's own process (its link names `/proc/<worker pid>/fd/…`). Undefined when there
 * is no such file, or it holds what a file cannot answer exactly (a summary's quantiles): the
 * caller then asks that worker over IPC.
 */
import { closeSync, fstatSync } from "node:fs";
import { StatType } from "../model/flags.js";
import { decodeLabelSet } from "../model/label-set.js";
import { f64FromBits } from "../model/value.js";
import { openExportDir, openSourceDir } from "../producer/export/exporter.js";
import { BundleReader, type EntryFile } from "../providers/shm/bundle-reader.js";
import { openEntry } from "../providers/shm/format/entry.js";
import { defaultDir, PROC_FD_LINK, shardFileName } from "../providers/shm/format/paths.js";
import { decodeDescription } from "../providers/shm/format/trailer.js";
import { closeQuietly, readlinkAt } from "../sys/dirfd.js";
import { defaultExportName } from "./export.js";
import type { Labels, MetricObject, MetricValue } from "./registry.js";

/** The instance name a cluster worker exports its global registry under. */
export function workerInstance(primaryPid: number, workerId: number): string {
  return `${primaryPid}-w${workerId}`;
}

/** Opens the export directory of `name` without creating anything; undefined when it does not exist. */
function openNameDir(dir: string, name: string): number | undefined {
  let rootFd: number | undefined;
  try {
    rootFd = openExportDir(dir);
    return openSourceDir(rootFd, dir, [name], false);
  } catch {
    return undefined;
  } finally {
    closeQuietly(rootFd);
  }
}

/** The metric objects of one entry file's values (one series of one metric). */
function seriesValues(f: EntryFile, labels: Labels, out: MetricValue[]): string | undefined {
  const ds = f.schema.descriptors;
  const word = (i: number) => f.data[i] as bigint;
  const d0 = ds[0];
  if (!d0) return undefined;
  if (d0.type === StatType.BoundsHistogram) {
    const bounds = d0.bounds ?? [];
    const base = d0.offset / 8;
    let acc = 0;
    bounds.forEach((b, k) => {
      acc += Number(word(base + k));
      out.push({ labels: { le: b, ...labels }, value: acc, metricName: `${d0.name}_bucket` });
    });
    acc += Number(word(base + bounds.length));
    const sum = ds[1] ? f64FromBits(word(ds[1].offset / 8)) : 0;
    out.push(
      { labels: { le: "+Inf", ...labels }, value: acc, metricName: `${d0.name}_bucket` },
      { labels: { ...labels }, value: sum, metricName: `${d0.name}_sum` },
      { labels: { ...labels }, value: acc, metricName: `${d0.name}_count` },
    );
    return "histogram";
  }
  if (ds.length !== 1) return undefined; // a summary: its quantiles are not in the file
  out.push({ value: f64FromBits(word(d0.offset / 8)), labels });
  return d0.type === StatType.Instant ? "gauge" : "counter";
}

/** The metric objects of one exported registry file open at `fd`; undefined when it holds a summary. */
export function metricsOfBundle(fd: number, path: string, instance: string): MetricObject[] | undefined {
  const reader = new BundleReader(fd, path, fstatSync(fd).ino, instance);
  try {
    const out: MetricObject[] = [];
    const byEntry = new Map<string, MetricObject>();
    for (const f of reader.files) {
      const p = f.entry.path;
      if (p.length < 2 || p.length > 3) continue;
      const name = p[1] as string;
      let m = byEntry.get(name);
      if (!m) {
        m = { help: "", name, type: "", values: [], aggregator: "sum" };
        byEntry.set(name, m);
        out.push(m);
      }
      const schema = f.entry.schema;
      if (!schema) continue;
      const desc = decodeDescription(schema.extras, f.schema.descriptors.length);
      if (desc) {
        m.help = desc.help;
        m.aggregator = desc.aggregator;
      }
      // Label values as printed, in declared order (as prom-client holds them when given so).
      const set = p.length === 3 ? (decodeLabelSet(p[2] as string) ?? {}) : {};
      const labels: Labels = {};
      for (const k of desc?.labelNames ?? []) if (Object.hasOwn(set, k)) labels[k] = set[k];
      Object.assign(labels, set);
      const type = seriesValues(f, labels, m.values);
      if (type === undefined) return undefined;
      m.type = type;
    }
    // A labelled metric without series yet: its type is not in the file; prom-client shows it with no values.
    return out.filter((m) => m.type !== "");
  } finally {
    reader.close();
  }
}

/**
 * The metrics of cluster worker `workerId` (process `workerPid`) from its exported file, or
 * undefined when it has none (then ask it over IPC).
 */
export function readWorkerMetrics(workerId: number, workerPid: number | undefined): MetricObject[] | undefined {
  if (workerPid === undefined) return undefined;
  const dir = defaultDir();
  const dirfd = openNameDir(dir, defaultExportName());
  if (dirfd === undefined) return undefined;
  const instance = workerInstance(process.pid, workerId);
  const file = shardFileName(instance, 0);
  try {
    let target: string;
    try {
      target = readlinkAt(dirfd, file);
    } catch {
      return undefined;
    }
    if (PROC_FD_LINK.exec(target)?.[1] !== String(workerPid)) return undefined;
    const entry = openEntry(dirfd, file, BigInt(fstatSync(dirfd).uid));
    if (entry?.kind !== "open") return undefined;
    // The link again: it must still name the worker's process (not replaced in between).
    if (PROC_FD_LINK.exec(readlinkAt(dirfd, file))?.[1] !== String(workerPid)) {
      closeSync(entry.fd);
      return undefined;
    }
    return metricsOfBundle(entry.fd, `${dir}/${defaultExportName()}/${file}`, instance);
  } catch {
    return undefined;
  } finally {
    closeQuietly(dirfd);
  }
}
