/**
 * @module views/fs/text
 * What a value file of the filesystem holds, as text: the exact value in decimal and a newline
 * (u64 and s64 digit-exact, an f64 as its shortest round-trip decimal); 0 or 1 for booleans;
 * one line per bucket for histograms (`[low, high) unit: count`, the last bucket open-ended
 * `[low, inf)`; a bounds histogram's `(low, high] unit: count`, as prom-client's `le`); one
 * value per line for other multi-value statistics.
 */
import type { StatDescriptor } from "../../model/descriptor.js";
import { isHistogram, StatType, StatUnit } from "../../model/flags.js";
import { bucketBounds } from "../../model/histogram.js";
import { unitLabel } from "../../model/units.js";
import { numberText, wordText } from "../../model/value.js";

/** The text of statistic `d` whose values start at word `word` of `data`. */
export function valueText(d: StatDescriptor, data: BigUint64Array, word = d.offset >>> 3): string {
  if (d.size === 1 && !isHistogram(d.type)) {
    const v = data[word] ?? 0n;
    return d.unit === StatUnit.Boolean ? (v === 0n ? "0\n" : "1\n") : `${wordText(d, v)}\n`;
  }
  if (!isHistogram(d.type)) {
    let out = "";
    for (let i = 0; i < d.size; i++) out += `${wordText(d, data[word + i] ?? 0n)}\n`;
    return out;
  }
  const unit = unitLabel(d.unit, d.base, d.exponent);
  const suffix = unit === "" ? ":" : ` ${unit}:`;
  let out = "";
  if (d.type === StatType.BoundsHistogram) {
    const b = d.bounds ?? [];
    for (let i = 0; i < d.size; i++) {
      const low = i === 0 ? "-inf" : numberText(b[i - 1] as number);
      const high = i < b.length ? `${numberText(b[i] as number)}]` : "inf)";
      out += `(${low}, ${high}${suffix} ${data[word + i] ?? 0n}\n`;
    }
    return out;
  }
  for (const [i, b] of bucketBounds(d).entries()) {
    out += `[${b.low}, ${b.high ?? "inf"})${suffix} ${data[word + i] ?? 0n}\n`;
  }
  return out;
}

/**
 * Parses what was written to a value file: a decimal integer with optional surrounding
 * whitespace (`echo 0` adds a newline). Returns the value, or undefined for anything else.
 */
export function parseWritten(bytes: Uint8Array): bigint | undefined {
  if (bytes.byteLength > 64) return undefined;
  const text = new TextDecoder("utf-8", { fatal: false }).decode(bytes).trim();
  if (!/^[0-9]{1,20}$/.test(text)) return undefined;
  return BigInt(text);
}
