/**
 * @module views/qapi/json
 * JSON text for u64-carrying results: bigint values are written as their exact digits.
 * A small dedicated writer, because JSON.stringify cannot emit a bigint and this is the hot
 * path of `read --json` and the QMP server.
 */

/** Characters JSON.stringify leaves raw that a terminal may act on: DEL, C1 controls, U+2028/9. */
const RAW_CONTROL = /[\u007f-\u009f\u2028\u2029]/g;

/**
 * A JSON string literal for `s`. Besides what JSON.stringify escapes, DEL, the C1 controls
 * (0x9b is a one-byte CSI) and the line separators are written as `\uXXXX`: the same string
 * to a JSON reader, inert on a terminal.
 */
export function jsonString(s: string): string {
  const j = JSON.stringify(s);
  RAW_CONTROL.lastIndex = 0;
  return RAW_CONTROL.test(j) ? j.replace(RAW_CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`) : j;
}

/** Serializes plain data (objects, arrays, strings, numbers, booleans, bigint, null). */
export function toJson(value: unknown, indent = 0): string {
  const parts: string[] = [];
  write(value, indent, "", parts);
  return parts.join("");
}

function write(v: unknown, indent: number, pad: string, out: string[]): void {
  switch (typeof v) {
    case "bigint":
      out.push(v.toString());
      return;
    case "string":
      out.push(jsonString(v));
      return;
    case "number":
    case "boolean":
      out.push(JSON.stringify(v));
      return;
    case "object":
      break;
    default:
      out.push("null");
      return;
  }
  if (v === null) {
    out.push("null");
    return;
  }
  const inner = indent ? `${pad}${" ".repeat(indent)}` : "";
  const nl = indent ? "\n" : "";
  const colon = indent ? ": " : ":";
  if (Array.isArray(v)) {
    if (v.length === 0) {
      out.push("[]");
      return;
    }
    // Lists of scalars (histograms) stay on one line.
    const flat = v.every((x) => typeof x !== "object" || x === null);
    out.push("[");
    v.forEach((x, i) => {
      if (i) out.push(flat && indent ? ", " : ",");
      if (!flat) out.push(nl, inner);
      write(x, indent, inner, out);
    });
    out.push(flat ? "]" : `${nl}${pad}]`);
    return;
  }
  const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
  if (entries.length === 0) {
    out.push("{}");
    return;
  }
  out.push("{");
  entries.forEach(([k, x], i) => {
    if (i) out.push(",");
    out.push(nl, inner, jsonString(k), colon);
    write(x, indent, inner, out);
  });
  out.push(nl, pad, "}");
}
