/**
 * @module providers/qmp/wire
 * The shapes of a peer's query-stats and query-stats-schemas replies, checked before anything
 * is read from them, so that a malformed reply is a one-line error naming the JSON path
 * (`query-stats reply [0].stats[3].value: 1.5 is not a u64`) instead of a crash or a value
 * silently wrapped into u64 range. Paths index the reply as received (QEMU's reversed order).
 * Numbers arrive losslessly: integers as bigint, other numbers as LosslessNumber.
 */
import { LosslessNumber } from "lossless-json";
import { QmpProtocolError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import { quote } from "../../model/text.js";

const U64_MAX = (1n << 64n) - 1n;

/** One StatsSchemaValue, checked: exponent and bucket size as numbers. */
export interface WireSchemaValue {
  readonly name: string;
  readonly type: string;
  readonly unit?: string | undefined;
  readonly base?: number | undefined;
  readonly exponent: number;
  readonly "bucket-size"?: number | undefined;
}

/** One StatsSchema, checked. */
export interface WireSchema {
  readonly provider: string;
  readonly target: string;
  readonly stats: readonly WireSchemaValue[];
}

/** A value as query-stats sends it, checked: u64 bigint, boolean, or a list of u64. */
export type WireValue = bigint | boolean | readonly bigint[];

/** One Stats, checked. */
export interface WireStat {
  readonly name: string;
  readonly value: WireValue;
}

/** One StatsResult, checked. */
export interface WireResult {
  readonly provider: string;
  readonly "qom-path"?: string;
  readonly stats: readonly WireStat[];
}

/** A malformed reply: `path` is where, `problem` what (completed by {@link checked}). */
class Malformed extends QmpProtocolError {}

/** A value as the reply spelled it, for messages (one line, control characters escaped). */
function show(v: unknown): string {
  if (typeof v === "string") return quote(v);
  if (typeof v === "bigint" || typeof v === "boolean" || v === null) return String(v);
  if (Array.isArray(v)) return "a list";
  if (v instanceof LosslessNumber) return printable(v.value);
  return typeof v === "object" ? "an object" : String(v);
}

function fail(path: string, problem: string): never {
  throw new Malformed(`${path}: ${problem}`);
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v) && !(v instanceof LosslessNumber);
}

function object(v: unknown, path: string): Record<string, unknown> {
  if (!isObject(v)) fail(path, `${show(v)} is not an object`);
  return v;
}

function list(v: unknown, path: string): unknown[] {
  if (v === undefined) fail(path, "missing");
  if (!Array.isArray(v)) fail(path, `${show(v)} is not a list`);
  return v;
}

function string(v: unknown, path: string): string {
  if (v === undefined) fail(path, "missing");
  if (typeof v !== "string") fail(path, `${show(v)} is not a string`);
  return v;
}

function integer(v: unknown, path: string, min: bigint, max: bigint, what: string): number {
  if (v === undefined) fail(path, "missing");
  if (typeof v !== "bigint" || v < min || v > max) fail(path, `${show(v)} is not ${what}`);
  return Number(v);
}

function u64(v: unknown, path: string): bigint {
  if (typeof v !== "bigint" || v < 0n || v > U64_MAX) fail(path, `${show(v)} is not a u64`);
  return v;
}

/** Checks a reply; throws a QmpProtocolError `<what> reply <path>: <problem>`. */
function checked<T>(what: string, reply: unknown, check: (r: unknown) => T): T {
  try {
    return check(reply);
  } catch (e) {
    if (e instanceof Malformed) throw new QmpProtocolError(`${what} reply${e.message.startsWith(":") ? "" : " "}${e.message}`);
    throw e;
  }
}

