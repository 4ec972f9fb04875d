/**
 * @module model/file-name
 * The one place where text becomes a file-name component and back: a statistic, a source, a
 * label set (`{route="/users/:id"}`) or an id segment as `mount`, `snapshot` and other file
 * names show them. Only what a name cannot hold, or what would make it ambiguous, is escaped
 * as `%XX` (UTF-8 bytes): `/` and NUL, `%` itself, control characters, a leading `.` (hidden
 * files, `.`/`..`), and characters the caller reserves as separators (a snapshot's `.`).
 * Everything else stays as humans read it. {@link decodeFileName} reverses it exactly.
 */

const hex = (b: number) => `%${b.toString(16).toUpperCase().padStart(2, "0")}`;

/** `text` as one file-name component; `reserved` lists further characters to escape. */
export function encodeFileName(text: string, reserved = ""): string {
  let out = "";
  let first = true;
  for (const ch of text) {
    const c = ch.codePointAt(0) as number;
    const must = ch === "/" || ch === "%" || c < 0x20 || c === 0x7f || (first && ch === ".") || reserved.includes(ch);
    out += must ? [...Buffer.from(ch, "utf8")].map(hex).join("") : ch;
    first = false;
  }
  return out === "" ? "%00" : out;
}

/** The text a component made by {@link encodeFileName} names (undefined if it is not one). */
export function decodeFileName(name: string): string | undefined {
  if (name === "%00") return "";
  try {
    return decodeURIComponent(name);
  } catch {
    return undefined;
  }
}
