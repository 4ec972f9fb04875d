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
  /** A complete token (or an error token with the bytes read so far). */
  token(type: TokType, bytes: Uint8Array): void;
  /**
   * Called before a byte is added to the token being read; returning false stops collecting
   * bytes for the rest of that token (the sink has refused the message it belongs to).
   */
  grow(tokenLength: number): boolean;
}

/** QEMU's JSON lexer, fed bytes in any chunking. */
export class JsonLexer {
  #state: number = S.Start;
  #buf = new Uint8Array(64);
  #len = 0;
  /** False while the current token's bytes are being dropped. */
  #keep = true;
  readonly #sink: TokenSink;

  constructor(sink: TokenSink) {
    this.#sink = sink;
  }

  /** Feeds bytes. */
  feed(bytes: Uint8Array): void {
    const sink = this.#sink;
    for (let i = 0; i < bytes.length; i++) {
      const c = bytes[i] as number;
      let consumed = false;
      while (!consumed) {
        const entry = TABLE[this.#state * 256 + c] as number;
        const next = entry & ~LOOKAHEAD;
        consumed = (entry & LOOKAHEAD) === 0;
        if (consumed && this.#keep) this.#push(c);
        if (next >= Tok.LCurly) {
          sink.token(next as TokType, this.#take());
          this.#state = S.Start;
        } else if (next === S.Start) {
          this.#reset();
          this.#state = S.Start;
        } else if (next === ERROR) {
          sink.token(Tok.Error, this.#take());
          this.#state = S.Recovery;
        } else if (next === S.Recovery) {
          this.#reset();
          this.#state = S.Recovery;
        } else {
          this.#state = next;
        }
      }
    }
  }

  #push(c: number): void {
    if (!this.#sink.grow(this.#len + 1)) {
      this.#keep = false;
      this.#len = 0;
      return;
    }
    if (this.#len === this.#buf.length) {
      const bigger = new Uint8Array(this.#buf.length * 2);
      bigger.set(this.#buf);
      this.#buf = bigger;
    }
    this.#buf[this.#len++] = c;
  }

  #take(): Uint8Array {
    const out = this.#buf.slice(0, this.#len);
    this.#reset();
    return out;
  }

  #reset(): void {
    this.#len = 0;
    this.#keep = true;
    if (this.#buf.length > 4096) this.#buf = new Uint8Array(64);
  }
}
