/**
 * @module qmp/json/parser
 * QEMU's JSON parser over one message's tokens: the same values (dicts in insertion order,
 * int64 / uint64 / double numbers, modified-UTF-8 strings) and the same first error, worded as
 * QEMU words it ("JSON parse error, expecting value", "…, duplicate key", …).
 */
import { QmpRequestError } from "../../errors.js";
import { type QDict, QNum, type QObject } from "./qobject.js";
import { Tok } from "./tokens.js";
import { codepointAt, decodeLossy, isValidCodepoint } from "./utf8.js";

/** A parse failure: QEMU's error text (`desc`), class GenericError. */
export class JsonParseError extends QmpRequestError {
  constructor(desc: string) {
    super("GenericError", desc);
  }
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
const UINT64_MAX = (1n << 64n) - 1n;
const latin1 = new TextDecoder("latin1");

function fail(what: string): never {
  throw new JsonParseError(`JSON parse error, ${what}`);
}

/**
 * Parses one message's tokens into a value, or throws {@link JsonParseError}. Token `i` has type
 * `types[i]` and bytes `bytes[ends[i - 1] ?? 0 .. ends[i])`.
 */
export function parseTokens(types: Uint8Array, ends: Uint32Array, count: number, bytes: Uint8Array): QObject {
  let pos = 0;
  /** The type of the next token, or −1 at the end. */
  const peek = (): number => (pos < count ? (types[pos] as number) : -1);
  const startOf = (i: number): number => (i === 0 ? 0 : (ends[i - 1] as number));

  const value = (): QObject => {
    const t = peek();
    if (t < 0) fail("premature EOI");
    const i = pos;
    switch (t) {
      case Tok.LCurly:
        return object();
      case Tok.LSquare:
        return array();
      case Tok.Integer:
      case Tok.Float:
        pos++;
        return number(t, bytes, startOf(i), ends[i] as number);
      case Tok.String:
        pos++;
        return parseString(bytes, startOf(i), ends[i] as number);
      case Tok.Keyword: {
        pos++;
        const word = latin1.decode(bytes.subarray(startOf(i), ends[i] as number));
        if (word === "true") return true;
        if (word === "false") return false;
        if (word === "null") return null;
        return fail(`invalid keyword '${word}'`);
      }
      default:
        return fail("expecting value");
    }
  };

  const pair = (dict: QDict): void => {
    if (peek() < 0) fail("premature EOI");
    const key = value();
    if (typeof key !== "string") fail("key is not a string in object");
    const colon = peek();
    pos++;
    if (colon < 0) fail("premature EOI");
    if (colon !== Tok.Colon) fail("missing : in object pair");
    const v = value();
    if (dict.has(key)) fail("duplicate key");
    dict.set(key, v);
  };

  const object = (): QDict => {
    pos++;
    const dict: QDict = new Map();
    const first = peek();
    if (first < 0) fail("premature EOI");
    if (first === Tok.RCurly) {
      pos++;
      return dict;
    }
    pair(dict);
    for (;;) {
      const t = peek();
      pos++;
      if (t < 0) fail("premature EOI");
      if (t === Tok.RCurly) return dict;
      if (t !== Tok.Comma) fail("expected separator in dict");
      pair(dict);
    }
  };

  const array = (): QObject[] => {
    pos++;
    const list: QObject[] = [];
    const first = peek();
    if (first < 0) fail("premature EOI");
    if (first === Tok.RSquare) {
      pos++;
      return list;
    }
    list.push(value());
    for (;;) {
      const t = peek();
      pos++;
      if (t < 0) fail("premature EOI");
      if (t === Tok.RSquare) return list;
      if (t !== Tok.Comma) fail("expected separator in list");
      list.push(value());
    }
  };

  return value();
}

/** A number token as QEMU holds it: int64 if it fits, else uint64, else double. */
function number(type: number, b: Uint8Array, start: number, end: number): QNum {
  const text = latin1.decode(b.subarray(start, end));
  if (type === Tok.Integer) {
    const n = BigInt(text);
    if (n >= INT64_MIN && n <= INT64_MAX) return new QNum("int", n, Number(n));
    if (n > 0n && n <= UINT64_MAX) return new QNum("uint", n, Number(n));
  }
  return new QNum("double", 0n, Number(text));
}

function hex4(b: Uint8Array, at: number, end: number): number {
  let cp = 0;
  for (let i = 0; i < 4; i++) {
    const c = at + i < end ? (b[at + i] as number) : 0;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    cp = cp * 16 + d;
  }
  return cp;
}

const SIMPLE_ESCAPES: Record<number, string> = {
  34: '"',
  39: "'",
  92: "\\",
  47: "/",
  98: "\b",
  102: "\f",
  110: "\n",
  114: "\r",
  116: "\t",
};

/** A string token's value (QEMU's parse_string); the token is `b[start, end)`, quotes included. */
export function parseString(b: Uint8Array, start = 0, end = b.length): string {
  const close = end - 1; // the closing quote
  let out = "";
  let p = start + 1;
  while (p < close) {
    const c = b[p] as number;
    if (c === 0x5c) {
      const beg = p;
      const e = b[p + 1] as number;
      p += 2;
      const simple = SIMPLE_ESCAPES[e];
      if (simple !== undefined) {
        out += simple;
        continue;
      }
      if (e !== 0x75) fail("invalid escape sequence in string");
      let cp = hex4(b, p, end);
      p += 4;
      if (cp >= 0xd800 && cp <= 0xdbff && p + 1 < end && b[p] === 0x5c && b[p + 1] === 0x75) {
        const trail = hex4(b, p + 2, end);
        if (trail >= 0xdc00 && trail <= 0xdfff) {
          cp = 0x10000 + ((cp & 0x3ff) << 10) + (trail & 0x3ff);
          p += 6;
        } else {
          cp = -1;
        }
      }
      if (!isValidCodepoint(cp)) fail(`${decodeLossy(b, beg, Math.min(p, end))} is not a valid Unicode character`);
      out += String.fromCodePoint(cp);
      continue;
    }
    if (c < 0x80) {
      // A run of plain ASCII at once.
      let q = p + 1;
      while (q < close) {
        const d = b[q] as number;
        if (d >= 0x80 || d === 0x5c) break;
        q++;
      }
      out += q - p === 1 ? String.fromCharCode(c) : latin1.decode(b.subarray(p, q));
      p = q;
      continue;
    }
    const { cp, next } = codepointAt(b, p, close);
    if (cp < 0) fail("invalid UTF-8 sequence in string");
    out += String.fromCodePoint(cp);
    p = next;
  }
  return out;
}
