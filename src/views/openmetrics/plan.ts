/**
 * @module views/openmetrics/plan
 * From stats files to metric families: names, types, units, HELP, label strings and the
 * per-series formatters, computed once per list of files (schemas are read once) and reused by
 * every scrape, which then only reads the data words.
 *
 * Types: cumulative → counter (`_total`); instant, peak and booleans → gauge; linear and log2
 * histograms → histogram; an unknown type → unknown (untyped). A list of values that is not a
 * histogram is one series per element, labelled `index`.
 *
 * Histogram buckets are cumulative with `le` = the largest integer sample a bucket holds, in
 * base units: log2 bucket 0 holds 0 (le 0), bucket i ≥ 1 holds [2^(i−1), 2^i) (le 2^i − 1),
 * linear bucket i holds [i·size, (i+1)·size) (le (i+1)·size − 1); the last bucket is open
 * (`+Inf`, equal to `_count`). `_sum` comes from the paired total where the source has one:
 * for KVM, the cumulative of the same unit whose name without unit words is the histogram's
 * without `_hist` (`halt_wait_hist` ↔ `halt_wait_ns`, updated by the kernel with the same
 * sample); for any source, a cumulative named `<histogram>_sum`. Otherwise `_sum` is omitted
 * (and, as OpenMetrics requires, `_count` with it in OpenMetrics; text 0.0.4 keeps `_count`).
 */
import type { StatDescriptor } from "../../model/descriptor.js";
import { isHistogram, StatBase, StatEncoding, StatType, StatUnit, typeName } from "../../model/flags.js";
import { bucketBounds } from "../../model/histogram.js";
import type { StatsFile } from "../../model/stats-file.js";
import { unitLabel } from "../../model/units.js";
import { bitsOfF64, f64FromBits, scaledNumberText } from "../../model/value.js";
import { coverageOf, innerFile, producerRole } from "../../sample/producer.js";
import { formatterFor, scaledText, type ValueFormatter } from "./decimal.js";
import { baseUnitName, escapeHelp, escapeLabelValue, familyName, labelName, rawFamilyName, stemOf } from "./names.js";
import { selectExposed } from "./select.js";

/** A metric family's type. */
export type MetricType = "counter" | "gauge" | "histogram" | "unknown";

/** One scalar series: a data word and the text before its value. */
export interface ScalarSeries {
  readonly kind: "scalar";
  readonly file: StatsFile;
  readonly word: number;
  /** `name{labels} ` */
  readonly prefix: string;
  readonly fmt: ValueFormatter;
  /** The raw value is printed as is (no scaling): the renderer's integer fast path. */
  readonly plain: boolean;
  /**
   * When the value is the raw u64 × 10^−decimals (base 10, exponent −1 to −15: `_ns`, `_ms`
   * in seconds), `decimals`: the renderer's scaled fast path; 0 otherwise.
   */
  readonly decimals: number;
  /** @internal The renderer's u32 view of `file.data` (and the array it was made for). */
  u32: Uint32Array | undefined;
  u32of: BigUint64Array | undefined;
  /** Words subtracted from the value (a parent's own part beside its label sets), or undefined. */
  readonly minus: readonly Word[] | undefined;
  /** A double parent's own part beside its label sets, read as such (its bits), shown once non-zero. */
  readonly own?: () => bigint;
}

/** One u64 word of a file. */
export interface Word {
  readonly file: StatsFile;
  readonly word: number;
}

/** One histogram series. */
export interface HistogramSeries {
  readonly kind: "histogram";
  readonly file: StatsFile;
  readonly word: number;
  readonly size: number;
  /** `name_bucket{labels,le="…"} ` per bucket, the last with le="+Inf". */
  readonly buckets: readonly string[];
  /** `name_count{labels} ` */
  readonly count: string;
  /** `name_sum{labels} `, the paired total's word and formatter, when there is a sum. */
  readonly sum?: {
    readonly prefix: string;
    readonly word: number;
    readonly fmt: ValueFormatter;
    readonly minus: readonly Word[] | undefined;
    /** A double `_sum`'s own part (its bits), read as such. */
    readonly own?: () => bigint;
  };
  /** First words of the histograms subtracted bucket by bucket, or undefined. */
  readonly minus: readonly Word[] | undefined;
}

export type Series = ScalarSeries | HistogramSeries;

/** One metric family. */
export interface Family {
  /** Family name (without `_total`). */
  readonly name: string;
  readonly type: MetricType;
  /** Base unit word in the name (`seconds`, `bytes`, `cycles`) or "". */
  readonly unit: string;
  /** `# HELP`/`# TYPE` lines of text format 0.0.4. */
  readonly textHeader: string;
  /** `# TYPE`/`# UNIT`/`# HELP` lines of OpenMetrics 1.0.0. */
  readonly omHeader: string;
  readonly series: Series[];
}

