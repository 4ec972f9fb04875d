/**
 * @module producer/labels
 * Label sets, as prom-client users know them: `counter.labels({ route: "/users/:id" })` returns
 * the handle of the same value in a subordinate source named by the label set (model/label-set),
 * created on first use with the same definition. Keep the returned handle: `labels()` looks the
 * child up (it is not for the hot path). Any label value is allowed, of any length (numbers and
 * booleans become strings, as in prom-client); a label-set source's name is the encoded set,
 * which no user source can take (user source names never start with `{`), and its exported
 * file gets a name_size that fits its id.
 *
 * Readers see one subordinate per label set; parents aggregate them like any subordinate, and
 * the OpenMetrics view shows them as the parent's family with these labels.
 */
import { DefinitionError } from "../errors.js";
import { encodingName, isHistogram, StatType, typeName, unitName } from "../model/flags.js";
import { encodeLabelSet } from "../model/label-set.js";
import { describe, isRecord } from "../model/text.js";
import { aggName, type ValueSlot } from "../providers/aggregate/values.js";
import { defineValues, type ValueEncoding, type ValueInit, type ValueSet, type ValueType, type ValueUnit } from "./definition.js";
import {
  BoundsHistogram,
  Counter,
  F64Counter,
  F64Gauge,
  F64Peak,
  Gauge,
  LinearHistogram,
  Log2Histogram,
  Peak,
  S64Gauge,
  setHandleNamer,
  type ValueHandle,
} from "./handles.js";
import { ownerOf } from "./notes.js";
import { createLabelSetSource } from "./source.js";

setHandleNamer((h) => {
  const o = ownerOf(h as ValueHandle);
  return o ? `${o.source.path.join("/")} ${o.slot.name}` : undefined;
});

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const RESERVED = new Set(["provider", "target", "source", "le", "instance", "job", "quantile", "index"]);

function initOf(slot: ValueSlot, withSum: boolean): ValueInit {
  const hist = isHistogram(slot.type);
  return {
    ...(hist && withSum ? { sum: true } : {}),
    type: typeName(slot.type) as ValueType,
    unit: unitName(slot.unit) as ValueUnit,
    base: slot.base === 1 ? 2 : 10,
    exponent: slot.exponent,
    encoding: encodingName(slot.encoding) as ValueEncoding,
    ...(hist ? { buckets: slot.type === StatType.BoundsHistogram ? (slot.bounds ?? []) : slot.size } : {}),
    ...(slot.type === StatType.LinearHistogram ? { bucketSize: slot.bucketSize } : {}),
    aggregations: slot.kinds.map(aggName),
    writable: slot.writable,
  };
}

/** A label value as prom-client takes it: any value but a symbol, as its string (`200` → "200"). */
export type LabelValue = string | number | boolean | bigint;

/** Label values as strings, the way prom-client prints them (`${value}`); names checked. */
function labelStrings(labels: Readonly<Record<string, unknown>>): Record<string, string> {
  if (!isRecord(labels)) throw new DefinitionError(`labels() needs an object of label name → value, not ${describe(labels)}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    if (!LABEL_NAME.test(k) || k.startsWith("__"))
      throw new DefinitionError(`label name ${describe(k)} must match [a-zA-Z_][a-zA-Z0-9_]* (not __…)`);
    if (RESERVED.has(k)) throw new DefinitionError(`label name ${describe(k)} is reserved (${[...RESERVED].join(", ")})`);
    if (typeof v === "symbol") throw new DefinitionError(`label ${k} must be a string or a number, not a symbol`);
    out[k] = typeof v === "string" ? v : `${v as string}`;
  }
  return out;
}

/**
 * The handle of `handle`'s value for one label set. Values may be strings, numbers, booleans or
 * bigints (turned into strings as prom-client does: `code: 200` is `code="200"`) of any length.
 */
export function labelsOf<H extends ValueHandle>(handle: H, labels: Readonly<Record<string, LabelValue>>): H {
  const owner = ownerOf(handle);
  if (!owner) throw new DefinitionError("labels() needs a handle returned by addValues");
  const name = encodeLabelSet(labelStrings(labels));
  const { source, slot } = owner;
  const child = source.subordinate(name) ?? source.addSubordinate(createLabelSetSource(name));
  const existing = child.value(slot.name);
  if (existing) return existing as H;
  const withSum = (handle as { s?: number }).s !== undefined && ((handle as { s?: number }).s as number) >= 0;
  const made = child.addValues(labelSetValues(slot, withSum))[slot.name];
  return made as H;
}

/** The definition every label set of a value shares, made and checked once per value (not per set). */
const setsBySlot = new WeakMap<ValueSlot, ValueSet[]>();

function labelSetValues(slot: ValueSlot, withSum: boolean): ValueSet {
  let sets = setsBySlot.get(slot);
  if (!sets) {
    sets = [];
    setsBySlot.set(slot, sets);
  }
  const k = withSum ? 1 : 0;
  let set = sets[k];
  if (!set) {
    set = defineValues({ [slot.name]: initOf(slot, withSum) });
    sets[k] = set;
  }
  return set;
}

declare module "./handles.js" {
  interface Counter {
    /** This value for a label set (a subordinate source per set); keep the returned handle. */
    labels(labels: Readonly<Record<string, LabelValue>>): Counter;
  }
  interface Gauge {
    labels(labels: Readonly<Record<string, LabelValue>>): Gauge;
  }
  interface Peak {
    labels(labels: Readonly<Record<string, LabelValue>>): Peak;
  }
  interface Log2Histogram {
    labels(labels: Readonly<Record<string, LabelValue>>): Log2Histogram;
  }
  interface LinearHistogram {
    labels(labels: Readonly<Record<string, LabelValue>>): LinearHistogram;
  }
}
declare module "./float-handles.js" {
  interface F64Counter {
    labels(labels: Readonly<Record<string, LabelValue>>): F64Counter;
  }
  interface F64Gauge {
    labels(labels: Readonly<Record<string, LabelValue>>): F64Gauge;
  }
  interface F64Peak {
    labels(labels: Readonly<Record<string, LabelValue>>): F64Peak;
  }
  interface S64Gauge {
    labels(labels: Readonly<Record<string, LabelValue>>): S64Gauge;
  }
  interface BoundsHistogram {
    labels(labels: Readonly<Record<string, LabelValue>>): BoundsHistogram;
  }
}

for (const C of [Counter, Gauge, Peak, Log2Histogram, LinearHistogram, F64Counter, F64Gauge, F64Peak, S64Gauge, BoundsHistogram]) {
  Object.defineProperty(C.prototype, "labels", {
    value(this: ValueHandle, labels: Readonly<Record<string, string>>) {
      return labelsOf(this, labels);
    },
    writable: true,
    configurable: true,
  });
}
