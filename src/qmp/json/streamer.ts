/**
 * @module qmp/json/streamer
 * Splits a byte stream into JSON messages the way QEMU's json-streamer does — a message ends
 * when its braces and brackets balance (or go negative), a lexical error ends the message in
 * progress with "JSON parse error, stray '…'" — and parses each one. Limits, with QEMU's
 * texts: a message whose tokens exceed `maxBytes` gets "JSON token size limit exceeded", one
 * nested deeper than `maxNesting` "JSON nesting depth limit exceeded", one of more than
 * `maxTokens` tokens "JSON token count limit exceeded" (checked in QEMU's order: size, count,
 * nesting). A pending message costs its token bytes plus 5 bytes per token (typed arrays, no
 * object per token), and at most `maxTokens` tokens are ever parsed at once.
 *
 * After the nesting error the depth starts again from zero, as in QEMU: what follows is new
 * input (a command right after 1,025 unclosed `[` is answered; each later stray `]` is its own
 * "expecting value" error). After a size or count error, unlike QEMU (which lexes the rest of the
 * refused message as new input too, one error reply per leftover token: ~100 bytes out for each
 * 2-byte `1,`), we drop the rest of the refused message without storing it and resume after its
 * end.
 */
import { JsonLexer, type TokenSink } from "./lexer.js";
import { JsonParseError, parseTokens } from "./parser.js";
import type { QObject } from "./qobject.js";
import { Tok, type TokType } from "./tokens.js";
import { decodeLossy } from "./utf8.js";

/** One outcome of the input: a parsed message, or QEMU's error text for bad input. */
export type StreamItem = { readonly ok: true; readonly value: QObject } | { readonly ok: false; readonly error: string };

/** Limits of {@link JsonStreamParser}. */
export interface StreamLimits {
  /** Largest message, in bytes of its tokens (QEMU: 64 MiB). */
  readonly maxBytes: number;
  /** Deepest nesting of {} and [] (QEMU: 1024). */
  readonly maxNesting: number;
  /** Most tokens in a message (QEMU: 2 Mi); default {@link tokenLimit} of `maxBytes`. */
  readonly maxTokens?: number | undefined;
}

/** QEMU's nesting limit. */
export const QEMU_MAX_NESTING = 1024;
/** QEMU's limits on a message's token bytes and token count (qobject/json-streamer.c). */
export const QEMU_MAX_TOKEN_SIZE = 64 << 20;
export const QEMU_MAX_TOKEN_COUNT = 2 << 20;

/**
 * The token count limit for a byte limit, in QEMU's proportion (64 MiB : 2 Mi tokens, one token
 * per 32 bytes on average; 32,768 tokens for our 1 MiB), and never below 4,096.
 */
export function tokenLimit(maxBytes: number): number {
  return Math.max(4096, Math.floor(maxBytes / (QEMU_MAX_TOKEN_SIZE / QEMU_MAX_TOKEN_COUNT)));
}

/**
 * Emits an item; returning false asks the parser to stop feeding after the current byte
 * ({@link JsonStreamParser.feed} then returns where it stopped).
 */
export type StreamEmit = (item: StreamItem) => unknown;

/** Byte stream in, messages out. */
export class JsonStreamParser implements TokenSink {
  readonly #lexer: JsonLexer;
  readonly #emit: StreamEmit;
  readonly #maxBytes: number;
  readonly #maxNesting: number;
  readonly #maxTokens: number;
  /** The message's tokens: type and end offset in the lexer's stored bytes (token i starts where i−1 ends). */
  #types = new Uint8Array(16);
  #ends = new Uint32Array(16);
  #count = 0;
  #braces = 0;
  #brackets = 0;
  /** True while dropping the rest of a refused message. */
  #discarding = false;