/** A query-stats-schemas return value, checked (message: `query-stats-schemas reply [0].stats: missing`). */
export function checkSchemas(reply: unknown): WireSchema[] {
  return checked("query-stats-schemas", reply, (r) =>
    list(r, "").map((s, i) => {
      const at = `[${i}]`;
      const o = object(s, at);
      const provider = string(o.provider, `${at}.provider`);
      const target = string(o.target, `${at}.target`);
      const stats = list(o.stats, `${at}.stats`).map((v, j) => {
        const p = `${at}.stats[${j}]`;
        const e = object(v, p);
        const out: WireSchemaValue = {
          name: string(e.name, `${p}.name`),
          type: string(e.type, `${p}.type`),
          unit: e.unit === undefined ? undefined : string(e.unit, `${p}.unit`),
          base: e.base === undefined ? undefined : integer(e.base, `${p}.base`, -128n, 127n, "an int8"),
          // Mandatory in QAPI; a peer that leaves it out means 0, as before.
          exponent: e.exponent === undefined ? 0 : integer(e.exponent, `${p}.exponent`, -(1n << 15n), (1n << 15n) - 1n, "an int16"),
          "bucket-size":
            e["bucket-size"] === undefined ? undefined : integer(e["bucket-size"], `${p}.bucket-size`, 0n, (1n << 32n) - 1n, "a u32"),
        };
        return out;
      });
      return { provider, target, stats };
    }),
  );
}

/** Most values one statistic may have: a descriptor's size is a u16. */
export const MAX_STAT_VALUES = 0xffff;

/**
 * What the schema says of a provider's statistics for the target queried: name → whether it
 * is a histogram (values are a list) — or undefined when the schema does not know the provider.
 */
export type SchemaKinds = (provider: string) => ReadonlyMap<string, boolean> | undefined;

/**
 * A query-stats return value, checked (message: `query-stats reply [0].stats[3].value: 1.5 is
 * not a u64`). With `kinds`, value counts are checked against the schema: a statistic the
 * schema declares appears at most once per result, a histogram has 1 to {@link MAX_STAT_VALUES}
 * values and a scalar is not a list. Statistics the schema does not name are checked as values
 * and left out (no file has room for them), so nothing the schema cannot justify is kept.
 */
export function checkResults(reply: unknown, kinds?: SchemaKinds): WireResult[] {
  return checked("query-stats", reply, (r) =>
    list(r, "").map((x, i) => {
      const at = `[${i}]`;
      const o = object(x, at);
      const provider = string(o.provider, `${at}.provider`);
      const qomPath = o["qom-path"] === undefined ? undefined : string(o["qom-path"], `${at}.qom-path`);
      const known = kinds?.(provider);
      const seen = new Set<string>();
      const stats: WireStat[] = [];
      list(o.stats, `${at}.stats`).forEach((s, j) => {
        const p = `${at}.stats[${j}]`;
        const e = object(s, p);
        const name = string(e.name, `${p}.name`);
        const v = e.value;
        if (v === undefined) fail(`${p}.value`, "missing");
        const histogram = known?.get(name);
        if (histogram !== undefined) {
          if (seen.has(name)) fail(`${p}.name`, `${show(name)} appears twice in one result`);
          seen.add(name);
          if (histogram && !Array.isArray(v)) fail(`${p}.value`, `${show(v)} is not a list for a histogram`);
          if (!histogram && Array.isArray(v)) fail(`${p}.value`, "a list for a statistic the schema declares scalar");
          if (Array.isArray(v) && (v.length === 0 || v.length > MAX_STAT_VALUES))
            fail(`${p}.value`, `a list of ${v.length} values (a histogram has 1 to ${MAX_STAT_VALUES})`);
        }
        const value = typeof v === "boolean" ? v : Array.isArray(v) ? v.map((b, k) => u64(b, `${p}.value[${k}]`)) : u64(v, `${p}.value`);
        if (kinds === undefined || histogram !== undefined) stats.push({ name, value });
      });
      return qomPath === undefined ? { provider, stats } : { provider, "qom-path": qomPath, stats };
    }),
  );
}
