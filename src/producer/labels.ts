/**
 * @module producer/labels
 * Label sets, as prom-client users know them: `counter.labels({ route: "/users/:id" })` returns
 * the handle of the same value in a subordinate source named by the label set (model/label-set),
 * created on first use with the same definition. Keep the returned handle: `labels()` looks the
 * child up (it is not for the hot path). Any label value is allowed; the encoded set must fit a
 * source name (47 bytes), and an exported tree with labels usually needs a larger `nameSize`
 * (the exported id holds the whole path).
 *
 * Readers see one subordinate per label set; parents aggregate them like any subordinate, and
 * the OpenMetrics view shows them as the parent's family with these labels.
 */
import { DefinitionError } from "../errors.js";
import { typeName, unitName } from "../model/flags.js";
import { encodeLabelSet } from "../model/label-set.js";
import { describe, isRecord } from "../model/text.js";
import { aggName, type ValueSlot } from "../providers/aggregate/values.js";
import type { ValueInit, ValueType, ValueUnit } from "./definition.js";
import { Counter, Gauge, LinearHistogram, Log2Histogram, Peak, type ValueHandle } from "./handles.js";
import { ownerOf } from "./notes.js";
import { createSource } from "./source.js";

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED = new Set(["provider", "target", "source", "le", "instance", "job", "quantile", "index"]);

function initOf(slot: ValueSlot, withSum: boolean): ValueInit {
  const hist = slot.type === 3 || slot.type === 4;
  return {
    ...(hist && withSum ? { sum: true } : {}),
    type: typeName(slot.type) as ValueType,
    unit: unitName(slot.unit) as ValueUnit,
    base: slot.base === 1 ? 2 : 10,
    exponent: slot.exponent,
    ...(hist ? { buckets: slot.size } : {}),
    ...(slot.type === 3 ? { bucketSize: slot.bucketSize } : {}),
    aggregations: slot.kinds.map(aggName),
    writable: slot.writable,
  };
}

/** The handle of `handle`'s value for one label set. */
export function labelsOf<H extends ValueHandle>(handle: H, labels: Readonly<Record<string, string>>): H {
  const owner = ownerOf(handle);
  if (!owner) throw new DefinitionError("labels() needs a handle returned by addValues");
  if (!isRecord(labels)) throw new DefinitionError(`labels() needs an object of label name → string, not ${describe(labels)}`);
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith("__"))
      throw new DefinitionError(`label name ${describe(k)} must match [a-zA-Z_][a-zA-Z0-9_]* (not __…)`);
    if (RESERVED.has(k)) throw new DefinitionError(`label name ${describe(k)} is reserved (${[...RESERVED].join(", ")})`);
    if (typeof v !== "string") throw new DefinitionError(`label ${k} must be a string, not ${describe(v)}`);
  }
  const name = encodeLabelSet(labels);
  const { source, slot } = owner;
  const child = source.subordinate(name) ?? source.addSubordinate(createSource(name));
  const existing = child.value(slot.name);
  if (existing) return existing as H;
  const withSum = (handle as { s?: number }).s !== undefined && ((handle as { s?: number }).s as number) >= 0;
  const made = child.addValues({ [slot.name]: initOf(slot, withSum) })[slot.name];
  return made as H;
}

declare module "./handles.js" {
  interface Counter {
    /** This value for a label set (a subordinate source per set); keep the returned handle. */
    labels(labels: Readonly<Record<string, string>>): Counter;
  }
  interface Gauge {
    labels(labels: Readonly<Record<string, string>>): Gauge;
  }
  interface Peak {
    labels(labels: Readonly<Record<string, string>>): Peak;
  }
  interface Log2Histogram {
    labels(labels: Readonly<Record<string, string>>): Log2Histogram;
  }
  interface LinearHistogram {
    labels(labels: Readonly<Record<string, string>>): LinearHistogram;
  }
}

for (const C of [Counter, Gauge, Peak, Log2Histogram, LinearHistogram]) {
  Object.defineProperty(C.prototype, "labels", {
    value(this: ValueHandle, labels: Readonly<Record<string, string>>) {
      return labelsOf(this, labels);
    },
    writable: true,
    configurable: true,
  });
}
