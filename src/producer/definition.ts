/**
 * @module producer/definition
 * Value definitions — the proposal's `struct statsfs_value` array — validated once, when they are
 * defined: names, kernel unit/exponent rules, histogram shapes, aggregations. Nothing here runs
 * on the hot path; a definition that passes is a valid kernel descriptor.
 */
import { KVM_NAME_SIZE, MAX_LOG2_BUCKETS } from "../codec/layout.js";
import { DefinitionError } from "../errors.js";
import { isHistogram, packFlags, StatBase, StatEncoding, StatType, StatUnit } from "../model/flags.js";
import { describe, isRecord, quote } from "../model/text.js";
import { AggKind, type Aggregation, aggSuffix, byteLength, type ValueMeta, type ValueSlot } from "../providers/aggregate/values.js";
import type {
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
} from "./handles.js";

export {
  AggKind,
  type Aggregation,
  aggName,
  aggSuffix,
  byteLength,
  compatible,
  type ValueMeta,
  type ValueSlot,
} from "../providers/aggregate/values.js";

/** How a value behaves over time (the descriptor type). */
export type ValueType = "cumulative" | "instant" | "peak" | "linear-histogram" | "log2-histogram" | "bounds-histogram";
/**
 * How the value's words are stored: `u64` (default, the kernel's), `s64` (integers of either
 * sign: gauges and peaks) or `f64` (doubles: counters, gauges, peaks). s64 and f64 are statsfs
 * extensions of the descriptor (model/flags), which kernel-layout readers see as flag bits.
 */
export type ValueEncoding = "u64" | "s64" | "f64";
/** What a value measures (the descriptor unit). */
export type ValueUnit = "none" | "bytes" | "seconds" | "cycles" | "boolean";

/** One value as a caller defines it; everything but the type has a default. */
export interface ValueInit {
  /** Default `cumulative` (a counter). */
  readonly type?: ValueType;
  /** Default `none`. */
  readonly unit?: ValueUnit;
  /** Base of the exponent: 10 (default) or 2. */
  readonly base?: 10 | 2;
  /** Power of the base the raw values are scaled by (−9 with seconds: nanoseconds). Default 0. */
  readonly exponent?: number;
  /**
   * Histograms: number of buckets (1..65535), required; for a `bounds-histogram` its upper
   * bounds instead (finite, ascending, as prom-client's `buckets`; a last +Inf bucket is added).
   */
  readonly buckets?: number | readonly number[];
  /** Encoding of the value (default `u64`); see {@link ValueEncoding}. */
  readonly encoding?: ValueEncoding;
  /** Linear histograms: width of each bucket, in the value's unit (1..2^32−1). */
  readonly bucketSize?: number;
  /**
   * What parents show of this value. Default: `["max"]` for peaks and booleans, `["sum"]`
   * otherwise; `[]` keeps the value out of parents. Histograms offer only `sum` (bucket-wise).
   */
  readonly aggregations?: readonly Aggregation[];
  /** Whether readers may reset it by writing zero. Default false. */
  readonly writable?: boolean;
  /**
   * Histograms: also keep the sum of the recorded samples, as a cumulative value named
   * `<name>_sum` (same unit and scale) placed right after the histogram, which `record()`
   * adds to (worker-thread shards too); OpenMetrics then shows it as the histogram's `_sum`.
   * Default false.
   */
  readonly sum?: boolean;
  /**
   * One line saying what the value is: the `# HELP` text of in-process expositions
   * (`metrics()`, `metricsHandler()`); exported files do not carry it.
   */
  readonly help?: string;
}

/** A map from value name to its definition; key order is the data-block order. */
export type ValueInits = Readonly<Record<string, ValueInit>>;

const TYPES: Record<ValueType, number> = {
  cumulative: StatType.Cumulative,
  instant: StatType.Instant,
  peak: StatType.Peak,
  "linear-histogram": StatType.LinearHistogram,
  "log2-histogram": StatType.Log2Histogram,
  "bounds-histogram": StatType.BoundsHistogram,
};
const ENCODINGS: Record<ValueEncoding, number> = { u64: StatEncoding.U64, s64: StatEncoding.S64, f64: StatEncoding.F64 };
const UNITS: Record<ValueUnit, number> = {
  none: StatUnit.None,
  bytes: StatUnit.Bytes,
  seconds: StatUnit.Seconds,
  cycles: StatUnit.Cycles,
  boolean: StatUnit.Boolean,
};

