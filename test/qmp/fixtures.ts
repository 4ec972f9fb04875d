/**
 * @module test/qmp/fixtures
 * Replies recorded from QEMU 7.2.22 (Debian bookworm) for malformed and invalid input, each
 * sent on its own connection after capabilities negotiation. Inputs are latin1 strings (one
 * byte per character, `\xNN` for raw bytes); replies are QEMU's lines without CR LF.
 */

/** [input bytes as latin1, QEMU's reply lines]. */
export const RECORDED: readonly (readonly [string, readonly string[]])[] = [
  ["foo\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword \'foo\'"}}']],
  ['{"execute":"query-stats",}\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  ['{"execute" "query-stats"}\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, missing : in object pair"}}']],
  ['{"execute":}\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  ["{,}\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  ["{1:2}\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, key is not a string in object"}}']],
  ['{"a":1 "b":2}\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, expected separator in dict"}}']],
  ["[1 2]\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expected separator in list"}}']],
  ["[1,]\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  ["[,1]\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  ["]\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  ["}\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  [":\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  [",\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}']],
  ['"abc\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\"abc\\n\'"}}']],
  ['"ab\x01c"\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\"ab\\u0001\'"}}']],
  ['"a\\qb"\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, invalid escape sequence in string"}}']],
  [
    '{"execute":"\\u00zz"}\n',
    ['{"error": {"class": "GenericError", "desc": "JSON parse error, \\\\u00zz is not a valid Unicode character"}}'],
  ],
  [
    '{"execute":"query-stats"}{"execute":"nope"}\n',
    [
      '{"error": {"class": "GenericError", "desc": "Parameter \'target\' is missing"}}',
      '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
    ],
  ],
  [
    '{"execute":"nope"} {"execute":"nope2"}\n',
    [
      '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
      '{"error": {"class": "CommandNotFound", "desc": "The command nope2 has not been found"}}',
    ],
  ],
  ["tru\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword \'tru\'"}}']],
  ["01\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'01\'"}}']],
  ["-\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'-\\n\'"}}']],
  ["1.\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'1.\\n\'"}}']],
  ["1e\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'1e\\n\'"}}']],
  [
    '{"execute":"nope"}\xff{"execute":"nope2"}\n',
    [
      '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\uFFFD\'"}}',
      '{"error": {"class": "CommandNotFound", "desc": "The command nope2 has not been found"}}',
    ],
  ],
  [
    '{"execute":"no\xffpe"}\n',
    [
      '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\"no\\uFFFD\'"}}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
    ],
  ],
  ['{"execute":"x\xc3\xa9"}\n', ['{"error": {"class": "CommandNotFound", "desc": "The command x\\u00E9 has not been found"}}']],
  ['{"execute":"x\xc3"}\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, invalid UTF-8 sequence in string"}}']],
  ['{"execute":"x\xed\xa0\x80"}\n', ['{"error": {"class": "GenericError", "desc": "JSON parse error, invalid UTF-8 sequence in string"}}']],
  ['{"execute":"x\xc0\x80"}\n', ['{"error": {"class": "CommandNotFound", "desc": "The command x\\u0000 has not been found"}}']],
  ['{"execute":"x\\u0000y"}\n', ['{"error": {"class": "CommandNotFound", "desc": "The command x\\u0000y has not been found"}}']],
  [
    '{"execute":"x\\ud800y"}\n',
    ['{"error": {"class": "GenericError", "desc": "JSON parse error, \\\\ud800 is not a valid Unicode character"}}'],
  ],
  [
    '{"execute":"x\\ud83d\\ude00y"}\n',
    ['{"error": {"class": "CommandNotFound", "desc": "The command x\\uD83D\\uDE00y has not been found"}}'],
  ],
  ["%d\n", ['{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'%\'"}}']],
  [
    '{"execute":%s}\n',
    [
      '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'%\'"}}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
    ],
  ],
  [
    '{"a":1}}\n',
    [
      '{"error": {"class": "GenericError", "desc": "QMP input member \'a\' is unexpected"}}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
    ],
  ],
  ['{"a":[}\n', []],
  [
    'abc{"execute":"nope"}\n',
    [
      '{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword \'abc\'"}}',
      '{"error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
    ],
  ],
  ["  \n", []],
  [
    '{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":"\x7f\x01"}\n',
    [
      '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\"\\u007F\\u0001\'"}}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
    ],
  ],
  [
    '{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":"\\/\\b\\f\t\r</"}\n',
    [
      '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\"\\\\/\\\\b\\\\f\\t\'"}}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'<\'"}}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}',
    ],
  ],
  ['{"execute":1,"arguments":1}\n', ['{"error": {"class": "GenericError", "desc": "QMP input member \'execute\' must be a string"}}']],
  ['{"arguments":1,"execute":1}\n', ['{"error": {"class": "GenericError", "desc": "QMP input member \'execute\' must be a string"}}']],
  [
    '{"id":1,"execute":1,"arguments":1,"x":1}\n',
    ['{"id": 1, "error": {"class": "GenericError", "desc": "QMP input member \'x\' is unexpected"}}'],
  ],
  [
    '{"execute":"query-stats","arguments":{"target":1,"zz":1}}\n',
    ['{"error": {"class": "GenericError", "desc": "Invalid parameter type for \'target\', expected: string"}}'],
  ],
  [
    '{"execute":"query-stats","arguments":{"target":"vm","zz":1,"aa":2,"mm":3}}\n',
    ['{"error": {"class": "GenericError", "desc": "Parameter \'aa\' is unexpected"}}'],
  ],
  [
    '{"execute":"query-stats","arguments":{"target":"vm","aa":2,"zz":1,"mm":3}}\n',
    ['{"error": {"class": "GenericError", "desc": "Parameter \'aa\' is unexpected"}}'],
  ],
];
