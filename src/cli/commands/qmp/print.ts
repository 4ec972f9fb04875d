/**
 * @module cli/commands/qmp/print
 * A QMP reply as indented JSON, digit-exact: integers arrive as bigint and other numbers as
 * lossless-json's LosslessNumber, both printed as their digits. Lists of scalars (histograms)
 * stay on one line.
 */
import { isLosslessNumber } from "lossless-json";
import { jsonString } from "../../../views/qapi/json.js";

/** Pretty-prints a losslessly parsed value; `indent` 0 gives one line. */
export function printJson(v: unknown, indent = 2, pad = ""): string {
  if (typeof v === "bigint") return v.toString();
  if (isLosslessNumber(v)) return v.toString();
  // Strings from a peer are data: DEL and C1 controls are written as \u escapes too (jsonString).
  if (typeof v === "string") return jsonString(v);
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  const inner = pad + " ".repeat(indent);
  const nl = indent ? "\n" : "";
  if (Array.isArray(v)) {
    if (v.length === 0) return "[]";
    const flat = v.every((x) => x === null || typeof x !== "object" || isLosslessNumber(x));
    if (flat || !indent) return `[${v.map((x) => printJson(x, indent, inner)).join(", ")}]`;
    return `[${nl}${v.map((x) => inner + printJson(x, indent, inner)).join(`,${nl}`)}${nl}${pad}]`;
  }
  const entries = Object.entries(v as Record<string, unknown>);
  if (entries.length === 0) return "{}";
  const sep = indent ? `,${nl}` : ", ";
  const body = entries.map(([k, x]) => `${indent ? inner : ""}${jsonString(k)}: ${printJson(x, indent, inner)}`).join(sep);
  return indent ? `{${nl}${body}${nl}${pad}}` : `{${body}}`;
}