/** Longest name (in UTF-8 bytes) a descriptor of name_size 48 holds. */
export const MAX_NAME_BYTES = KVM_NAME_SIZE - 1;

/**
 * Checks a value or source name: 1..47 printable ASCII bytes without `.` (reserved for
 * aggregate suffixes), `/` (path separator) or `~` (shard suffix of exported files).
 */
export function checkName(name: string, what: string, maxBytes = MAX_NAME_BYTES): void {
  if (typeof name !== "string") throw new DefinitionError(`${what} name must be a string, not ${describe(name)}`);
  if (name === "") throw new DefinitionError(`${what} name is empty`);
  if (!/^[\x21-\x7e]+$/.test(name) || /[./~]/.test(name)) {
    throw new DefinitionError(`${what} name ${describe(name)} must be printable ASCII without spaces, ".", "/" or "~"`);
  }
  if (name.length > maxBytes) {
    throw new DefinitionError(`${what} name ${describe(name)} is ${name.length} bytes; name_size ${maxBytes + 1} allows ${maxBytes}`);
  }
}

function isInt(x: unknown, min: number, max: number): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= min && x <= max;
}

/**
 * `table[key]` when `key` is one of the table's own string keys; undefined for anything else
 * (inherited names such as "constructor", non-strings, objects that cannot become a key).
 */
function lookup<T>(table: Readonly<Record<string, T>>, key: unknown): T | undefined {
  return typeof key === "string" && Object.hasOwn(table, key) ? table[key] : undefined;
}

