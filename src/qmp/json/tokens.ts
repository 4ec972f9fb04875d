/**
 * @module qmp/json/tokens
 * The tokens QEMU's JSON lexer produces, shared by the lexer, the message splitter and the parser.
 */

/** Token types (QEMU's JSONTokenType; values below 0x80 so that a table entry can carry them). */
export const Tok = {
  Error: 0,
  LCurly: 100,
  RCurly: 101,
  LSquare: 102,
  RSquare: 103,
  Colon: 104,
  Comma: 105,
  Integer: 106,
  Float: 107,
  Keyword: 108,
  String: 109,
} as const;
export type TokType = (typeof Tok)[keyof typeof Tok];
