/**
 * @module test/qmp/table
 * Requests, valid and invalid, that both QEMU 7.2 and our server must answer alike. `raw`
 * entries are sent byte for byte; `pre` entries are sent before capabilities negotiation.
 * The replies were first recorded from QEMU 7.2 on the project's machine; the peer test
 * compares live QEMU with our server, and the protocol test compares our server with the
 * recorded error texts when QEMU is absent.
 */

/** One request of the table. */
export interface TableEntry {
  /** Text (sent as UTF-8) or bytes to send; a trailing newline is added. */
  readonly send: string | Uint8Array;
  /** Send before qmp_capabilities. */
  readonly pre?: boolean;
}

/** Builds entries from lines of JSON text. */
const e = (send: string, pre = false): TableEntry => ({ send, pre });
/** Bytes from text with `\xNN` escapes for single raw bytes. */
const bytes = (text: string): TableEntry => ({
  send: Buffer.concat(
    text
      .split(/(\\x[0-9a-f]{2})/)
      .map((part) => (/^\\x[0-9a-f]{2}$/.test(part) ? Buffer.from([Number.parseInt(part.slice(2), 16)]) : Buffer.from(part, "utf8"))),
  ),
});

const P0 = "/machine/unattached/device[0]";

/** The request table (qom-paths are QEMU's for -smp 4). */
export const TABLE: readonly TableEntry[] = [
  // negotiation
  e('{"execute":"query-stats","arguments":{"target":"vm"}}', true),
  e('{"execute":"nope"}', true),
  e('{"execute":"qmp_capabilities","arguments":{"enable":["bogus"]}}', true),
  e('{"execute":"qmp_capabilities","arguments":{"enable":[1]}}', true),
  e('{"execute":"qmp_capabilities","arguments":{"enable":"oob"}}', true),
  e('{"execute":"qmp_capabilities","arguments":{"x":1}}', true),
  e('{"exec-oob":"qmp_capabilities"}', true),
  e('{"execute":"qmp_capabilities","id":null}', true),
  e(
    '{"execute":"qmp_capabilities","arguments":{"enable":["oob","oob"]},"id":"n"}\n{"exec-oob":"query-stats","id":5}\n{"exec-oob":"nope","id":6}\n{"exec-oob":1}\n{"exec-oob":"query-stats","execute":"query-stats"}',
    true,
  ),
  e('{"execute":"qmp_capabilities","arguments":{"enable":["oob"]},"id":"again"}'),
  // query-stats arguments
  e('{"execute":"query-stats"}'),
  e('{"execute":"query-stats","arguments":{}}'),
  e('{"execute":"query-stats","arguments":{"target":"bogus"}}'),
  e('{"execute":"query-stats","arguments":{"target":1}}'),
  e('{"execute":"query-stats","arguments":{"target":null}}'),
  e('{"execute":"query-stats","arguments":{"target":"cryptodev"}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","vcpus":[]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vcpu","vcpus":[]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vcpu","vcpus":"x"}}'),
  e('{"execute":"query-stats","arguments":{"target":"vcpu","vcpus":[1]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vcpu","vcpus":null}}'),
  e('{"execute":"query-stats","arguments":{"target":"vcpu","vcpus":["nope"]}}'),
  e(`{"execute":"query-stats","arguments":{"target":"vcpu","vcpus":["${P0}"],"providers":[{"provider":"kvm","names":["exits"]}]}}`),
  e(
    '{"execute":"query-stats","arguments":{"target":"vcpu","vcpus":["/machine/unattached/device[3]","/machine/unattached/device[0]","/machine/unattached/device[0]"],"providers":[{"provider":"kvm","names":["exits","halt_wait_hist"]}]}}',
  ),
  e(
    `{"execute":"query-stats","arguments":{"target":"vcpu","providers":[{"provider":"kvm","names":["exits","blocking"]},{"provider":"kvm"}],"vcpus":["${P0}"]}}`,
  ),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":{}}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":null}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[1]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"foo"}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":[]}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["nope"]}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":"x"}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":null}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":[1]}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","extra":1}]}}'),
  e(
    '{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]},{"provider":"kvm","names":["mmu_cache_miss","pages_4k"]}]}}',
  ),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k","pages_4k"]}]}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","foo":1}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","foo":1,"bar":2}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","zz":1,"aa":2,"mm":3}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","dd":1,"mm":2}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","qux":1,"mm":2,"a1":3,"b2":4,"c3":5,"d4":6,"e5":7,"f6":8,"g7":9}}'),
  e('{"execute":"query-stats","arguments":{"target":1,"zz":1}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}],"vcpus":null}}'),
  e('{"execute":"query-stats","arguments":{"target":"vm"}}'),
  e('{"execute":"query-stats","arguments":{"target":"vcpu"}}'),
  e('{"execute":"query-stats","arguments":[]}'),
  e('{"execute":"query-stats","arguments":1}'),
  e('{"execute":"query-stats","arguments":null}'),
  // query-stats-schemas
  e('{"execute":"query-stats-schemas"}'),
  e('{"execute":"query-stats-schemas","arguments":{"provider":"kvm"},"id":null}'),
  e('{"execute":"query-stats-schemas","arguments":{"provider":"foo"}}'),
  e('{"execute":"query-stats-schemas","arguments":{"provider":1}}'),
  e('{"execute":"query-stats-schemas","arguments":{"provider":null}}'),
  e('{"execute":"query-stats-schemas","arguments":{"x":1}}'),
  e('{"execute":"query-commands","arguments":{"x":1}}'),
  // QMP input checks
  e('{"execute":"nope"}'),
  e('{"execute":1}'),
  e('{"execute":null}'),
  e('{"execute":"query-stats","id":1,"extra":2}'),
  e('{"id":1}'),
  e("{}"),
  e("[]"),
  e("[1,2]"),
  e("1"),
  e('"str"'),
  e("null"),
  e("true"),
  e('{"exec-oob":"query-stats"}'),
  e('{"exec-oob":"query-stats","execute":"query-stats"}'),
  e('{"execute":1,"arguments":1}'),
  e('{"arguments":1,"execute":1}'),
  e('{"id":1,"execute":1,"arguments":1,"x":1}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"control":{}}'),
  // ids echoed
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":[1,{"a":null}]}'),
  e(
    '{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":18446744073709551615}',
  ),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":1.5e3}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":0.1}'),
  e(
    '{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":-9223372036854775809}',
  ),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":"\\u00e9\\n"}'),
  e(
    '{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":{"z":1,"a":2,"id":3,"return":4}}',
  ),
  e('{"execute":"query-stats","arguments":{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]},"id":"\u{1F600}"}'),
  // JSON syntax
  e("foo"),
  e('{"execute":"query-stats",}'),
  e('{"execute" "query-stats"}'),
  e('{"execute":}'),
  e("{,}"),
  e("{1:2}"),
  e('{"a":1 "b":2}'),
  e("[1 2]"),
  e("[1,]"),
  e("]"),
  e("}"),
  e(":"),
  e('"abc'),
  e('"ab\x01c"'),
  e('"a\\qb"'),
  e('{"execute":"\\u00zz"}'),
  e('{"execute":"x\\ud800y"}'),
  e('{"execute":"x\\ud83d\\ude00y"}'),
  e('{"execute":"x\\u0000y"}'),
  e('{"execute":"query-stats","arguments":{"target":"vm","target":"vcpu"}}'),
  e("{'execute':'query-stats', 'arguments':{'target':'vm','providers':[{'provider':'kvm','names':['pages_4k']}]}}"),
  e('{"execute":"query-stats"}{"execute":"nope"}'),
  e("tru"),
  e("01"),
  e("-"),
  e("1e"),
  e("%d"),
  e('{"execute":%s}'),
  e('{"a":1}}'),
  e('{"a":[}'),
  e('abc{"execute":"nope"}'),
  bytes('{"execute":"nope"}\\xff{"execute":"nope2"}'),
  bytes('{"execute":"no\\xffpe"}'),
  bytes('{"execute":"x\\xc3\\xa9"}'),
  bytes('{"execute":"x\\xc3"}'),
  bytes('{"execute":"x\\xed\\xa0\\x80"}'),
  bytes('{"execute":"x\\xc0\\x80"}'),
  bytes('{"execute":"query-stats","arguments":{"target":"vm"},"id":"\\x7f\\x01"}'),
];
