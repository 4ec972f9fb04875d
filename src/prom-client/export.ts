/**
 * @module prom-client/export
 * A prom-client registry exported as one statsfs bundle file (codec/bundle.ts) per process and
 * registry, at `<dir>/<name>/<instance>.stats` (dir: $STATSFS_DIR or /dev/shm/statsfs; name:
 * $STATSFS_EXPORT_NAME or `prom-client`; instance: the pid, `<primary pid>-w<id>` in a cluster
 * worker). The values are not copied there: each metric's {@link Series.v} IS a region of the
 * mapped file (capacity × stride words), so `inc()`/`set()`/`observe()` write the file directly.
 *
 * Entries: the root (`name`, no values); one per metric (its name), and under a labelled metric
 * one per series, named by its label set (model/label-set encodeLabelSet: `{route=%2Fx}`),
 * data at region + slot × stride × 8. An unlabelled metric's entry holds its series' values
 * itself. Every series of a metric shares the metric's schema record:
 *
 *   counter    `<name>` cumulative f64              gauge   `<name>` instant f64
 *   histogram  `<name>` bounds histogram (u64 counts, the +Inf bucket last), `<name>_sum` f64
 *   summary    `<name>_sum` f64, `<name>_count` f64 (quantiles stay in the process)
 *
 * with the trailer (providers/shm/format/trailer.ts) and its description block: the HELP text
 * and the prom-client aggregator. Changes follow the bundle's generation seqlock: a new series
 * appends an entry; a full region moves to a new one twice as large at the data end (values
 * copied, the metric's entries rewritten, `v` rebound); a full file is replaced by one with
 * twice the room (MappedFile.create + rename) and every metric rebound. A removed series' entry
 * loses its live flag; after a compaction or reset the file is rebuilt. Metrics whose values
 * come from `collect()` callbacks are collected every second (an unref'd timer) so readers see
 * them fresh.
 */
import { closeSync } from "node:fs";
import { BUNDLE_NONE, bundleLayout, encodeSchemaRecord, nameBytes } from "../codec/bundle.js";
import { BundleWriter } from "../codec/bundle-writer.js";
import { makeDescriptor, type StatDescriptor } from "../model/descriptor.js";
import { StatEncoding, StatType } from "../model/flags.js";
import { encodeLabelSet } from "../model/label-set.js";
import { checkName } from "../producer/definition.js";
import { openExportDir, openSourceDir } from "../producer/export/exporter.js";
import { MappedFile } from "../producer/export/mapped-file.js";
import { checkInstance } from "../producer/export/paths.js";
import { AggKind } from "../providers/aggregate/values.js";
import { defaultDir, nodeDir, shardFileName } from "../providers/shm/format/paths.js";
import { encodeTrailerWithDescription } from "../providers/shm/format/trailer.js";
import type { Series, SeriesHost } from "./series.js";

/** Where and under which names a registry is exported. */
export interface ExportOptions {
  /** Export directory (default $STATSFS_DIR, else /dev/shm/statsfs). */
  dir?: string;
  /** Source name readers use (`statsfs read shm:NAME`); default $STATSFS_EXPORT_NAME, else `prom-client`. */
  name?: string;
  /** File name in the source's directory (default: the process id). */
  instance?: string;
}

/** The default source name of exported registries. */
export function defaultExportName(): string {
  return process.env.STATSFS_EXPORT_NAME || "prom-client";
}

/** What the exporter needs of a metric (our Counter, Gauge, Histogram, Summary). */
export interface ExportableMetric {
  name: string;
  help: string;
  aggregator: string;
  readonly type: string;
  collect: (() => unknown) | undefined;
  t: Series;
  upperBounds?: readonly number[];
}

/** Whether `m` keeps its values in a {@link Series} the exporter can place. */
export function isExportable(m: unknown): m is ExportableMetric {
  const x = m as Partial<ExportableMetric> | null;
  return typeof x === "object" && x !== null && typeof x.name === "string" && typeof x.t === "object" && x.t !== null && x.t.stride > 0;
}

