/**
 * @module model/printable
 * Text from a stats file (ids, names) is data: control characters in it must not reach a
 * terminal as escapes or fake lines. Shown as `\xNN` instead.
 */

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** `s` with every control character shown as `\xNN`. */
export function printable(s: string): string {
  return s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
