/**
 * @module views/fs/text
 * What a value file of the filesystem holds, as text: the exact u64 in decimal and a newline;
 * 0 or 1 for booleans; one line per bucket for histograms (`[low, high) unit: count`, the
 * last bucket open-ended `[low, inf)`); one value per line for other multi-value statistics.
 */
import type { StatDescriptor } from "../../model/descriptor.js";
import { isHistogram, StatUnit } from "../../model/flags.js";
import { bucketBounds } from "../../model/histogram.js";
import { unitLabel } from "../../model/units.js";

/** The text of statistic `d` whose values start at word `word` of `data`. */
export function valueText(d: StatDescriptor, data: BigUint64Array, word = d.offset >>> 3): string {
  if (d.size === 1 && !isHistogram(d.type)) {
    const v = data[word] ?? 0n;
    return d.unit === StatUnit.Boolean ? (v === 0n ? "0\n" : "1\n") : `${v}\n`;
  }
  if (!isHistogram(d.type)) {
    let out = "";
    for (let i = 0; i < d.size; i++) out += `${data[word + i] ?? 0n}\n`;
    return out;
  }
  const unit = unitLabel(d.unit, d.base, d.exponent);
  const suffix = unit === "" ? ":" : ` ${unit}:`;
  let out = "";
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
