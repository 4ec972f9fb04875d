/**
 * @module views/openmetrics/names
 * Prometheus names for statistics: `<provider>_<target>_<stat>` with the unit in base units as
 * the last word (`_seconds`, `_bytes`, `_cycles`), unit abbreviations of the raw scale dropped
 * (`halt_wait_ns` → `halt_wait_seconds`), characters outside `[a-zA-Z0-9_]` replaced by `_`, and
 * label names made valid. Counters get `_total` when their samples are written.
 */

import { StatUnit } from "../../model/flags.js";
import { printable } from "../../model/text.js";

/** Words that name a time unit or scale in a statistic name; dropped when the unit is seconds. */
const TIME_WORDS = new Set([
  "s",
  "sec",
  "secs",
  "second",
  "seconds",
  "ms",
  "msec",
  "msecs",
  "millisecond",
  "milliseconds",
  "us",
  "usec",
  "usecs",
  "microsecond",
  "microseconds",
  "ns",
  "nsec",
  "nsecs",
  "nanosecond",
  "nanoseconds",
]);
/** Words that name a byte unit or scale; dropped when the unit is bytes. */
const BYTE_WORDS = new Set(["b", "byte", "bytes", "kb", "kib", "mb", "mib", "gb", "gib", "tb", "tib", "pb", "pib"]);

/** The base unit a statistic's unit is exported in ("" for counts and booleans). */
export function baseUnitName(unit: number): "seconds" | "bytes" | "cycles" | "" {
  if (unit === StatUnit.Seconds) return "seconds";
  if (unit === StatUnit.Bytes) return "bytes";
  if (unit === StatUnit.Cycles) return "cycles";
  return "";
}

/** `text` with every character outside `[a-zA-Z0-9_]` replaced by `_` (and a leading digit guarded). */
export function sanitizeName(text: string): string {
  const s = text.replace(/[^a-zA-Z0-9_]/g, "_");
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** A valid label name for `name` (`[a-zA-Z_][a-zA-Z0-9_]*`, not starting with `__`). */
export function labelName(name: string): string {
  const s = sanitizeName(name);
  return s.startsWith("__") ? `x${s}` : s === "" ? "_" : s;
}

/**
 * The metric family name of a statistic (without `_total`): `<provider>_<target>_<stat>`, the
 * stat's unit words replaced by the base unit as the last word.
 */
export function familyName(provider: string, target: string, stat: string, unit: number, isCounter: boolean): string {
  let words = sanitizeName(stat)
    .split("_")
    .filter((w) => w !== "");
  if (isCounter && words.at(-1) === "total") words = words.slice(0, -1);
  const u = baseUnitName(unit);
  if (u === "seconds") words = words.filter((w) => !TIME_WORDS.has(w.toLowerCase()));
  else if (u === "bytes") words = words.filter((w) => !BYTE_WORDS.has(w.toLowerCase()));
  else if (u === "cycles") words = words.filter((w) => w.toLowerCase() !== "cycles");
  if (u !== "") words.push(u);
  if (words.length === 0) words = ["value"];
  return `${sanitizeName(provider)}_${sanitizeName(target)}_${words.join("_")}`.replace(/__+/g, "_");
}

/**
 * A family name that keeps every word of the statistic's name (`…_wait_us_seconds`,
 * `…_req_total`): the distinct name of a statistic whose {@link familyName} another took.
 */
export function rawFamilyName(provider: string, target: string, stat: string, unit: number): string {
  const u = baseUnitName(unit);
  const words = sanitizeName(stat)
    .split("_")
    .filter((w) => w !== "");
  if (u !== "" && words.at(-1) !== u) words.push(u);
  return `${sanitizeName(provider)}_${sanitizeName(target)}_${words.join("_") || "value"}`.replace(/__+/g, "_");
}

/** The statistic name without its unit words (for pairing a histogram with its total). */
export function stemOf(stat: string, unit: number): string {
  const u = baseUnitName(unit);
  const drop = u === "seconds" ? TIME_WORDS : u === "bytes" ? BYTE_WORDS : undefined;
  const words = stat.split("_").filter((w) => w !== "" && !drop?.has(w.toLowerCase()));
  return words.join("_");
}

/**
 * A label value for the text formats: control characters first shown by the one escaping function
 * ({@link printable}: ESC becomes the text `\x1b`, a newline `\x0a`), so no raw escape reaches a
 * terminal showing the exposition, then the formats' own escaping: `\` → `\\`, `"` → `\"` (what
 * promtool and Prometheus accept; `\x1b` in the value reads back as those four characters).
 */
export function escapeLabelValue(v: string): string {
  const p = printable(v);
  return /[\\"]/.test(p) ? p.replace(/\\/g, "\\\\").replace(/"/g, '\\"') : p;
}

/** HELP text: control characters by {@link printable}, then `\` escaped always and `"` too in OpenMetrics. */
export function escapeHelp(v: string, openMetrics: boolean): string {
  let s = printable(v).replace(/\\/g, "\\\\");
  if (openMetrics) s = s.replace(/"/g, '\\"');
  return s;
}
