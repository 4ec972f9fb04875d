/**
 * @module model/text
 * Caller-supplied text in error messages. Messages are one line (see {@link StatsfsError}), but
 * names, paths and values come from callers and may hold line breaks or other control
 * characters: they are quoted or escaped here, and values of the wrong type are described
 * without being converted (an `Object.create(null)` or a symbol would throw a TypeError in a
 * template literal).
 */

/** Anything but printable text: C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
const CONTROL = /[^\x20-\x7e\u00a0-\u2027\u202a-\uffff]/g;

function escapeChar(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Escapes every control or line-breaking character of `s` (`\n` becomes `\u000a`). */
export function oneLine(s: string): string {
  return s.replace(CONTROL, escapeChar);
}

/** `s` as a double-quoted JSON string, with every control or line-breaking character escaped. */
export function quote(s: string): string {
  return oneLine(JSON.stringify(s));
}

/** Longest string {@link describe} shows in full. */
const SHOWN = 80;

/**
 * Any value described for a message without calling into it: strings quoted (long ones cut),
 * primitives as written, objects by kind. Never throws.
 */
export function describe(x: unknown): string {
  switch (typeof x) {
    case "string":
      return x.length > SHOWN ? `${quote(x.slice(0, SHOWN))}…` : quote(x);
    case "number":
    case "boolean":
    case "undefined":
      return String(x);
    case "bigint":
      return `${x}n`;
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    default:
      if (x === null) return "null";
      return Array.isArray(x) ? "an array" : "an object";
  }
}

/** Whether `x` is a non-null object that is not an array (a plain options or definitions object). */
export function isRecord(x: unknown): x is object {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A Node system error's code and reason (`ENOENT: no such file or directory`), without the path it names. */
export function sysReason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err instanceof Error && typeof err.code === "string") {
    const m = /^[A-Z0-9_]+: ([^,]*)/.exec(err.message);
    return oneLine(m ? `${err.code}: ${m[1]}` : err.code);
  }
  return e instanceof Error ? oneLine(e.message) : describe(e);
}
