/**
 * @module qmp/json/lexer
 * QEMU's JSON lexer as a byte-driven state machine: the same token grammar (RFC 8259 plus
 * single-quoted strings and the `\'` escape), the same treatment of bad input (an error token
 * holding the bytes read so far — QEMU's "stray '…'" — then skipping to a structural character,
 * a control character, or an impossible byte 0xFE/0xFF), and the same lookahead. Interpolation
 * (`%d` …) is off, as it is for QMP input. The table is built here from the grammar; only the
 * behaviour is QEMU's.
 */
import { Tok, type TokType } from "./tokens.js";

/** Lexer states; 0 is the error transition, tokens are {@link Tok} values (≥ 100). */
const S = {
  Recovery: 1,
  DqEscape: 2,
  Dq: 3,
  SqEscape: 4,
  Sq: 5,
  Zero: 6,
  ExpDigits: 7,
  ExpSign: 8,
  ExpE: 9,
  Mantissa: 10,
  MantissaDigits: 11,
  Digits: 12,
  Sign: 13,
  Keyword: 14,
  Start: 15,
} as const;
const STATES = 16;
const LOOKAHEAD = 0x80;
const ERROR = 0;

/** The transition table: entry = next state or token type, | LOOKAHEAD when the byte is not consumed. */
const TABLE = buildTable();

function buildTable(): Uint8Array {
  const t = new Uint8Array(STATES * 256); // 0 = error everywhere by default
  const set = (s: number, from: number, to: number, v: number) => {
    for (let c = from; c <= to; c++) t[s * 256 + c] = v;
  };
  const ch = (c: string) => c.charCodeAt(0);
  const one = (s: number, c: string, v: number) => set(s, ch(c), ch(c), v);
  const terminal = (s: number, tok: number) => set(s, 0, 255, tok | LOOKAHEAD);

  // Recovery: skip to a structural character, a control character, or 0xFE/0xFF.
  set(S.Recovery, 0, 0x1f, S.Start | LOOKAHEAD);
  set(S.Recovery, 0x20, 0xfd, S.Recovery);
  set(S.Recovery, 0xfe, 0xff, S.Start | LOOKAHEAD);
  one(S.Recovery, "\t", S.Recovery);
  for (const c of "[]{}:,") one(S.Recovery, c, S.Start | LOOKAHEAD);

  set(S.DqEscape, 0x20, 0xfd, S.Dq);
  set(S.Dq, 0x20, 0xfd, S.Dq);
  one(S.Dq, "\\", S.DqEscape);
  one(S.Dq, '"', Tok.String);
  set(S.SqEscape, 0x20, 0xfd, S.Sq);
  set(S.Sq, 0x20, 0xfd, S.Sq);
  one(S.Sq, "\\", S.SqEscape);
  one(S.Sq, "'", Tok.String);

  terminal(S.Zero, Tok.Integer);
  set(S.Zero, ch("0"), ch("9"), ERROR);
  one(S.Zero, ".", S.Mantissa);

  terminal(S.ExpDigits, Tok.Float);
  set(S.ExpDigits, ch("0"), ch("9"), S.ExpDigits);
  set(S.ExpSign, ch("0"), ch("9"), S.ExpDigits);
  one(S.ExpE, "-", S.ExpSign);
  one(S.ExpE, "+", S.ExpSign);
  set(S.ExpE, ch("0"), ch("9"), S.ExpDigits);
  terminal(S.MantissaDigits, Tok.Float);
  set(S.MantissaDigits, ch("0"), ch("9"), S.MantissaDigits);
  one(S.MantissaDigits, "e", S.ExpE);
  one(S.MantissaDigits, "E", S.ExpE);
  set(S.Mantissa, ch("0"), ch("9"), S.MantissaDigits);

  terminal(S.Digits, Tok.Integer);
  set(S.Digits, ch("0"), ch("9"), S.Digits);
  one(S.Digits, "e", S.ExpE);
  one(S.Digits, "E", S.ExpE);
  one(S.Digits, ".", S.Mantissa);
  one(S.Sign, "0", S.Zero);
  set(S.Sign, ch("1"), ch("9"), S.Digits);

  terminal(S.Keyword, Tok.Keyword);
  set(S.Keyword, ch("a"), ch("z"), S.Keyword);

  one(S.Start, '"', S.Dq);
  one(S.Start, "'", S.Sq);
  one(S.Start, "0", S.Zero);
  set(S.Start, ch("1"), ch("9"), S.Digits);
  one(S.Start, "-", S.Sign);
  one(S.Start, "{", Tok.LCurly);
  one(S.Start, "}", Tok.RCurly);
  one(S.Start, "[", Tok.LSquare);
  one(S.Start, "]", Tok.RSquare);
  one(S.Start, ",", Tok.Comma);
  one(S.Start, ":", Tok.Colon);
  set(S.Start, ch("a"), ch("z"), S.Keyword);
  for (const c of " \t\r\n") one(S.Start, c, S.Start);
  return t;
}

