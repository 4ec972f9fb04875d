/**
 * @module prom-client/validation
 * Metric and label names as prom-client checks them (the Prometheus data model's patterns), and
 * the check that a label set uses only declared label names, with prom-client's messages.
 */
import { inspect } from "node:util";

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether `name` is a valid metric name. */
export function validateMetricName(name: string): boolean {
  return METRIC.test(name);
}

/** Whether every name of `names` is a valid label name. */
export function validateLabelName(names: readonly string[] = []): boolean {
  return names.every((n) => LABEL.test(n));
}

/** Throws when `labels` has a name that is not in `declared` (the label set given at creation). */
export function validateLabel(declared: readonly string[], labels: unknown): void {
  for (const name in labels as object) {
    if (!declared.includes(name)) {
      throw new Error(`Added label "${name}" is not included in initial labelset: ${inspect(declared)}`);
    }
  }
}