/** Options of {@link buildPlan}. */
export interface PlanOptions {
  /** HELP text for a statistic, or undefined for the default (from the schema). */
  readonly help?: (file: StatsFile, d: StatDescriptor) => string | undefined;
  /** Labels added to every series (after the file's own). */
  readonly constLabels?: Readonly<Record<string, string>>;
  /** A Node service's per-process series instead of their sum (views/openmetrics/select). */
  readonly perWorker?: boolean | undefined;
}

/** The HELP text the file's producer stored for statistic `name` (an exported prom-client metric's), if any. */
function storedHelp(file: StatsFile, name: string): string | undefined {
  const f = innerFile(file) as Partial<{ helpOf(name: string): string | undefined; values: readonly { name: string; help?: string }[] }>;
  if (typeof f.helpOf === "function") return f.helpOf(name);
  return Array.isArray(f.values) ? f.values.find((v) => v.name === name)?.help : undefined;
}

/** Identity labels renamed on the way out: Prometheus sets `instance` to the scraped target. */
const LABEL_RENAMES: Readonly<Record<string, string>> = { instance: "producer_instance", job: "exported_job" };

function metricType(d: StatDescriptor): MetricType {
  if (isHistogram(d.type)) return "histogram";
  if (d.unit === StatUnit.Boolean) return "gauge";
  if (d.type === StatType.Cumulative) return "counter";
  if (d.type === StatType.Instant || d.type === StatType.Peak) return "gauge";
  return "unknown";
}

function defaultHelp(provider: string, target: string, d: StatDescriptor): string {
  const raw = unitLabel(d.unit, d.base, d.exponent);
  const u = baseUnitName(d.unit);
  const kind = isHistogram(d.type)
    ? `${typeName(d.type)} of ${d.size} buckets${d.type === StatType.LinearHistogram ? ` of width ${d.bucketSize}` : ""}`
    : typeName(d.type);
  const unit = d.unit === StatUnit.Boolean ? ", boolean 0/1" : raw !== "" ? `, raw unit ${raw}${u !== "" ? `, here in ${u}` : ""}` : "";
  return `${provider} ${target} statistic ${d.name} (${kind}${unit})`;
}

function labelText(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(",");
}

/** The `_sum` partner of histogram `h` in `descs`, if any. */
function pairedSum(file: StatsFile, h: StatDescriptor, descs: readonly StatDescriptor[]): StatDescriptor | undefined {
  const scalarTotal = (d: StatDescriptor) => d.type === StatType.Cumulative && d.size === 1 && d.unit === h.unit;
  const named = descs.find((d) => d.name === `${h.name}_sum` && scalarTotal(d));
  if (named) return named;
  if (file.identity.provider !== "kvm" || !h.name.endsWith("_hist")) return undefined;
  const stem = stemOf(h.name.slice(0, -"_hist".length), h.unit);
  return descs.find((d) => d !== h && scalarTotal(d) && stemOf(d.name, d.unit) === stem);
}

/**
 * The family owner and labels of a file. A producer file (sample/producer) is exposed in
 * its top-level source's families (`statsfs_<root>_<stat>`), with `source` naming the source
 * that holds the value and its label sets (`counter.labels({…})`) as labels: a family holds
 * the root's own series and every subordinate's, told apart by `source`, so `sum()` adds them.
 */
function labelled(file: StatsFile): { provider: string; target: string; labels: Readonly<Record<string, string>> } {
  const id = file.identity;
  const r = producerRole(id);
  if (!r) return id;
  const labels: Record<string, string> = {};
  for (const [k, v] of Object.entries(id.labels)) labels[k] = k === "source" ? r.owner : v;
  for (const [k, v] of Object.entries(r.labelSet)) if (!(k in labels)) labels[k] = v;
  return { provider: id.provider, target: r.root, labels };
}

/**
 * `le` bounds of a histogram descriptor, in base units, the last being `+Inf`; a bounds
 * histogram's own bounds as their shortest decimal (prom-client prints `${bound}`).
 */
export function leBounds(d: StatDescriptor): string[] {
  if (d.type === StatType.BoundsHistogram) {
    return [...(d.bounds ?? []).map((b) => scaledNumberText(b, d.base, d.exponent)), "+Inf"];
  }
  return bucketBounds(d).map((b) => (b.high === undefined ? "+Inf" : scaledText(b.high - 1n, d.base, d.exponent)));
}

