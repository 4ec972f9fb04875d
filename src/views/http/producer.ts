/**
 * @module views/http/producer
 * prom-client's scrape side for a Node service's statsfs sources (`statsfs/prometheus`):
 *
 * - {@link metrics}: the exposition text of a registry's sources (in-process, no files);
 * - {@link metricsHandler}: a ready `(req, res)` handler for node:http (Accept negotiation,
 *   gzip, one poll shared by concurrent scrapes, read-only);
 * - {@link clusterMetrics}: in a cluster, any process (the primary or not) serving the
 *   aggregate of every worker's exported files — read from the files, no IPC.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { StatDescriptor } from "../../model/descriptor.js";
import type { StatsFile } from "../../model/stats-file.js";
import { defaultRegistry, helpOf, type LiveSource, liveSource, type Registry, type Source } from "../../producer/index.js";
import { openSource } from "../../providers/registry.js";
import type { StatsSource } from "../../providers/source.js";
import { formatSpec, sourceSpec } from "../../providers/spec.js";
import { CONTENT_TYPES, Exposition, type ExpositionFormat } from "../openmetrics/render.js";
import { scrapeFailed, serveMetrics } from "./metrics.js";
import { Scraper } from "./scrape.js";

const live = new WeakMap<Registry, { source: LiveSource; exposition: Exposition }>();

/** HELP text from the values' definitions (`help`), found by the file's source path. */
function helpFrom(registry: Registry): (file: StatsFile, d: StatDescriptor) => string | undefined {
  return (file, d) => {
    const path = file.identity.path?.split("/").filter((x) => x !== "");
    if (!path || path.length === 0) return undefined;
    let s: Source | undefined = registry.get(path[0] as string);
    for (const seg of path.slice(1)) s = s?.subordinate(seg);
    return s ? helpOf(s, d.name) : undefined;
  };
}

function liveOf(registry: Registry) {
  let l = live.get(registry);
  if (!l) {
    l = { source: liveSource(registry), exposition: new Exposition({ help: helpFrom(registry) }) };
    live.set(registry, l);
  }
  return l;
}

/** The exposition of `registry`'s sources now (default: the global registry), text 0.0.4 by default. */
export function metrics(registry: Registry = defaultRegistry, format: ExpositionFormat = "text"): string {
  const l = liveOf(registry);
  l.source.pollSync();
  return l.exposition.render(l.source.files, format);
}

/** The Content-Type of a format (prom-client's `register.contentType`). */
export function contentType(format: ExpositionFormat = "text"): string {
  return CONTENT_TYPES[format];
}

/** A node:http handler serving `registry` (or any sources) at whatever path it is mounted on. */
export function metricsHandler(
  from: Registry | readonly StatsSource[] = defaultRegistry,
): (req: IncomingMessage, res: ServerResponse) => void {
  const sources = Array.isArray(from) ? (from as readonly StatsSource[]) : [liveOf(from as Registry).source];
  const scraper = new Scraper(sources, Array.isArray(from) ? {} : { help: helpFrom(from as Registry) });
  return (req, res) => {
    serveMetrics(req, res, scraper).catch((e: unknown) => scrapeFailed(res, e));
  };
}

const shm = new Map<string, Promise<{ source: StatsSource; exposition: Exposition }>>();

/**
 * The aggregate of every process's exported files of source `name` (workers registered it with
 * `{ export: … }`): sums across processes, as prom-client's AggregatorRegistry, but read from
 * the files by this process alone. `dir` defaults to $STATSFS_DIR or /dev/shm/statsfs.
 */
export async function clusterMetrics(name: string, options: { dir?: string; format?: ExpositionFormat } = {}): Promise<string> {
  const uri = formatSpec(sourceSpec("shm", name, { dir: options.dir }));
  let p = shm.get(uri);
  if (!p) {
    p = openSource(uri).then((source) => ({ source, exposition: new Exposition() }));
    shm.set(uri, p);
    p.catch(() => shm.delete(uri));
  }
  const { source, exposition } = await p;
  await source.poll();
  return exposition.render(source.files, options.format ?? "text");
}
