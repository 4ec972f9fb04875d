/**
 * @module qmp/json/writer
 * JSON text as QEMU's monitor writes it: `", "` and `": "` separators, dict members in QDict
 * order ({@link qdictOrder}), non-ASCII and control characters as uppercase `\uXXXX`, integers
 * digit-exact (int64 and uint64 alike), doubles as C's `%.17g` (so `inf` for an infinite id,
 * as QEMU prints it).
 */
import { fixedOrder, qdictOrder } from "./qdict-order.js";
import { QNum } from "./qobject.js";

const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT: Record<number, string> = { 34: '\\"', 92: "\\\\", 8: "\\b", 12: "\\f", 10: "\\n", 13: "\\r", 9: "\\t" };

/** A JSON string literal, escaped as QEMU escapes it. */
export function quote(s: string): string {
  if (PLAIN.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const short = SHORT[c];
    if (short !== undefined) out += short;
    else if (c < 0x20 || c >= 0x7f) out += `\\u${c.toString(16).toUpperCase().padStart(4, "0")}`;
    else out += s[i];
  }
  return `${out}"`;
}

/** C's `%.17g` of a double (glibc spelling of infinities and NaN). */
export function formatG17(x: number): string {
  if (Number.isNaN(x)) return "nan";
  if (!Number.isFinite(x)) return x > 0 ? "inf" : "-inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const [mant = "", expText = "0"] = x.toExponential(16).split("e");
  const exp = Number(expText);
  const neg = mant.startsWith("-");
  const digits = mant.replace("-", "").replace(".", "");
  let body: string;
  if (exp < -4 || exp >= 17) {
    const frac = digits.slice(1).replace(/0+$/, "");
    const e = Math.abs(exp).toString().padStart(2, "0");
    body = `${digits[0]}${frac ? `.${frac}` : ""}e${exp < 0 ? "-" : "+"}${e}`;
  } else if (exp >= 0) {
    const frac = digits.slice(exp + 1).replace(/0+$/, "");
    body = `${digits.slice(0, exp + 1)}${frac ? `.${frac}` : ""}`;
  } else {
    body = `0.${"0".repeat(-exp - 1)}${digits}`.replace(/0+$/, "");
  }
  return neg ? `-${body}` : body;
}

/**
 * Serializes a value: QMP values ({@link QNum}, `Map` dicts) and plain data (objects, arrays,
 * strings, integers as number or bigint, booleans, null). Dict members come out in QDict order
 * of their insertion order; `undefined` members are left out.
 */
export function writeJson(v: unknown): string {
  switch (typeof v) {
    case "string":
      return quote(v);
    case "bigint":
      return v.toString();
    case "number":
      return Number.isInteger(v) && Math.abs(v) <= Number.MAX_SAFE_INTEGER ? String(v) : formatG17(v);
    case "boolean":
      return v ? "true" : "false";
    case "object":
      break;
    default:
      return "null";
  }
  if (v === null) return "null";
  if (v instanceof QNum) return v.kind === "double" ? formatG17(v.dbl) : v.int.toString();
  if (Array.isArray(v)) return v.length === 0 ? "[]" : `[${v.map(writeJson).join(", ")}]`;
  const entries: [string, unknown][] = v instanceof Map ? [...(v as Map<string, unknown>)] : Object.entries(v as Record<string, unknown>);
  const present = entries.filter(([, x]) => x !== undefined);
  if (present.length === 0) return "{}";
  const byKey = new Map(present);
  const keys = present.map(([k]) => k);
  const order = v instanceof Map ? qdictOrder(keys) : fixedOrder(keys);
  return `{${order.map((k) => `${quote(k)}: ${writeJson(byKey.get(k))}`).join(", ")}}`;
}