/** A formatter of a word in `encoding` (model/flags), exact in every encoding. */
function encodedFormatter(encoding: number, base: number, exponent: number): ValueFormatter {
  if (encoding === StatEncoding.F64) return (v) => scaledNumberText(f64FromBits(v), base, exponent);
  const f = formatterFor(base, exponent);
  if (encoding === StatEncoding.S64) return (v) => scaledText(BigInt.asIntN(64, v), base, exponent);
  return f;
}

/** Digits after the point of a u64 scaled by a power of ten below 1 (1 to 15), else 0. */
function decimalsOf(d: StatDescriptor): number {
  const plainU64 = d.encoding === StatEncoding.U64 && d.base === StatBase.Pow10;
  return plainU64 && d.exponent < 0 && d.exponent >= -15 ? -d.exponent : 0;
}

/** Builds the families for `files`. */
export function buildPlan(files: readonly StatsFile[], options: PlanOptions = {}): Family[] {
  const families = new Map<string, Family>();
  const seriesKeys = new Map<Family, Set<string>>();
  /** Family name and type per (provider, target, statistic kind): resolved once, not per file. */
  const names = new Map<string, Map<string, { name: string; type: MetricType; dtype: number; unit: number }>>();
  const fmts = new Map<string, ValueFormatter>();
  const fmtOf = (d: StatDescriptor) => {
    const enc = isHistogram(d.type) ? StatEncoding.U64 : d.encoding;
    const k = `${d.base}:${d.exponent}:${enc}`;
    let f = fmts.get(k);
    if (!f) {
      f = encodedFormatter(enc, d.base, d.exponent);
      fmts.set(k, f);
    }
    return f;
  };
  const constLabels = Object.entries(options.constLabels ?? {}).map(([k, v]) => [labelName(k), v] as const);
  /**
   * Which statistic owns each family name: a statistic is (owner, name, type, unit). Two that
   * would share a name (`wait_ns` and `wait_us` both as `…_wait_seconds`, `req` and `req_total`
   * as `…_req_total`, a counter and a gauge `hits` of two subordinates) are both exposed: the
   * first under the name, the next under the first free one of its name with the unit and
   * `total` words kept (`…_wait_us_seconds`, `…_req_total_total`), that with its type word, or
   * numbered.
   */
  const claims = new Map<string, string>();
  const claim = (candidates: readonly string[], who: string): string => {
    for (const c of candidates) {
      const owner = claims.get(c);
      if (owner === undefined || owner === who) {
        claims.set(c, who);
        return c;
      }
    }
    const last = candidates[candidates.length - 1] as string;
    for (let i = 2; ; i++) {
      const c = `${last}_${i}`;
      const owner = claims.get(c);
      if (owner === undefined || owner === who) {
        claims.set(c, who);
        return c;
      }
    }
  };
  for (const { file, omit, own } of selectExposed(files, { perWorker: options.perWorker })) {
    /** The same statistic's first word in each label-set child (undefined: not subtractable). */
    const minusOf = (d: StatDescriptor): Word[] | undefined => {
      const kids = own.get(d.name);
      // A double's own part cannot be told exactly by subtraction: it is read as such (ownOf).
      if (!kids || (d.encoding === StatEncoding.F64 && !isHistogram(d.type))) return undefined;
      const out: Word[] = [];
      for (const k of kids) {
        const c = k.schema.descriptors.find((x) => x.name === d.name);
        if (!c || c.type !== d.type || c.size !== d.size || c.unit !== d.unit || c.exponent !== d.exponent) return undefined;
        out.push({ file: k, word: c.offset >>> 3 });
      }
      return out;
    };
    /** A double's own part beside its label sets, as bits, where the file can tell it exactly. */
    const cov = coverageOf(file);
    const ownOf = (d: StatDescriptor): (() => bigint) | undefined => {
      if (!own.has(d.name) || d.encoding !== StatEncoding.F64 || d.size !== 1 || isHistogram(d.type) || !cov?.ownF64) return undefined;
      if (cov.ownF64(d.name) === undefined) return undefined;
      const read = cov.ownF64.bind(cov);
      return () => bitsOfF64(read(d.name) ?? 0);
    };
    const { provider, target, labels: identityLabels } = labelled(file);
    const pairs: (readonly [string, string])[] = [];
    for (const [k, v] of Object.entries(identityLabels)) {
      if (k === "provider" || k === "target") continue;
      pairs.push([labelName(LABEL_RENAMES[k] ?? k), v]);
    }
    for (const p of constLabels) if (!pairs.some(([k]) => k === p[0])) pairs.push(p);
    const labels = labelText(pairs);
    const descs = file.schema.descriptors;
    const ptKey = `${provider}\0${target}`;
    let byName = names.get(ptKey);
    if (!byName) {
      byName = new Map();
      names.set(ptKey, byName);
    }
    const sumPartners = new Set<StatDescriptor>();
    const partners = new Map<StatDescriptor, StatDescriptor>();
    for (const d of descs) {
      if (!isHistogram(d.type) || omit.has(d.name)) continue;
      const s = pairedSum(file, d, descs);
      if (s) {
        partners.set(d, s);
        if (s.name === `${d.name}_sum`) sumPartners.add(s);
      }
    }
    for (const d of descs) {
      if (omit.has(d.name) || sumPartners.has(d) || d.size < 1) continue;
      let resolved = byName.get(d.name);
      if (!resolved || resolved.dtype !== d.type || resolved.unit !== d.unit) {
        const t = metricType(d);
        const unit = d.unit === StatUnit.Boolean ? StatUnit.None : d.unit;
        const raw = rawFamilyName(provider, target, d.name, unit);
        const n = claim(
          [familyName(provider, target, d.name, unit, t === "counter"), raw, `${raw}_${t === "unknown" ? "untyped" : t}`],
          `${ptKey}\0${d.name}\0${t}\0${unit}`,
        );
        resolved = { name: n, type: t, dtype: d.type, unit: d.unit };
        byName.set(d.name, resolved);
      }
      const { name, type } = resolved;
      let fam = families.get(name);
      if (!fam) {
        const help = options.help?.(file, d) ?? storedHelp(file, d.name) ?? defaultHelp(provider, target, d);
        const unit = d.unit === StatUnit.Boolean ? "" : baseUnitName(d.unit);
        const sample = type === "counter" ? `${name}_total` : name;
        const textType = type === "unknown" ? "untyped" : type;
        fam = {
          name,
          type,
          unit,
          textHeader: `# HELP ${sample} ${escapeHelp(help, false)}\n# TYPE ${sample} ${textType}\n`,
          omHeader: `# TYPE ${name} ${type}\n${unit ? `# UNIT ${name} ${unit}\n` : ""}# HELP ${name} ${escapeHelp(help, true)}\n`,
          series: [],
        };
        families.set(name, fam);
      } else if (fam.type !== type) continue;
      let keys = seriesKeys.get(fam);
      if (!keys) {
        keys = new Set();
        seriesKeys.set(fam, keys);
      }
      if (keys.has(labels)) continue;
      keys.add(labels);
      const word = d.offset >>> 3;
      if (type === "histogram") {
        const inner = labels === "" ? "" : `${labels},`;
        const s = partners.get(d);
        const les = leBounds(d);
        const minus = own.has(d.name) ? minusOf(d) : undefined;
        if (own.has(d.name) && !minus) continue;
        const sumMinus = s && own.has(s.name) ? minusOf(s) : undefined;
        const sumOwn = s ? ownOf(s) : undefined;
        fam.series.push({
          kind: "histogram",
          file,
          word,
          size: d.size,
          buckets: les.map((le) => `${name}_bucket{${inner}le="${le}"} `),
          count: `${name}_count${labels === "" ? "" : `{${labels}}`} `,
          ...(s && (!own.has(d.name) || !own.has(s.name) || sumMinus || sumOwn)
            ? {
                sum: {
                  prefix: `${name}_sum${labels === "" ? "" : `{${labels}}`} `,
                  word: s.offset >>> 3,
                  fmt: fmtOf(s),
                  minus: sumMinus,
                  ...(sumOwn ? { own: sumOwn } : {}),
                },
              }
            : {}),
          minus,
        });
        continue;
      }
      const sample = type === "counter" ? `${name}_total` : name;
      const minus = own.has(d.name) ? minusOf(d) : undefined;
      const ownPart = minus ? undefined : ownOf(d);
      if (own.has(d.name) && !minus && !ownPart) continue;
      if (d.size === 1) {
        fam.series.push({
          kind: "scalar",
          file,
          word,
          prefix: `${sample}${labels === "" ? "" : `{${labels}}`} `,
          fmt: fmtOf(d),
          plain: d.exponent === 0 && d.encoding === StatEncoding.U64,
          decimals: decimalsOf(d),
          u32: undefined,
          u32of: undefined,
          minus,
          ...(ownPart ? { own: ownPart } : {}),
        });
      } else {
        const inner = labels === "" ? "" : `${labels},`;
        for (let i = 0; i < d.size; i++) {
          fam.series.push({
            kind: "scalar",
            file,
            word: word + i,
            prefix: `${sample}{${inner}index="${i}"} `,
            fmt: fmtOf(d),
            plain: d.exponent === 0 && d.encoding === StatEncoding.U64,
            decimals: decimalsOf(d),
            u32: undefined,
            u32of: undefined,
            minus: minus?.map((m) => ({ file: m.file, word: m.word + i })),
          });
        }
      }
    }
  }
  return [...families.values()].filter((f) => f.series.length > 0);
}