  constructor(limits: StreamLimits, emit: StreamEmit) {
    this.#maxBytes = limits.maxBytes;
    this.#maxNesting = limits.maxNesting;
    this.#maxTokens = limits.maxTokens ?? tokenLimit(limits.maxBytes);
    this.#emit = emit;
    this.#lexer = new JsonLexer(this, limits.maxBytes);
  }

  /**
   * Feeds bytes from `from`; complete messages are emitted synchronously. Returns how far it
   * got: `bytes.length`, or less when an emit returned false (feed the rest later).
   */
  feed(bytes: Uint8Array, from = 0): number {
    return this.#lexer.feed(bytes, from);
  }

  /** True when no message is in progress (nothing buffered). */
  get idle(): boolean {
    return this.#count === 0 && !this.#discarding;
  }

  /** @internal TokenSink */
  overflow(): void {
    if (!this.#discarding) this.#refuse("JSON token size limit exceeded");
  }

  /** @internal TokenSink */
  token(type: TokType, start: number, end: number): void {
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
      case Tok.Error: {
        if (this.#discarding) {
          this.#reset();
          return;
        }
        const text = stray(this.#lexer.bytes, start, end);
        this.#reset();
        this.#send({ ok: false, error: `JSON parse error, stray '${text}'` });
        return;
      }
      default:
        break;
    }
    const open = (this.#braces > 0 || this.#brackets > 0) && this.#braces >= 0 && this.#brackets >= 0;
    if (this.#discarding) {
      if (!open) this.#reset();
      return;
    }
    // QEMU's checks, in its order, before the token is added.
    if (end + 1 > this.#maxBytes) {
      this.#refuse("JSON token size limit exceeded");
      if (!open) this.#reset();
      return;
    }
    if (this.#count + 1 > this.#maxTokens) {
      this.#refuse("JSON token count limit exceeded");
      if (!open) this.#reset();
      return;
    }
    if (this.#braces + this.#brackets > this.#maxNesting) {
      // QEMU forgets the message, depth included: the next token starts a new one.
      this.#reset();
      this.#send({ ok: false, error: "JSON nesting depth limit exceeded" });
      return;
    }
    const i = this.#count;
    if (i === this.#types.length) this.#grow();
    this.#types[i] = type;
    this.#ends[i] = end;
    this.#count = i + 1;
    if (open) return;
    let item: StreamItem;
    try {
      item = { ok: true, value: parseTokens(this.#types, this.#ends, this.#count, this.#lexer.bytes) };
    } catch (e) {
      if (!(e instanceof JsonParseError)) throw e;
      item = { ok: false, error: e.desc };
    }
    this.#reset();
    this.#send(item);
  }

  #grow(): void {
    const n = Math.min(this.#types.length * 2, this.#maxTokens);
    const types = new Uint8Array(n);
    types.set(this.#types);
    const ends = new Uint32Array(n);
    ends.set(this.#ends);
    this.#types = types;
    this.#ends = ends;
  }

  #send(item: StreamItem): void {
    if (this.#emit(item) === false) this.#lexer.stop();
  }

  /** Emits a limit error and drops the rest of the message (brace counts are kept to find its end). */
  #refuse(error: string): void {
    this.#clearTokens();
    this.#discarding = true;
    this.#lexer.drop();
    this.#send({ ok: false, error });
  }

  #clearTokens(): void {
    this.#count = 0;
    if (this.#types.length > 1024) {
      this.#types = new Uint8Array(16);
      this.#ends = new Uint32Array(16);
    }
  }

  #reset(): void {
    this.#clearTokens();
    this.#braces = 0;
    this.#brackets = 0;
    this.#discarding = false;
    this.#lexer.release();
  }
}

/** An error token's bytes as QEMU prints them (a C string: cut at the first NUL). */
function stray(bytes: Uint8Array, start: number, end: number): string {
  const nul = bytes.subarray(start, end).indexOf(0);
  return decodeLossy(bytes, start, nul < 0 ? end : start + nul);
}
