/**
 * @module qmp/json/qobject
 * QMP values as QEMU holds them after parsing (its QObject model): dicts keep insertion order
 * (a `Map`), numbers keep QEMU's three kinds (int64, uint64, double) so that nothing above 2^53
 * goes through a JS number.
 */

/** A JSON number as QEMU's QNum holds it. */
export class QNum {
  /** `int` (fits int64), `uint` (fits uint64 only) or `double`. */
  readonly kind: "int" | "uint" | "double";
  /** The exact integer for `int` and `uint`; 0n for `double`. */
  readonly int: bigint;
  /** The value as a double (approximate above 2^53). */
  readonly dbl: number;

  constructor(kind: "int" | "uint" | "double", int: bigint, dbl: number) {
    this.kind = kind;
    this.int = int;
    this.dbl = dbl;
  }
}

/** A parsed QMP dict: keys in insertion order, as QEMU inserted them. */
export type QDict = Map<string, QObject>;

/** Any parsed QMP value. */
export type QObject = QDict | QObject[] | string | boolean | null | QNum;

/** True for a dict. */
export function isQDict(v: QObject | undefined): v is QDict {
  return v instanceof Map;
}

/** QAPI's name of a value's JSON type, as used in "expected: …" errors. */
export function qtypeName(v: QObject): string {
  if (v === null) return "null";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  if (v instanceof QNum) return "number";
  if (Array.isArray(v)) return "array";
  return "object";
}
