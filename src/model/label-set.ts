/**
 * @module model/label-set
 * A label set as one source-name segment, so that a producer's `counter.labels({…})` child is a
 * plain subordinate source and every reader (in-process, `shm:`, QMP) sees it as a path:
 *
 *   {method=GET,route=%2Fusers%2F:id}
 *
 * Keys sorted; every byte outside printable ASCII, and `%` `.` `/` `~` `,` `=` `{` `}`, written
 * as `%XX` (UTF-8), so any label value fits the source-name rules. Views turn the segment back
 * into labels.
 */

const PLAIN = /^[\x21-\x7e]$/;
const SPECIAL = new Set(["%", ".", "/", "~", ",", "=", "{", "}"]);

function enc(s: string): string {
  let out = "";
  for (const ch of s) {
    if (PLAIN.test(ch) && !SPECIAL.has(ch)) out += ch;
    else for (const b of Buffer.from(ch, "utf8")) out += `%${b.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/** The segment naming a label set (keys sorted). */
export function encodeLabelSet(labels: Readonly<Record<string, string>>): string {
  const keys = Object.keys(labels).sort();
  return `{${keys.map((k) => `${enc(k)}=${enc(labels[k] as string)}`).join(",")}}`;
}

/**
 * Whether a source-name segment names a label set. Producer source names never start with `{`
 * (refused at createSource), so the two namespaces are disjoint.
 */
export function isLabelSetSegment(segment: string | undefined): boolean {
  return segment?.startsWith("{") === true && decodeLabelSet(segment) !== undefined;
}

/** The labels a segment names, or undefined when it is not a label-set segment. */
export function decodeLabelSet(segment: string): Record<string, string> | undefined {
  if (segment.length < 2 || !segment.startsWith("{") || !segment.endsWith("}")) return undefined;
  const body = segment.slice(1, -1);
  const out: Record<string, string> = {};
  if (body === "") return out;
  for (const pair of body.split(",")) {
    const eq = pair.indexOf("=");
    if (eq <= 0) return undefined;
    try {
      out[decodeURIComponent(pair.slice(0, eq))] = decodeURIComponent(pair.slice(eq + 1));
    } catch {
      return undefined;
    }
  }
  return out;
}
