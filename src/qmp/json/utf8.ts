/**
 * @module qmp/json/utf8
 * QEMU's "modified UTF-8" rules: what its JSON parser accepts inside strings, and how its JSON
 * writer turns bytes back into text (each invalid sequence becomes U+FFFD). `\xC0\x80` stands
 * for U+0000; other overlong forms, surrogates, noncharacters and code points above U+10FFFF
 * are invalid.
 */

const MIN_CP = [0x80, 0x800, 0x10000, 0x200000, 0x4000000];

/** True for a code point QEMU accepts: in range, not a surrogate, not a noncharacter. */
export function isValidCodepoint(cp: number): boolean {
  if (cp < 0 || cp > 0x10ffff) return false;
  if ((cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe) return false;
  return !(cp >= 0xd800 && cp <= 0xdfff);
}

/**
 * Decodes one code point at `pos` (reading at most up to `end`): the code point, or −1 when
 * the sequence is invalid, and where the next sequence starts (QEMU's mod_utf8_codepoint).
 */
export function codepointAt(b: Uint8Array, pos: number, end: number): { cp: number; next: number } {
  let p = pos;
  const first = b[p++] as number;
  if (first < 0x80) return { cp: first, next: p };
  if (first >= 0xfe || (first & 0x40) === 0) return { cp: -1, next: p };
  let len = 0;
  let mask = 0x80;
  for (; first & mask; mask >>= 1) len++;
  let cp = first & (mask - 1);
  for (let i = 1; i < len; i++) {
    const byte = p < end ? (b[p] as number) : 0;
    if ((byte & 0xc0) !== 0x80) return { cp: -1, next: p };
    p++;
    cp = cp * 64 + (byte & 0x3f);
  }
  if (!isValidCodepoint(cp)) return { cp: -1, next: p };
  if (cp < (MIN_CP[len - 2] as number) && !(cp === 0 && len === 2)) return { cp: -1, next: p };
  return { cp, next: p };
}

/** Bytes as text the way QEMU's JSON writer reads them: invalid sequences become U+FFFD. */
export function decodeLossy(b: Uint8Array, start = 0, end = b.length): string {
  let out = "";
  let p = start;
  while (p < end) {
    const first = b[p] as number;
    if (first >= 0x20 && first < 0x7f) {
      out += String.fromCharCode(first);
      p++;
      continue;
    }
    const { cp, next } = codepointAt(b, p, end);
    out += cp < 0 ? "\ufffd" : String.fromCodePoint(cp);
    p = next;
  }
  return out;
}