const KINDS: Record<string, AggKind[]> = { sum: [AggKind.sum], min: [AggKind.min], max: [AggKind.max], average: [AggKind.avg] };

/** The descriptors of one series of `m` (offsets from the series' first word). */
export function descriptorsOf(m: ExportableMetric): StatDescriptor[] {
  const f64 = StatEncoding.F64;
  switch (m.type) {
    case "counter":
      return [makeDescriptor({ name: m.name, type: StatType.Cumulative, encoding: f64 })];
    case "gauge":
      return [makeDescriptor({ name: m.name, type: StatType.Instant, encoding: f64 })];
    case "histogram": {
      const bounds = m.upperBounds ?? [];
      return [
        makeDescriptor({ name: m.name, type: StatType.BoundsHistogram, size: bounds.length + 1, bounds }),
        makeDescriptor({ name: `${m.name}_sum`, type: StatType.Cumulative, encoding: f64, offset: (bounds.length + 1) * 8 }),
      ];
    }
    default:
      return [
        makeDescriptor({ name: `${m.name}_sum`, type: StatType.Cumulative, encoding: f64 }),
        makeDescriptor({ name: `${m.name}_count`, type: StatType.Cumulative, encoding: f64, offset: 8 }),
      ];
  }
}

/** The label names of key order `o` of `t` (Series.orders; with one name, 1 is "absent"). */
function orderNames(t: Series, o: number): string[] {
  if (t.names.length > 1) return (t.orders[o] ?? []).map((j) => t.names[j] as string);
  return o === 0 ? [...t.names] : [];
}

/** The schema record of `m`'s series whose labels were given in key order `o` (the description names them in that order). */
function schemaRecord(m: ExportableMetric, o: number): Uint8Array {
  const ds = descriptorsOf(m);
  const kinds = KINDS[m.aggregator] ?? [];
  const extras = encodeTrailerWithDescription(
    ds.map(() => ({ kinds, writable: false })),
    { help: m.help, aggregator: m.aggregator, labelNames: orderNames(m.t, o) },
  );
  return encodeSchemaRecord(ds, m.t.stride * 8, extras);
}

/** The entry name of slot `s`: its label set, values as prom-client prints them (`${value}`), absent ones left out. */
function labelName(t: Series, s: number): Uint8Array {
  const labels = t.labelsOf(s);
  const strings: Record<string, string> = {};
  for (const k of Object.keys(labels)) {
    const v = labels[k];
    if (v !== undefined) strings[k] = `${v as string}`;
  }
  return nameBytes(encodeLabelSet(strings));
}

interface Place {
  readonly m: ExportableMetric;
  /** Schema records by key order (prom-client prints a series' labels in the order given). */
  readonly recs: Map<number, Uint8Array>;
  readonly flat: boolean;
  entry: number;
  /** Meta offsets of the records written in the current file, by key order. */
  at: Map<number, number>;
  /** Data-area byte offset of the region. */
  region: number;
  /** Slots the region holds. */
  cap: number;
  /** Slot → entry index (labelled metrics), −1 for none. */
  slotEntry: number[];
}

/** One mapped file and the writer of its table. */
interface Sheet {
  readonly file: MappedFile;
  readonly w: BundleWriter;
}

/** Appends a live entry named `name` (written into the meta area first). */
function appendEntry(w: BundleWriter, parent: number, name: Uint8Array, schemaOffset: number, dataOffset: number, words: number): number {
  const nameOffset = w.appendMeta(name, false);
  return w.appendEntry({ parent, nameOffset, nameLength: name.length, schemaOffset, shard: 0, dataOffset, words });
}

