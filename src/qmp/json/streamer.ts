/**
 * @module qmp/json/streamer
 * Splits a byte stream into JSON messages the way QEMU's json-streamer does — a message ends
 * when its braces and brackets balance (or go negative), a lexical error ends the message in
 * progress with "JSON parse error, stray '…'" — and parses each one. Limits, with QEMU's
 * texts: a message whose tokens exceed `maxBytes` gets "JSON token size limit exceeded", one
 * nested deeper than `maxNesting` "JSON nesting depth limit exceeded". Unlike QEMU (which
 * then lexes the rest of the refused message as new input, producing more errors) we drop the
 * rest of a refused message without storing it, and resume after its end.
 */
import { JsonLexer, type TokenSink } from "./lexer.js";
import { JsonParseError, parseTokens } from "./parser.js";
import type { QObject } from "./qobject.js";
import { Tok, type Token, type TokType } from "./tokens.js";
import { decodeLossy } from "./utf8.js";

/** One outcome of the input: a parsed message, or QEMU's error text for bad input. */
export type StreamItem = { readonly ok: true; readonly value: QObject } | { readonly ok: false; readonly error: string };

/** Limits of {@link JsonStreamParser}. */
export interface StreamLimits {
  /** Largest message, in bytes of its tokens (QEMU: 64 MiB). */
  readonly maxBytes: number;
  /** Deepest nesting of {} and [] (QEMU: 1024). */
  readonly maxNesting: number;
}

/** QEMU's nesting limit. */
export const QEMU_MAX_NESTING = 1024;

/** Byte stream in, messages out. */
export class JsonStreamParser implements TokenSink {
  readonly #lexer = new JsonLexer(this);
  readonly #emit: (item: StreamItem) => void;
  readonly #limits: StreamLimits;
  #tokens: Token[] = [];
  #size = 0;
  #braces = 0;
  #brackets = 0;
  /** True while dropping the rest of a refused message. */
  #discarding = false;

  constructor(limits: StreamLimits, emit: (item: StreamItem) => void) {
    this.#limits = limits;
    this.#emit = emit;
  }

  /** Feeds bytes; complete messages are emitted synchronously. */
  feed(bytes: Uint8Array): void {
    this.#lexer.feed(bytes);
  }

  /** True when no message is in progress (nothing buffered). */
  get idle(): boolean {
    return this.#tokens.length === 0 && !this.#discarding;
  }

  /** @internal TokenSink */
  grow(tokenLength: number): boolean {
    if (this.#discarding) return false;
    if (this.#size + tokenLength + 1 > this.#limits.maxBytes) {
      this.#refuse("JSON token size limit exceeded");
      return false;
    }
    return true;
  }

  /** @internal TokenSink */
  token(type: TokType, bytes: Uint8Array): void {
    switch (type) {
      case Tok.LCurly:
        this.#braces++;
        break;
      case Tok.RCurly:
        this.#braces--;
        break;
      case Tok.LSquare:
        this.#brackets++;
        break;
      case Tok.RSquare:
        this.#brackets--;
        break;
      case Tok.Error:
        if (this.#discarding) {
          this.#reset();
          return;
        }
        this.#reset();
        this.#emit({ ok: false, error: `JSON parse error, stray '${stray(bytes)}'` });
        return;
      default:
        break;
    }
    const open = (this.#braces > 0 || this.#brackets > 0) && this.#braces >= 0 && this.#brackets >= 0;
    if (this.#discarding) {
      if (!open) this.#reset();
      return;
    }
    if (this.#size + bytes.length + 1 > this.#limits.maxBytes) {
      this.#refuse("JSON token size limit exceeded");
      if (!open) this.#reset();
      return;
    }
    if (this.#braces + this.#brackets > this.#limits.maxNesting) {
      this.#refuse("JSON nesting depth limit exceeded");
      return;
    }
    this.#tokens.push({ type, bytes });
    this.#size += bytes.length;
    if (open) return;
    const tokens = this.#tokens;
    this.#reset();
    let item: StreamItem;
    try {
      item = { ok: true, value: parseTokens(tokens) };
    } catch (e) {
      if (!(e instanceof JsonParseError)) throw e;
      item = { ok: false, error: e.message };
    }
    this.#emit(item);
  }

  /** Emits a limit error and drops the rest of the message (brace counts are kept to find its end). */
  #refuse(error: string): void {
    this.#tokens = [];
    this.#size = 0;
    this.#discarding = true;
    this.#emit({ ok: false, error });
  }

  #reset(): void {
    this.#tokens = [];
    this.#size = 0;
    this.#braces = 0;
    this.#brackets = 0;
    this.#discarding = false;
  }
}

/** An error token's bytes as QEMU prints them (a C string: cut at the first NUL). */
function stray(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decodeLossy(bytes, 0, nul < 0 ? bytes.length : nul);
}
