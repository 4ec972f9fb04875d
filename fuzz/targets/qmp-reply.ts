/**
 * @module fuzz/targets/qmp-reply
 * What a hostile QMP peer may answer to the `qmp:` client: a query-stats-schemas reply and
 * query-stats replies (one line each), mutated as JSON trees (wrong types, values beyond u64,
 * huge or empty lists, duplicate and unknown names, missing members) and as text, through the
 * client's line splitter and reply parser ({@link parseReplyLine}), the source that turns
 * replies into stats files ({@link QmpStatsSource}: open, then a poll), and views of the files.
 * Properties: only StatsfsErrors with one-line messages; every file holds at most MAX_VALUES
 * values and exactly as many as its schema says.
 */
import { LosslessNumber } from "lossless-json";
import { MAX_VALUES } from "../../src/codec/layout.js";
import { QmpStatsSource } from "../../src/providers/qmp/source.js";
import { openSource } from "../../src/providers/registry.js";
import { parseLossless, parseReplyLine, type QmpClient } from "../../src/qmp/client/client.js";
import { LineSplitter } from "../../src/qmp/client/lines.js";
import { QmpCommandError, QmpProtocolError } from "../../src/qmp/errors.js";
import { toJson } from "../../src/views/qapi/json.js";
import { queryStats, queryStatsSchemas } from "../../src/views/qapi/query-stats.js";
import { valuesTable } from "../../src/views/text/values.js";
import { ensure, expectedError, onePrintableLine } from "../invariants.js";
import type { Rng } from "../rng.js";
import type { FuzzTarget } from "./target.js";

const WHERE = "unix:/fuzz.sock";
/** The splitter's cap in the fuzzer: small, so that the cap itself is exercised. */
const MAX_LINE = 1 << 20;

/** JSON text of a lossless value (bigint and LosslessNumber as digits). */
function stringify(v: unknown): string {
  if (typeof v === "bigint") return v.toString();
  if (v instanceof LosslessNumber) return v.value;
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(stringify).join(", ")}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${JSON.stringify(k)}: ${stringify(x)}`)
    .join(", ")}}`;
}

/** A fake QmpClient answering from the lines of one input. */
function clientFor(lines: readonly Uint8Array[]): QmpClient {
  const answer = (i: number) => {
    const line = lines[i] ?? lines[lines.length - 1];
    if (!line) throw new QmpProtocolError(`qmp ${WHERE}: connection closed by peer`);
    const reply = parseReplyLine(line, WHERE);
    const err = reply.error as { class?: unknown; desc?: unknown } | undefined;
    if (err !== undefined) throw new QmpCommandError("query-stats", String(err.class), String(err.desc));
    return reply.return;
  };
  let polls = 0;
  const fake = {
    isStatsfs: true,
    address: { kind: "unix", path: "/fuzz.sock" },
    greeting: { version: { major: 7, minor: 2, micro: 0 }, package: "statsfs", capabilities: [] },
    async execute(command: string, args?: { target?: string }): Promise<unknown> {
      if (command === "query-stats-schemas") return answer(0);
      // vm → line 1, vcpu → line 2; a second round of polls reads lines 3 and 4.
      const base = polls++ >= 2 ? 3 : 1;
      return answer(base + (args?.target === "vcpu" ? 1 : 0));
    },
    async close(): Promise<void> {},
  };
  return fake as unknown as QmpClient;
}