/** A registry's exported file: the {@link SeriesHost} of each of its metrics' series. */
export class RegistryExport implements SeriesHost {
  readonly path: string;
  readonly #dirfd: number;
  readonly #root: Uint8Array;
  readonly #places = new Map<Series, Place>();
  #sheet: Sheet | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Files built so far (the first one and every replacement). */
  builds = 0;
  /** Made by a cluster worker's automatic export (its primary reads it instead of asking over IPC). */
  forPrimary = false;

  /** Bytes of the mapped file (the memory the registry's values and table take). */
  get mappedBytes(): number {
    return this.#sheet?.file.length ?? 0;
  }

  constructor(metrics: readonly unknown[], opts: ExportOptions = {}) {
    const dir = opts.dir ?? defaultDir();
    const name = opts.name ?? defaultExportName();
    const instance = opts.instance ?? String(process.pid);
    checkName(name, "export");
    checkInstance(instance);
    this.#root = nameBytes(name);
    this.path = `${nodeDir(dir, [name])}/${shardFileName(instance, 0)}`;
    const rootFd = openExportDir(dir);
    try {
      this.#dirfd = openSourceDir(rootFd, dir, [name], true);
    } finally {
      closeSync(rootFd);
    }
    try {
      for (const m of metrics) if (isExportable(m) && !m.t.host) this.#place(m);
      this.#build();
    } catch (e) {
      for (const p of this.#places.values()) this.#release(p);
      closeSync(this.#dirfd);
      throw e;
    }
    this.#timer = setInterval(() => this.#collect(), 1000);
    this.#timer.unref();
  }

  #place(m: ExportableMetric): Place {
    const p: Place = { m, recs: new Map(), flat: m.t.names.length === 0, entry: -1, at: new Map(), region: 0, cap: 0, slotEntry: [] };
    this.#places.set(m.t, p);
    m.t.host = this;
    return p;
  }

  /** The record bytes of key order `o` of `p`. */
  #rec(p: Place, o: number): Uint8Array {
    let r = p.recs.get(o);
    if (!r) {
      r = schemaRecord(p.m, o);
      p.recs.set(o, r);
    }
    return r;
  }

