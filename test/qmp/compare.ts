/**
 * @module test/qmp/compare
 * Comparing QEMU's replies with ours: QEMU builds every list by prepending, so its result lists,
 * statistics lists, schema lists and histogram buckets all come reversed; reversing every list
 * of a QEMU `return` gives what our server sends. Objects are compared member by member and
 * also for member order (both follow QEMU's QDict order).
 */
import { parseLossless } from "../../src/qmp/client/client.js";

/** Every array reversed, recursively. */
export function deepReverse(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(deepReverse).reverse();
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, deepReverse(x)]));
  }
  return v;
}

/** Member order of every object, as paths (`$.return[0].stats[1]: name,value`). */
export function keyOrder(v: unknown, path = "$", out: string[] = []): string[] {
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) keyOrder(x, `${path}[${i}]`, out);
  } else if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    out.push(`${path}: ${Object.keys(v).join(",")}`);
    for (const [k, x] of Object.entries(v)) keyOrder(x, `${path}.${k}`, out);
  }
  return out;
}

/** Bigints as numbers (for comparing with plain data). */
export function plain(v: unknown): unknown {
  if (typeof v === "bigint") return Number(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  }
  return v;
}

/** A QEMU reply line as our server would send it: `return` lists put in order. */
export function qemuInOurOrder(line: string): unknown {
  const r = parseLossless(line) as Record<string, unknown>;
  if (!("return" in r)) return r;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = k === "return" ? deepReverse(v) : v;
  return out;
}