/** Where the lexer sends tokens. */
export interface TokenSink {
  /**
   * A complete token (or an error token with the bytes read so far): its bytes are
   * `lexer.bytes` from `start` to `end` (empty while the lexer drops bytes, see {@link JsonLexer.drop}).
   */
  token(type: TokType, start: number, end: number): void;
  /** Storing one more byte would exceed the limit: the sink refuses its message (and drops it). */
  overflow(): void;
}

/** Stored bytes kept between messages at most (a larger buffer is given back). */
const KEEP_CAPACITY = 64 << 10;

/**
 * QEMU's JSON lexer, fed bytes in any chunking. The bytes of the tokens of the message in
 * progress are stored one after another (no whitespace, no separators) in one buffer, so that
 * the message splitter needs only token types and end offsets beside it: memory per pending
 * message is its token bytes plus a few bytes per token.
 */
export class JsonLexer {
  #state: number = S.Start;
  #buf = new Uint8Array(256);
  /** Bytes stored: the message's tokens so far, then the current token's bytes. */
  #len = 0;
  /** Where the current token's bytes start. */
  #start = 0;
  /** False while the current token's bytes are being dropped. */
  #keep = true;
  /** True from {@link drop} to {@link release}: nothing is stored. */
  #dropping = false;
  /** Set by {@link stop}: {@link feed} returns after the current byte. */
  #stop = false;
  /** Most bytes stored; one more is an {@link TokenSink.overflow}. */
  readonly #max: number;
  readonly #sink: TokenSink;

  constructor(sink: TokenSink, maxStored: number) {
    this.#sink = sink;
    this.#max = maxStored;
  }

  /** The stored bytes (valid until the next {@link feed}). */
  get bytes(): Uint8Array {
    return this.#buf;
  }

  /** Drops every stored byte and stores nothing more until {@link release}. */
  drop(): void {
    this.#dropping = true;
    this.#keep = false;
    this.#len = 0;
    this.#start = 0;
  }

  /** Forgets the stored bytes (the message is done) and stores again. */
  release(): void {
    this.#dropping = false;
    this.#len = 0;
    this.#start = 0;
    if (this.#buf.length > KEEP_CAPACITY) this.#buf = new Uint8Array(256);
  }

  /** Makes the running {@link feed} return after the byte it is at. */
  stop(): void {
    this.#stop = true;
  }

  /** Feeds `bytes` from `from`; returns where it stopped (`bytes.length` unless {@link stop} was called). */
  feed(bytes: Uint8Array, from = 0): number {
    const sink = this.#sink;
    const n = bytes.length;
    for (let i = from; i < n; i++) {
      const c = bytes[i] as number;
      let consumed = false;
      while (!consumed) {
        const entry = TABLE[this.#state * 256 + c] as number;
        const next = entry & ~LOOKAHEAD;
        consumed = (entry & LOOKAHEAD) === 0;
        if (next === S.Start || next === S.Recovery) {
          // Whitespace, the end of a lookahead token's bytes, or bytes skipped after an error.
          this.#len = this.#start;
          this.#keep = !this.#dropping;
          this.#state = next;
          continue;
        }
        if (consumed && this.#keep) this.#push(c);
        if (next >= Tok.LCurly) {
          this.#state = S.Start;
          this.#emit(sink, next as TokType);
        } else if (next === ERROR) {
          this.#state = S.Recovery;
          this.#emit(sink, Tok.Error);
        } else {
          this.#state = next;
        }
      }
      if (this.#stop) {
        this.#stop = false;
        return i + 1;
      }
    }
    return n;
  }

  #emit(sink: TokenSink, type: TokType): void {
    const start = this.#start;
    const end = this.#len;
    // The sink may release() or drop() the stored bytes; the next token starts after what is left.
    sink.token(type, start, end);
    this.#start = this.#len;
    this.#keep = !this.#dropping;
  }

  #push(c: number): void {
    const len = this.#len;
    if (len + 2 > this.#max) {
      this.#keep = false;
      this.#len = this.#start;
      this.#sink.overflow();
      return;
    }
    if (len === this.#buf.length) {
      const bigger = new Uint8Array(Math.min(this.#buf.length * 2, this.#max));
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#buf[len] = c;
    this.#len = len + 1;
  }
}
