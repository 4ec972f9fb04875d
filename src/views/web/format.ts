/**
 * @module views/web/format
 * How the dashboard writes numbers, shared by the page and its tests so both say the same: rates
 * per second, times as seconds per second and as a share of vCPU time, current values and
 * totals exact in their unit (model/units, as `top` writes them), histogram buckets as ranges
 * and p50/p90/p99 as the bucket that holds them, never interpolated. Pure: no DOM, no Node.
 */
import { StatType, StatUnit } from "../../model/flags.js";
import { linearBucket, log2Bucket } from "../../model/histogram.js";
import { formatScaled, unitLabel } from "../../model/units.js";
import { numberText, scaledNumberText } from "../../model/value.js";
import type { StatMeta, Wide } from "./protocol.js";

/**
 * A JSON-safe wide number: a number when exact (an integer below 2^53, or a finite double — an
 * f64 value), else its exact text (every digit of a bigint; "NaN", "+Inf", "-Inf").
 */
export function wide(v: bigint | number): Wide {
  if (typeof v === "number") return Number.isFinite(v) ? v : numberText(v);
  return v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
}

/** A wide number as a JS number (approximate above 2^53; for charts and rates). */
export function num(v: Wide | null | undefined): number {
  return v === null || v === undefined ? Number.NaN : typeof v === "number" ? v : Number(v);
}

/** A wide number as exact decimal text. */
export function exact(v: Wide | null | undefined): string {
  return v === null || v === undefined ? "" : typeof v === "number" ? String(v) : v;
}

/** A count per second: 0.25/s, 12.5/s, 1234/s. */
export function rateText(perSecond: number): string {
  if (!Number.isFinite(perSecond)) return "–";
  const a = Math.abs(perSecond);
  const t = a === 0 ? "0" : a >= 100 ? Math.round(perSecond).toString() : a >= 10 ? perSecond.toFixed(1) : perSecond.toFixed(2);
  return `${t}/s`;
}

/** Seconds of a time statistic per second (`top`'s s/s), from a change in the stat's unit. */
export function secondsPerSecond(s: StatMeta, change: number, seconds: number): number {
  return seconds > 0 ? (change * 10 ** s.exponent) / seconds : Number.NaN;
}

/** s/s as `top` writes it: 0.42 s/s, 12.5 s/s. */
export function shareText(sps: number): string {
  if (!Number.isFinite(sps)) return "–";
  return `${sps < 10 ? sps.toFixed(2) : sps.toFixed(1)} s/s`;
}

/** A percentage with one decimal. */
export function percentText(p: number): string {
  return Number.isFinite(p) ? `${p.toFixed(1)}%` : "–";
}

/** A current value (gauge) or total in its unit, exact: `1.5 KiB`, `127.001 ms`, `yes`. */
export function valueText(s: StatMeta, v: Wide | string | null | undefined): string {
  if (v === null || v === undefined) return "–";
  if (!/^-?\d+$/.test(String(v))) {
    // A double (an f64 value): its exact digits, scaled to the unit's base.
    const label = unitLabel(s.unit, s.base, 0);
    const text = typeof v === "number" ? scaledNumberText(v, s.base, s.exponent) : String(v);
    return label ? `${text} ${label}` : text;
  }
  const b = BigInt(v);
  if (s.unit === StatUnit.None && s.exponent === 0) return b.toString();
  return formatScaled(b < 0n ? -b : b, s.unit, s.base, s.exponent).replace(/^/, b < 0n ? "-" : "");
}

/** What a chart's axis says a value is: "/s", "s/s", the unit of a gauge. */
export function unitOfRate(s: StatMeta): string {
  if (s.kind === "time") return "s/s";
  if (s.kind === "gauge") return s.unit === StatUnit.Boolean ? "true" : unitLabel(s.unit, s.base, s.exponent);
  return "/s";
}

/** A statistic's name with what its numbers are: `exits (/s)`, `halt_wait_ns (s/s)`. */
export function statTitle(s: StatMeta): string {
  if (s.kind === "hist") return `${s.name} (samples per interval by ${unitLabel(s.unit, s.base, s.exponent) || "value"} bucket)`;
  const u = unitOfRate(s);
  return u ? `${s.name} (${u})` : s.name;
}

/** A histogram bucket's range in the statistic's unit: `[1.048 ms, 2.097 ms)`, the last `[…, ∞)`. */
export function bucketRange(s: StatMeta, i: number): string {
  const b = s.type === StatType.LinearHistogram ? linearBucket(i, s.size, s.bucketSize) : log2Bucket(i, s.size);
  const f = (v: bigint) => formatScaled(v, s.unit, s.base, s.exponent);
  return `[${f(b.low)}, ${b.high === undefined ? "∞" : f(b.high)})`;
}

/**
 * The bucket holding the p-quantile of counts (the first whose running count reaches ⌈p·n⌉),
 * as `top` finds it; undefined for an empty histogram.
 */
export function quantileBucket(counts: ArrayLike<number>, p: number): number | undefined {
  let n = 0;
  for (let i = 0; i < counts.length; i++) n += counts[i] ?? 0;
  if (!(n > 0)) return undefined;
  const want = Math.ceil((n * Math.round(p * 1000)) / 1000);
  let run = 0;
  for (let i = 0; i < counts.length; i++) {
    run += counts[i] ?? 0;
    if (run >= want) return i;
  }
  return counts.length - 1;
}

/** The quantiles the dashboard draws. */
export const QUANTILES: readonly { readonly p: number; readonly name: string }[] = [
  { p: 0.5, name: "p50" },
  { p: 0.9, name: "p90" },
  { p: 0.99, name: "p99" },
];

/** HH:MM:SS of a Date.now() in local time. */
export function clock(wall: number): string {
  return new Date(wall).toTimeString().slice(0, 8);
}
