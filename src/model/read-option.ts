/**
 * @module model/read-option
 * The shared readers of option values beside {@link readInt} (model/read-int), used alike by
 * argv, a source's `?key=` and the dashboard's config, so that what counts as a duration or a
 * flag is the same everywhere:
 *
 * - a **duration**: a decimal number (`500`, `0.5`, `.25`) in the option's own unit, or with a
 *   unit suffix, `ms` or `s` (`500ms`, `2s`, `1.5s`); no sign, no exponent, no spaces; it must be
 *   a whole number of milliseconds within `[min, max]`;
 * - a **flag**: `1` or `true` for on, `0` or `false` for off.
 *
 * Each returns undefined for text it does not take; callers keep their own message.
 */
export { readInt } from "./read-int.js";

/** The unit of a duration option written without a suffix. */
export type DurationUnit = "ms" | "s";

/** Bounds of a duration, in milliseconds. */
export interface DurationRange {
  readonly min: number;
  readonly max: number;
}

const DURATION = /^(\d{1,16}(?:\.\d{1,9})?|\.\d{1,9})(ms|s)?$/;

/**
 * `text` as a duration in milliseconds (a bare number is in `unit`), or undefined when it is not
 * one, is not a whole number of milliseconds, or lies outside `range`.
 */
export function readDuration(text: string, unit: DurationUnit, range: DurationRange): number | undefined {
  const m = DURATION.exec(text);
  if (!m) return undefined;
  const [, number = "", suffix = unit] = m;
  // Scaled as decimal text, not as a double: 0.1 s is exactly 100 ms.
  const [whole = "", frac = ""] = number.split(".");
  const shift = suffix === "s" ? 3 : 0;
  if (frac.length > shift && /[1-9]/.test(frac.slice(shift))) return undefined; // a fraction of a millisecond
  const ms = Number(`${whole || "0"}${frac.slice(0, shift).padEnd(shift, "0")}`);
  return Number.isSafeInteger(ms) && ms >= range.min && ms <= range.max ? ms : undefined;
}

/** `text` as a flag: true for `1`/`true`, false for `0`/`false`, else undefined. */
export function readFlag(text: string): boolean | undefined {
  if (text === "1" || text === "true") return true;
  if (text === "0" || text === "false") return false;
  return undefined;
}

/** What a duration option takes, for messages: `a number of milliseconds from 1 to 5000, or a duration such as 2s`. */
export function durationHint(unit: DurationUnit, range: DurationRange): string {
  const bound = (ms: number) => (unit === "s" ? String(ms / 1000) : String(ms));
  const name = unit === "s" ? "seconds" : "milliseconds";
  return `a number of ${name} from ${bound(range.min)} to ${bound(range.max)}, or a duration such as ${unit === "s" ? "500ms" : "2s"}`;
}
