/**
 * @module fuzz/targets/qmp-json
 * Bytes a QMP client may send to `statsfs serve`, through the server's JSON lexer, message
 * splitter and parser (QEMU's grammar and limits) and its command dispatch over a simulated
 * source. Mutations work on tokens (structural characters, strings with escapes and control
 * bytes, numbers beyond u64, deep nesting, long strings) and on bytes. Properties: nothing
 * throws; feeding the input in random chunks yields exactly the items a single feed yields;
 * every reply is one line of JSON.
 */
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { JsonStreamParser, QEMU_MAX_NESTING, type StreamItem } from "../../src/qmp/json/streamer.js";
import { dispatch } from "../../src/views/qmp/dispatch.js";
import { StatsView } from "../../src/views/qmp/view.js";
import { Broken, ensure } from "../invariants.js";
import type { Rng } from "../rng.js";
import type { FuzzTarget } from "./target.js";

const utf8 = new TextEncoder();
/** The server's default message limit (1 MiB). */
const MAX_BYTES = 1 << 20;

const SEEDS = [
  '{"execute": "qmp_capabilities"}',
  '{"execute": "query-stats", "arguments": {"target": "vm"}, "id": 1}',
  '{"execute": "query-stats", "arguments": {"target": "vcpu", "vcpus": ["/kvm-0/vcpu-0"], "providers": [{"provider": "kvm", "names": ["exits", "halt_wait_hist"]}]}, "id": "x"}',
  '{"execute": "query-stats-schemas", "arguments": {"provider": "kvm"}}',
  '{"execute": "query-version", "id": {"a": [1, 2.5, -3e10, true, null]}}',
  "{'execute': 'query-commands'}",
  '{"exec-oob": "query-stats", "arguments": {"target": "vm"}}',
  '{"execute": "query-stats", "arguments": {"target": "vm", "providers": [{"provider": "statsfs"}]}, "id": 18446744073709551615}',
];

const TOKENS = [
  "{",
  "}",
  "[",
  "]",
  ":",
  ",",
  '"',
  "'",
  "\\",
  '"\\u0000"',
  '"\\ud800"',
  '"\\u00e9"',
  "\\'",
  "1e999",
  "-0",
  "18446744073709551616",
  "-9223372036854775809",
  "0.5",
  "true",
  "nul",
  "\u0000",
  "\u001b",
  "\n",
  "\r\n",
  "\u00ff",
  "\u00fe",
  "\u00c3\u00a9",
  " ",
  '"target"',
  '"vcpu"',
  '"vm"',
  '"execute"',
  '"arguments"',
  '"id"',
  '"query-stats"',
  '"providers"',
  '"names"',
];

function mutateText(s: string, rng: Rng): string {
  const at = rng.below(s.length + 1);
  switch (rng.below(8)) {
    case 0:
      return s.slice(0, at) + rng.pick(TOKENS) + s.slice(at);
    case 1:
      return s.slice(0, at) + s.slice(Math.min(s.length, at + 1 + rng.below(8)));
    case 2: {
      const n = rng.pick([2, 100, 1023, 1024, 1025, 5000]);
      const open = rng.chance(0.5) ? "[" : '{"a":';
      return s.slice(0, at) + open.repeat(n) + (rng.chance(0.5) ? (open === "[" ? "]" : "}").repeat(n) : "") + s.slice(at);
    }
    case 3:
      return `${s.slice(0, at)}"${"x".repeat(rng.pick([10, 4096, 70_000]))}"${s.slice(at)}`;
    case 4:
      return s + rng.pick(["", "\n", " ", "}", "]", s]);
    case 5:
      return s.slice(0, at);
    case 6: {
      const from = rng.below(s.length + 1);
      return s.slice(0, at) + s.slice(from, from + rng.below(40)) + s.slice(at);
    }
    default:
      return s.replace(/\d+/, rng.pick(["0", "-1", "1e309", "18446744073709551616", "9007199254740993", "0x10"]));
  }
}

/** Parses `bytes` fed in the given chunk sizes (0 = all at once); the items produced. */
function parseAll(bytes: Uint8Array, chunks: readonly number[]): StreamItem[] {
  const items: StreamItem[] = [];
  const p = new JsonStreamParser({ maxBytes: MAX_BYTES, maxNesting: QEMU_MAX_NESTING }, (item) => {
    items.push(item);
  });
  let at = 0;
  let k = 0;
  while (at < bytes.length) {
    const size = chunks.length === 0 ? bytes.length : Math.max(1, chunks[k++ % chunks.length] as number);
    const end = Math.min(bytes.length, at + size);
    let from = at;
    while (from < end) from = p.feed(bytes.subarray(0, end), from);
    at = end;
  }
  return items;
}

function itemKey(i: StreamItem): string {
  return i.ok
    ? `ok:${JSON.stringify(i.value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v instanceof Map ? [...v] : v))}`
    : `err:${i.error}`;
}

let view: Promise<{ source: StatsSource; view: StatsView }> | undefined;
function sharedView(): Promise<{ source: StatsSource; view: StatsView }> {
  view ??= openSource("sim:?vcpus=2").then((source) => ({ source, view: new StatsView([source]) }));
  return view;
}

/** Runs one input through the parser (whole and chunked) and dispatch. */
export async function runQmpJson(bytes: Uint8Array, chunkSeed = bytes.length): Promise<void> {
  const whole = parseAll(bytes, []);
  const chunks = [1 + (chunkSeed % 7), 1 + (chunkSeed % 13), 64, 3];
  const split = parseAll(bytes, chunks);
  ensure(whole.length === split.length, `chunked feed gave ${split.length} items, whole ${whole.length}`);
  whole.forEach((w, i) => {
    ensure(itemKey(w) === itemKey(split[i] as StreamItem), `item ${i} differs when fed in chunks`);
  });
  const { view: v } = await sharedView();
  const session = { negotiated: true, oob: false };
  for (const item of whole.slice(0, 16)) {
    let reply: Awaited<ReturnType<typeof dispatch>>;
    try {
      reply = await dispatch(item, session, v);
    } catch (e) {
      throw new Broken(`dispatch threw: ${e instanceof Error ? e.message : String(e)}`);
    }
    const text = typeof reply === "string" ? reply : reply.head + reply.body.toString("latin1") + reply.tail;
    ensure(!text.includes("\n"), "a reply spans lines");
    try {
      // QEMU's writer spells infinite and NaN doubles inf, -inf and nan (C's %.17g); so do we.
      JSON.parse(text.replace(/(?<=[:,[\s])-?inf\b|(?<=[:,[\s])nan\b/g, "0"));
    } catch {
      throw new Broken(`a reply is not JSON: ${text.slice(0, 200)}`);
    }
  }
}

export const qmpJson: FuzzTarget = {
  name: "qmp-json",
  seeds: async () => SEEDS.map((s) => utf8.encode(s)),
  mutate(seed, rng) {
    let s = Buffer.from(seed).toString("latin1");
    for (let k = 1 + rng.below(4); k > 0; k--) s = mutateText(s, rng);
    if (rng.chance(0.3)) s = `${s}\n${rng.pick(SEEDS)}`;
    const b = Buffer.from(s, "latin1");
    if (rng.chance(0.2) && b.length > 0) b[rng.below(b.length)] = rng.below(256);
    return new Uint8Array(b);
  },
  run: (bytes) => runQmpJson(bytes),
};

/** Closes the shared simulated source (end of a run). */
export async function closeQmpJson(): Promise<void> {
  const v = await view;
  view = undefined;
  await v?.source.close();
}