  /** Meta bytes the record of order `o` still needs in the current file (0 when written). */
  #recNeed(p: Place, o: number): number {
    if (p.at.has(o)) return 0;
    return 8 + this.#rec(p, o).length;
  }

  /** The meta offset of the record of order `o` in `s` (written now if it is not there). */
  #recAt(s: Pick<Sheet, "w">, p: Place, o: number): number {
    let at = p.at.get(o);
    if (at === undefined) {
      at = s.w.appendMeta(this.#rec(p, o), true);
      p.at.set(o, at);
    }
    return at;
  }

  /** Moves a metric's values back to the heap (before its memory is unmapped or it leaves). */
  #release(p: Place): void {
    p.m.t.host = undefined;
    const v = new Float64Array(Math.max(p.m.t.stride * 4, p.m.t.id.length * p.m.t.stride));
    v.set(p.m.t.v.subarray(0, Math.min(v.length, p.m.t.v.length)));
    p.m.t.bind(v);
  }

  /** Exports a metric registered after the export began. */
  attach(m: unknown): void {
    // A metric already exported by another registry stays in that one's file.
    if (this.#closed || !isExportable(m) || m.t.host) return;
    const p = this.#place(m);
    const s = this.#sheet as Sheet;
    const cap = Math.max(4, m.t.used * 2);
    const name = nameBytes(m.name);
    const labels = p.flat ? [] : [...m.t.slots()].map((slot) => labelName(m.t, slot));
    let meta = name.length + labels.reduce((n, l) => n + l.length, 0);
    for (const o of new Set([0, ...[...m.t.slots()].map((slot) => m.t.ord[slot] as number)])) meta += 8 + this.#rec(p, o).length;
    if (!s.w.fits(1 + labels.length, meta, cap * m.t.stride * 8)) {
      this.#build();
      return;
    }
    s.w.begin();
    p.at = new Map();
    p.cap = cap;
    p.region = s.w.reserveData(cap * m.t.stride * 8);
    this.#lay(s, p, labels);
    s.w.end();
  }

  /** Stops exporting a metric (removed from the registry): its entries leave the file. */
  detach(m: unknown): void {
    if (this.#closed || !isExportable(m)) return;
    const p = this.#places.get(m.t);
    if (!p) return;
    this.#places.delete(m.t);
    const { w } = this.#sheet as Sheet;
    w.begin();
    w.kill(p.entry);
    for (const e of p.slotEntry) if (e >= 0) w.kill(e);
    w.end();
    this.#release(p);
  }

  /** Writes the metric entry and its series' entries of a placed metric, values copied in, and rebinds `v`. */
  #lay(s: Pick<Sheet, "w">, p: Place, labels?: Uint8Array[]): void {
    const t = p.m.t;
    const { w } = s;
    const stride = t.stride;
    const words = p.cap * stride;
    const region = new Float64Array(w.u8.buffer, w.u8.byteOffset + w.h.dataOffset + p.region, words);
    region.set(t.v.subarray(0, Math.min(words, t.used * stride)));
    p.slotEntry = [];
    if (p.flat) {
      let live = -1;
      for (const slot of t.slots()) live = slot;
      p.entry = appendEntry(
        w,
        0,
        nameBytes(p.m.name),
        live < 0 ? BUNDLE_NONE : this.#recAt(s, p, 0),
        live < 0 ? 0 : p.region + live * stride * 8,
        live < 0 ? 0 : stride,
      );
    } else {
      p.entry = appendEntry(w, 0, nameBytes(p.m.name), BUNDLE_NONE, 0, 0);
      let k = 0;
      for (const slot of t.slots()) {
        const name = labels?.[k++] ?? labelName(t, slot);
        const at = this.#recAt(s, p, t.ord[slot] as number);
        p.slotEntry[slot] = appendEntry(w, p.entry, name, at, p.region + slot * stride * 8, stride);
      }
    }
    t.bind(region);
  }

  /** Builds a new file holding every placed metric with twice the room it needs, and moves every metric onto it. */
  #build(): void {
    const places = [...this.#places.values()];
    let entries = 1;
    let meta = this.#root.length;
    let data = 0;
    const labels = new Map<Place, Uint8Array[]>();
    for (const p of places) {
      const t = p.m.t;
      const ls = p.flat ? [] : [...t.slots()].map((slot) => labelName(t, slot));
      labels.set(p, ls);
      entries += 1 + ls.length;
      meta += p.m.name.length;
      for (const o of new Set([0, ...[...t.slots()].map((slot) => t.ord[slot] as number)])) meta += 8 + this.#rec(p, o).length;
      for (const l of ls) meta += l.length;
      p.cap = Math.max(4, t.used * 2);
      data += p.cap * t.stride * 8;
    }
    const { header, fileSize } = bundleLayout(Math.max(16, entries * 2), Math.max(4096, meta * 2 + 8), Math.max(1024, data * 2));
    const old = this.#sheet;
    let w: BundleWriter | undefined;
    const file = MappedFile.create({
      dirfd: this.#dirfd,
      path: this.path,
      size: fileSize,
      replacing: old !== undefined,
      fill: (bytes) => {
        const nw = new BundleWriter(bytes, header);
        appendEntry(nw, BUNDLE_NONE, this.#root, BUNDLE_NONE, 0, 0);
        for (const p of places) {
          p.at = new Map();
          p.region = nw.reserveData(p.cap * p.m.t.stride * 8);
        }
        // Values as they are now (copied by #lay): a reader of the new file never sees a counter go back.
        for (const p of places) this.#lay({ w: nw }, p, labels.get(p));
        nw.writeHeader();
        w = nw;
      },
    });
    this.#sheet = { file, w: w as unknown as BundleWriter };
    this.builds++;
    old?.file.remove();
  }

  // SeriesHost

  ensure(t: Series, slot: number): void {
    const p = this.#places.get(t);
    if (!p || this.#closed) return;
    const cap = Math.max(4, p.cap * 2, slot + 1);
    const bytes = cap * t.stride * 8;
    const s = this.#sheet as Sheet;
    if (!s.w.fits(0, 0, bytes)) {
      this.#build();
      return;
    }
    s.w.begin();
    const region = s.w.reserveData(bytes);
    const v = new Float64Array(s.w.u8.buffer, s.w.u8.byteOffset + s.w.h.dataOffset + region, cap * t.stride);
    v.set(t.v.subarray(0, Math.min(v.length, p.cap * t.stride)));
    p.region = region;
    p.cap = cap;
    const stride8 = t.stride * 8;
    if (p.flat) {
      for (const live of t.slots()) s.w.setEntry(p.entry, this.#recAt(s, p, 0), region + live * stride8, t.stride);
    } else {
      p.slotEntry.forEach((e, k) => {
        if (e >= 0) s.w.setEntry(e, this.#recAt(s, p, t.ord[k] as number), region + k * stride8, t.stride);
      });
    }
    t.bind(v);
    s.w.end();
  }

  added(t: Series, slot: number): void {
    const p = this.#places.get(t);
    if (!p || this.#closed) return;
    const stride8 = t.stride * 8;
    const o = p.flat ? 0 : (t.ord[slot] as number);
    const name = p.flat ? new Uint8Array(0) : labelName(t, slot);
    const s = this.#sheet as Sheet;
    if (!s.w.fits(p.flat ? 0 : 1, name.length + this.#recNeed(p, o), 0)) {
      this.#build();
      return;
    }
    s.w.begin();
    const at = this.#recAt(s, p, o);
    if (p.flat) s.w.setEntry(p.entry, at, p.region + slot * stride8, t.stride);
    else p.slotEntry[slot] = appendEntry(s.w, p.entry, name, at, p.region + slot * stride8, t.stride);
    s.w.end();
  }

  reordered(t: Series, slot: number): void {
    const p = this.#places.get(t);
    const e = p?.slotEntry[slot];
    if (!p || this.#closed || e === undefined || e < 0) return;
    const o = t.ord[slot] as number;
    const s = this.#sheet as Sheet;
    if (!s.w.fits(0, this.#recNeed(p, o), 0)) {
      this.#build();
      return;
    }
    s.w.begin();
    s.w.setEntry(e, this.#recAt(s, p, o), p.region + slot * t.stride * 8, t.stride);
    s.w.end();
  }

  removed(t: Series, slot: number): void {
    const p = this.#places.get(t);
    if (!p || this.#closed) return;
    const { w } = this.#sheet as Sheet;
    w.begin();
    if (p.flat) w.setEntry(p.entry, BUNDLE_NONE, 0, 0);
    else {
      const e = p.slotEntry[slot];
      if (e !== undefined && e >= 0) w.kill(e);
      p.slotEntry[slot] = -1;
    }
    w.end();
  }

  moved(t: Series): void {
    if (this.#places.has(t) && !this.#closed) this.#build();
  }

  /** Runs the `collect()` callbacks of exported metrics (their values then reach the file). */
  #collect(): void {
    for (const p of this.#places.values()) {
      if (!p.m.collect) continue;
      try {
        const r = p.m.collect();
        if (r instanceof Promise) r.catch(() => {});
      } catch {
        // prom-client reports a failing collect() at scrape time; the file keeps the last values
      }
    }
  }

  /** Stops exporting: the metrics' values move back to the heap, the file and its name are removed. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) clearInterval(this.#timer);
    for (const p of this.#places.values()) this.#release(p);
    this.#places.clear();
    this.#sheet?.file.remove(this.#dirfd);
    closeSync(this.#dirfd);
  }
}
