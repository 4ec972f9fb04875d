/**
 * @module model/text
 * Text from outside in messages and output. Messages are one line (see {@link StatsfsError}),
 * but names, paths, values and a peer's text come from others and may hold line breaks or other
 * control characters: {@link printable} is the one function that escapes them (errors, the CLI,
 * the QMP client, the exporter and the filesystem all use it), {@link quote} quotes with it, and
 * values of the wrong type are described without being converted (an `Object.create(null)` or a
 * symbol would throw a TypeError in a template literal).
 */

/** Anything but printable text: C0 and C1 controls, DEL, and the Unicode line and paragraph separators. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/**
 * The one escaping function for text from outside (a file, a peer, a path, a command line):
 * every control character (C0, DEL, C1, the Unicode line and paragraph separators) is shown as
 * `\xNN` (`\u2028` above 0xff), so nothing reaches a terminal as an escape sequence or a fake
 * line. Everything printed, logged or exported that came from outside goes through it; output
 * formats with their own escaping (JSON, the exposition formats) apply theirs on top. Idempotent.
 */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => {
    const n = c.charCodeAt(0);
    return n > 0xff ? `\\u${n.toString(16).padStart(4, "0")}` : `\\x${n.toString(16).padStart(2, "0")}`;
  });
}

/** {@link printable}: `s` on one printable line (`\n` becomes `\x0a`). */
export const oneLine = printable;

/** `s` double-quoted: `"` and `\` backslash-escaped, control characters by {@link printable}. */
export function quote(s: string): string {
  return `"${printable(s.replace(/[\\"]/g, "\\$&"))}"`;
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
