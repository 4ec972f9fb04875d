/**
 * @module qmp/client/reply
 * Parsing a peer's reply line with bounds a stats schema can justify, checked in one cheap scan
 * before any value is built: nesting depth, elements per list (a descriptor's size is a u16, a
 * file has at most 65,536 descriptors), and numbers per reply (the most values a schema may
 * describe). Then the text is parsed losslessly: integers as bigint (u64 values stay exact),
 * other numbers as {@link LosslessNumber}. A hostile peer's 120-million-entry histogram is
 * refused after one pass over its bytes instead of being built in memory.
 */
import { isInteger, LosslessNumber, parse } from "lossless-json";
import { MAX_DESCRIPTORS, MAX_VALUES } from "../../codec/layout.js";
import { QmpProtocolError } from "../../errors.js";

/** Bounds of {@link parseBounded}. */
export interface JsonBounds {
  /** Deepest nesting of objects and lists (default 64; a query-stats reply needs 5). */
  readonly maxDepth?: number;
  /** Most elements in one list (default 65,536). */
  readonly maxList?: number;
  /** Most numbers in the whole text (default {@link MAX_VALUES} + 65,536). */
  readonly maxNumbers?: number;
}

/** A text the bounds refuse, or that is not JSON. */
export class JsonBoundsError extends QmpProtocolError {}

export const DEFAULT_MAX_DEPTH = 64;
export const DEFAULT_MAX_LIST = MAX_DESCRIPTORS;
export const DEFAULT_MAX_NUMBERS = MAX_VALUES + MAX_DESCRIPTORS;

/** Numbers as lossless values: integers as bigint, others as LosslessNumber. */
export function losslessNumber(text: string): bigint | LosslessNumber {
  return isInteger(text) ? BigInt(text) : new LosslessNumber(text);
}

/**
 * Throws {@link JsonBoundsError} when `text` nests deeper, has a longer list or more numbers
 * than `b` allows. Strings are skipped (escapes included); the JSON grammar itself is left to
 * the parser. One pass, no allocation beyond a small stack of list counts.
 */
export function checkBounds(text: string, b: JsonBounds = {}): void {
  const maxDepth = b.maxDepth ?? DEFAULT_MAX_DEPTH;
  const maxList = b.maxList ?? DEFAULT_MAX_LIST;
  const maxNumbers = b.maxNumbers ?? DEFAULT_MAX_NUMBERS;
  /** Per open container: -1 for an object, else the list's commas so far. */
  const counts: number[] = [];
  let numbers = 0;
  let inNumber = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      inNumber = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      continue;
    }
    const digit = (c >= 0x30 && c <= 0x39) || c === 0x2d;
    if (digit) {
      if (!inNumber && ++numbers > maxNumbers) throw new JsonBoundsError(`more than ${maxNumbers} numbers`);
      inNumber = true;
      continue;
    }
    if (c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b) continue; // . e E + inside a number
    inNumber = false;
    if (c === 0x5b /* [ */ || c === 0x7b /* { */) {
      if (counts.length >= maxDepth) throw new JsonBoundsError(`nested deeper than ${maxDepth}`);
      counts.push(c === 0x5b ? 0 : -1);
    } else if (c === 0x5d /* ] */ || c === 0x7d /* } */) {
      counts.pop();
    } else if (c === 0x2c /* , */) {
      // A list with k commas has k + 1 elements.
      const top = counts.length - 1;
      const k = top < 0 ? -1 : (counts[top] as number);
      if (k < 0) continue;
      if (k + 2 > maxList) throw new JsonBoundsError(`a list has more than ${maxList} elements`);
      counts[top] = k + 1;
    }
  }
}

/** Parses `text` losslessly after {@link checkBounds}; throws {@link JsonBoundsError} or lossless-json's SyntaxError. */
export function parseBounded(text: string, b: JsonBounds = {}): unknown {
  checkBounds(text, b);
  return parse(text, null, losslessNumber);
}