/** Validates one definition and resolves its defaults. */
export function resolveValue(name: string, init: ValueInit): ValueMeta {
  checkName(name, "value");
  const at = `value ${quote(name)}`;
  if (!isRecord(init)) throw new DefinitionError(`${at}: definition must be an object, not ${describe(init)}`);
  const typeName = init.type ?? "cumulative";
  const type = lookup(TYPES, typeName);
  if (type === undefined) throw new DefinitionError(`${at}: unknown type ${describe(typeName)}`);
  const unitName = init.unit ?? "none";
  const unit = lookup(UNITS, unitName);
  if (unit === undefined) throw new DefinitionError(`${at}: unknown unit ${describe(unitName)}`);
  const baseNum = init.base ?? 10;
  if (baseNum !== 10 && baseNum !== 2) throw new DefinitionError(`${at}: base must be 10 or 2, not ${describe(baseNum)}`);
  const base = baseNum === 2 ? StatBase.Pow2 : StatBase.Pow10;
  const exponent = init.exponent ?? 0;
  if (!isInt(exponent, -32768, 32767)) throw new DefinitionError(`${at}: exponent must be an integer from -32768 to 32767`);
  if (unit === StatUnit.Seconds && exponent > 0) {
    throw new DefinitionError(`${at}: unit seconds needs an exponent <= 0 (got ${exponent}); use -9 for nanoseconds`);
  }
  if ((unit === StatUnit.None || unit === StatUnit.Bytes || unit === StatUnit.Cycles) && exponent < 0) {
    throw new DefinitionError(`${at}: unit ${unitName} needs an exponent >= 0 (got ${exponent})`);
  }
  if (unit === StatUnit.Boolean && exponent !== 0) throw new DefinitionError(`${at}: a boolean needs exponent 0 (got ${exponent})`);
  if (unit === StatUnit.Boolean && type === StatType.Log2Histogram) {
    throw new DefinitionError(`${at}: a boolean cannot be a log2 histogram`);
  }

  const encodingName = init.encoding ?? "u64";
  const encoding = lookup(ENCODINGS, encodingName);
  if (encoding === undefined) throw new DefinitionError(`${at}: unknown encoding ${describe(encodingName)} (u64, s64 or f64)`);
  if (encoding !== StatEncoding.U64 && (isHistogram(type) || unit === StatUnit.Boolean)) {
    throw new DefinitionError(
      `${at}: a ${isHistogram(type) ? "histogram counts" : "boolean is"} in u64; encoding ${encodingName} is for scalars`,
    );
  }
  if (encoding === StatEncoding.S64 && type === StatType.Cumulative) {
    throw new DefinitionError(`${at}: a cumulative value never goes down; use encoding f64 for fractions, or an instant s64`);
  }
  let size = 1;
  let bucketSize = 0;
  let bounds: number[] | undefined;
  if (type === StatType.BoundsHistogram) {
    const b = init.buckets;
    if (!Array.isArray(b)) throw new DefinitionError(`${at}: a bounds histogram needs its upper bounds ("buckets": [0.005, 0.01, …])`);
    if (b.length > 0xfffe) throw new DefinitionError(`${at}: at most 65534 bounds (got ${b.length})`);
    bounds = [];
    for (const [k, x] of (b as readonly unknown[]).entries()) {
      if (typeof x !== "number" || !Number.isFinite(x) || (k > 0 && !(x > (bounds[k - 1] as number)))) {
        throw new DefinitionError(`${at}: bound ${k} (${describe(x)}) must be a finite number above the one before`);
      }
      bounds.push(x);
    }
    if (init.bucketSize !== undefined) throw new DefinitionError(`${at}: only linear histograms have a bucket size`);
    size = bounds.length + 1;
  } else if (isHistogram(type)) {
    if (init.buckets === undefined) throw new DefinitionError(`${at}: a histogram needs a bucket count ("buckets")`);
    if (!isInt(init.buckets, 1, 0xffff)) {
      throw new DefinitionError(`${at}: bucket count must be an integer from 1 to 65535 (got ${describe(init.buckets)})`);
    }
    size = init.buckets;
    if (type === StatType.Log2Histogram && size > MAX_LOG2_BUCKETS) {
      throw new DefinitionError(
        `${at}: a log2 histogram has at most ${MAX_LOG2_BUCKETS} buckets (bucket 64 holds [2^63, 2^64)); got ${size}`,
      );
    }
    if (type === StatType.LinearHistogram) {
      if (init.bucketSize === undefined) throw new DefinitionError(`${at}: a linear histogram needs a bucket size ("bucketSize")`);
      if (!isInt(init.bucketSize, 1, 0xffffffff)) {
        throw new DefinitionError(`${at}: bucket size must be an integer from 1 to 4294967295 (got ${describe(init.bucketSize)})`);
      }
      bucketSize = init.bucketSize;
    } else if (init.bucketSize !== undefined) {
      throw new DefinitionError(`${at}: only linear histograms have a bucket size`);
    }
  } else if (init.buckets !== undefined || init.bucketSize !== undefined) {
    throw new DefinitionError(`${at}: only histograms have buckets`);
  }

  const aggs = init.aggregations ?? (type === StatType.Peak || unit === StatUnit.Boolean ? ["max"] : ["sum"]);
  if (!Array.isArray(aggs)) throw new DefinitionError(`${at}: aggregations must be an array`);
  const kinds: AggKind[] = [];
  for (const a of aggs as readonly unknown[]) {
    const k = lookup<AggKind>(AggKind, a);
    if (k === undefined) throw new DefinitionError(`${at}: unknown aggregation ${describe(a)}`);
    if (kinds.includes(k)) throw new DefinitionError(`${at}: aggregation ${describe(a)} is listed twice`);
    if (isHistogram(type) && k !== AggKind.sum) throw new DefinitionError(`${at}: a histogram aggregates only by sum, not ${describe(a)}`);
    if (kinds.length > 0 && byteLength(name + aggSuffix(k)) > MAX_NAME_BYTES) {
      throw new DefinitionError(`${at}: aggregate name ${quote(name + aggSuffix(k))} would exceed ${MAX_NAME_BYTES} bytes`);
    }
    kinds.push(k);
  }
  if (init.writable !== undefined && typeof init.writable !== "boolean") {
    throw new DefinitionError(`${at}: writable must be a boolean, not ${describe(init.writable)}`);
  }
  const meta = { name, type, unit, base, exponent, size, bucketSize, kinds, writable: init.writable === true, encoding };
  return bounds === undefined ? meta : { ...meta, bounds: Object.freeze(bounds) };
}

/** The flags word of a value's descriptor. */
export function metaFlags(m: ValueMeta): number {
  return packFlags(m.type, m.unit, m.base, m.encoding);
}

const SET = Symbol("statsfs.valueSet");

/** A validated, reusable set of value definitions (the proposal's `statsfs_value` array). */
export interface ValueSet<D extends ValueInits = ValueInits> {
  readonly [SET]: true;
  /** The definitions as given (for typing). */
  readonly inits: D;
  /** Validated values in data-block order. */
  readonly values: readonly ValueMeta[];
}