/** Runs one input (reply lines separated by LF). */
export async function runQmpReply(bytes: Uint8Array): Promise<void> {
  const lines: Uint8Array[] = [];
  const splitter = new LineSplitter((l) => {
    lines.push(l);
  }, MAX_LINE);
  try {
    splitter.feed(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    ensure(e instanceof RangeError, `the line splitter threw ${e}`);
    expectedError(new QmpProtocolError(`qmp ${WHERE}: ${(e as Error).message}`));
    return;
  }
  let source: QmpStatsSource;
  try {
    source = await QmpStatsSource.open("qmp:/fuzz.sock", clientFor(lines), { reversed: bytes.length % 2 === 0 });
  } catch (e) {
    expectedError(e);
    return;
  }
  try {
    for (let round = 0; round < 2; round++) {
      for (const f of source.files) {
        ensure(f.schema.dataSize / 8 <= MAX_VALUES, `a file holds ${f.schema.dataSize / 8} values`);
        ensure(f.data.length === f.schema.dataSize / 8, "a file's data does not match its schema");
        for (const d of f.schema.descriptors) ensure(d.size <= 0xffff, `stat size ${d.size} does not fit a descriptor's u16`);
      }
      for (const line of valuesTable(source.files, {}).split("\n")) onePrintableLine(line, "values table");
      toJson(queryStats(source.files, {}), 0);
      toJson(queryStatsSchemas(source.files), 0);
      if (round === 0) {
        try {
          await source.poll();
        } catch (e) {
          expectedError(e);
          return;
        }
      }
    }
  } finally {
    await source.close();
  }
}

/** Seeds: our own server's replies for a simulated VM with two vCPUs. */
async function seeds(): Promise<Uint8Array[]> {
  await using sim = await openSource("sim:?vcpus=2");
  const line = (v: unknown) => `{"return": ${toJson(v, 0)}, "id": 1}`;
  const schemas = line(queryStatsSchemas(sim.files));
  const vm = line(queryStats(sim.files, { target: "vm" }));
  const vcpu = line(queryStats(sim.files, { target: "vcpu" }));
  const enc = (ls: string[]) => new Uint8Array(Buffer.from(`${ls.join("\r\n")}\r\n`));
  return [enc([schemas, vm, vcpu, vm, vcpu]), enc([schemas, vm, vcpu]), enc([schemas, vcpu, vm, vcpu, vcpu])];
}

type Path = (string | number)[];

/** Up to `max` paths of nodes in `v`. */
function paths(v: unknown, max: number): Path[] {
  const out: Path[] = [];
  const walk = (x: unknown, p: Path) => {
    if (out.length >= max) return;
    out.push(p);
    if (Array.isArray(x)) {
      for (const [i, y] of x.entries()) walk(y, [...p, i]);
    } else if (x !== null && typeof x === "object" && !(x instanceof LosslessNumber))
      for (const [k, y] of Object.entries(x)) walk(y, [...p, k]);
  };
  walk(v, []);
  return out;
}

function getAt(v: unknown, p: Path): unknown {
  let x = v;
  for (const k of p) x = (x as Record<string | number, unknown>)[k];
  return x;
}

function setAt(root: unknown, p: Path, value: unknown): unknown {
  if (p.length === 0) return value;
  const parent = getAt(root, p.slice(0, -1)) as Record<string | number, unknown>;
  parent[p[p.length - 1] as string | number] = value;
  return root;
}

const NAMES = ["exits", "halt_wait_hist", "blocking", "remote_tlb_flush", "nope", "exits\u001b[2J\n", ""];

function replacement(rng: Rng, old: unknown): unknown {
  switch (rng.below(12)) {
    case 0:
      return (1n << 64n) - 1n;
    case 1:
      return 1n << 64n;
    case 2:
      return -1n;
    case 3:
      return new LosslessNumber(rng.pick(["1.5", "1e400", "-0", "0.0"]));
    case 4:
      return rng.pick(NAMES);
    case 5:
      return Array.from({ length: rng.pick([0, 1, 31, 33, 65535, 65536, 70000]) }, () => 1n);
    case 6:
      return rng.chance(0.5);
    case 7:
      return null;
    case 8:
      return {};
    case 9:
      return rng.pick(["vm", "vcpu", "kvm", "statsfs", "log2-histogram", "linear-histogram", "cumulative", "seconds", "x".repeat(5000)]);
    case 10:
      return Array.isArray(old) ? [...old, ...old] : [old, old];
    default:
      return BigInt(rng.below(70000) - 100);
  }
}

function mutateTree(v: unknown, rng: Rng): unknown {
  const ps = paths(v, 4000);
  const p = rng.pick(ps);
  const node = getAt(v, p);
  if (Array.isArray(node) && rng.chance(0.3)) {
    if (rng.chance(0.5)) node.reverse();
    else if (node.length > 0) node.splice(rng.below(node.length), 1);
    return v;
  }
  if (node !== null && typeof node === "object" && !Array.isArray(node) && !(node instanceof LosslessNumber) && rng.chance(0.3)) {
    const o = node as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length > 0 && rng.chance(0.5)) delete o[rng.pick(keys)];
    else
      o[rng.pick(["extra", "qom-path", "provider", "stats", "value", "name", "unit", "base", "exponent", "bucket-size"])] = replacement(
        rng,
        undefined,
      );
    return v;
  }
  return setAt(v, p, replacement(rng, node));
}

export const qmpReply: FuzzTarget = {
  name: "qmp-reply",
  seeds,
  mutate(seed, rng) {
    const lines = Buffer.from(seed).toString("utf8").split("\r\n");
    const i = rng.below(Math.max(1, lines.length - 1));
    const text = lines[i] ?? "";
    let mutated = text;
    if (rng.chance(0.85)) {
      try {
        let tree = parseLossless(text);
        for (let k = 1 + rng.below(3); k > 0; k--) tree = mutateTree(tree, rng);
        mutated = stringify(tree);
      } catch {
        mutated = text;
      }
    }
    if (rng.chance(0.15)) {
      const at = rng.below(mutated.length + 1);
      mutated = rng.chance(0.5)
        ? mutated.slice(0, at)
        : mutated.slice(0, at) + rng.pick(["\n", "[", "}", '"', "\u0000", "]]]]"]) + mutated.slice(at);
    }
    lines[i] = mutated;
    return new Uint8Array(Buffer.from(lines.join("\r\n")));
  },
  run: runQmpReply,
};
