/**
 * @module model/read-int
 * The one reader of decimal integers in options (`?vcpus=2`, `--count 5`, a port, a pid, a
 * number of milliseconds): digits only (no sign, no spaces, no exponent), within
 * `[min, max]`, exact (never past 2^53 − 1). Callers keep their own message; what counts as an
 * integer is the same everywhere.
 */

/** `text` as an integer from `min` to `max`, or undefined when it is not one. */
export function readInt(text: string, min: number, max: number): number | undefined {
  if (!/^\d{1,16}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max && n <= Number.MAX_SAFE_INTEGER ? n : undefined;
}
