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
 * Whether what was written to a value file is exactly a reset: `0`, or `0` and a newline (as
 * `echo 0` writes). Anything else — ` 0`, `00`, `0 `, an empty write, another number — is not.
 */
export function isResetText(bytes: Uint8Array): boolean {
  return (bytes.byteLength === 1 || (bytes.byteLength === 2 && bytes[1] === 0x0a)) && bytes[0] === 0x30;
}