/**
 * Validates definitions once, for reuse by many sources (like a `static struct statsfs_value[]`):
 * `const VCPU = defineValues({ exits: {}, halt_ns: { unit: "seconds", exponent: -9 } })`.
 * Throws {@link DefinitionError} on the first bad definition.
 */
export function defineValues<const D extends ValueInits>(inits: D): ValueSet<D> {
  if (!isRecord(inits)) throw new DefinitionError(`values must be an object of name → definition, not ${describe(inits)}`);
  if (isValueSet(inits)) return inits as unknown as ValueSet<D>;
  const known = setsByInits.get(inits);
  if (known) return known as ValueSet<D>;
  const values: ValueMeta[] = [];
  for (const [name, init] of Object.entries(inits)) {
    const v = Object.freeze(resolveValue(name, init));
    values.push(v);
    if (init.help !== undefined && (typeof init.help !== "string" || /[\r\n]/.test(init.help))) {
      throw new DefinitionError(`value ${quote(name)}: help must be a one-line string, not ${describe(init.help)}`);
    }
    if (init.sum === undefined || init.sum === false) continue;
    if (init.sum !== true) throw new DefinitionError(`value ${quote(name)}: sum must be a boolean, not ${describe(init.sum)}`);
    if (!isHistogram(v.type)) throw new DefinitionError(`value ${quote(name)}: only histograms keep a sum`);
    const companion = `${name}_sum`;
    if (Object.hasOwn(inits, companion))
      throw new DefinitionError(`value ${quote(name)}: sum: true defines ${quote(companion)}, which is also defined`);
    const unit = (Object.entries(UNITS).find(([, n]) => n === v.unit)?.[0] ?? "none") as ValueUnit;
    values.push(
      Object.freeze(
        resolveValue(companion, {
          unit,
          base: v.base === StatBase.Pow2 ? 2 : 10,
          exponent: v.exponent,
          aggregations: v.kinds.length > 0 ? ["sum"] : [],
          writable: v.writable,
          // A bounds histogram takes double samples: its sum is a double too.
          ...(v.type === StatType.BoundsHistogram ? { encoding: "f64" as const } : {}),
        }),
      ),
    );
  }
  const set = Object.freeze({ [SET]: true as const, inits, values: Object.freeze(values) });
  setsByInits.set(inits, set);
  return set;
}

// Definitions are validated once per definitions object, and the slots of every source that
// holds the same values at the same offset are one shared frozen array (memory per value).
const setsByInits = new WeakMap<object, ValueSet>();
const slotsBySet = new WeakMap<ValueSet, Map<number, readonly ValueSlot[]>>();
const slotsByShape = new Map<string, readonly ValueSlot[]>();

/** The slots of `set` placed from u64 word `base` on: one shared frozen array per shape. */
export function slotsOf(set: ValueSet, base: number): readonly ValueSlot[] {
  let bySet = slotsBySet.get(set);
  if (!bySet) {
    bySet = new Map();
    slotsBySet.set(set, bySet);
  }
  let slots = bySet.get(base);
  if (!slots) {
    const key = `${base}:${JSON.stringify(set.values)}`;
    slots = slotsByShape.get(key);
    if (!slots) {
      let word = base;
      slots = Object.freeze(
        set.values.map((v) => {
          const slot: ValueSlot = Object.freeze({ ...v, word });
          word += v.size;
          return slot;
        }),
      );
      slotsByShape.set(key, slots);
    }
    bySet.set(base, slots);
  }
  return slots;
}

/** True for the result of {@link defineValues}. */
export function isValueSet(x: unknown): x is ValueSet {
  return typeof x === "object" && x !== null && (x as { [SET]?: unknown })[SET] === true;
}

/** The handle type a definition gets. */
export type HandleOf<I extends ValueInit> = I["type"] extends "bounds-histogram"
  ? BoundsHistogram
  : I["encoding"] extends "f64"
    ? I["type"] extends "instant"
      ? F64Gauge
      : I["type"] extends "peak"
        ? F64Peak
        : F64Counter
    : I["encoding"] extends "s64"
      ? S64Gauge
      : I["type"] extends "instant"
        ? Gauge
        : I["type"] extends "peak"
          ? Peak
          : I["type"] extends "log2-histogram"
            ? Log2Histogram
            : I["type"] extends "linear-histogram"
              ? LinearHistogram
              : Counter;

/** Typed handles for a set of definitions, by value name. */
export type Handles<D extends ValueInits> = { readonly [K in keyof D]: HandleOf<D[K]> };
