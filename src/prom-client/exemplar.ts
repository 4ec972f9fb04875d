/**
 * @module prom-client/exemplar
 * An OpenMetrics exemplar as prom-client keeps it (label set, value, timestamp in seconds), with
 * its size rule: the names and values of the label set together at most 128 characters.
 */
import type { ExemplarObject, Labels } from "./registry.js";

/** One exemplar. */
export class Exemplar implements ExemplarObject {
  labelSet: Labels;
  value: number | null;
  declare timestamp?: number;
  constructor(labelSet: Labels = {}, value: number | null = null) {
    this.labelSet = labelSet;
    this.value = value;
  }
  /** Throws a RangeError when the label set is longer than OpenMetrics allows. */
  validateExemplarLabelSet(labelSet: Labels): void {
    let s = "";
    for (const [k, v] of Object.entries(labelSet)) s += `${k}${v as string}`;
    if (s.length > 128) throw new RangeError("Label set size must be smaller than 128 UTF-8 chars");
  }
}
