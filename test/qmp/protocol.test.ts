/**
 * The QMP protocol pieces against what QEMU 7.2 was seen to do (recorded on the project's
 * machine, so these run without QEMU): JSON lexing and parsing errors, QMP input checks, the
 * order QEMU writes members in, the member QEMU names among several unexpected ones, and
 * number and string spelling.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { openSource } from "../../src/providers/registry.js";
import { GHashSet } from "../../src/qmp/json/ghash.js";
import { qdictOrder } from "../../src/qmp/json/qdict-order.js";
import { JsonStreamParser, type StreamItem } from "../../src/qmp/json/streamer.js";
import { formatG17, quote, writeJson } from "../../src/qmp/json/writer.js";
import { dispatch } from "../../src/views/qmp/dispatch.js";
import { StatsView } from "../../src/views/qmp/view.js";
import { RECORDED } from "./fixtures.js";

/** Our replies to `input` on a fresh, negotiated session. */
async function replies(view: StatsView, input: Uint8Array): Promise<string[]> {
  const items: StreamItem[] = [];
  const parser = new JsonStreamParser({ maxBytes: 1 << 20, maxNesting: 1024 }, (i) => items.push(i));
  const session = { negotiated: true, oob: false };
  parser.feed(input);
  const out: string[] = [];
  for (const item of items) {
    const r = await dispatch(item, session, view);
    out.push(typeof r === "string" ? r : r.head + r.body.toString("latin1") + r.tail);
  }
  return out;
}

describe("QMP protocol as QEMU 7.2 speaks it", () => {
  it("answers malformed and invalid input with QEMU's recorded replies", async () => {
    await using sim = await openSource("sim:?vcpus=1");
    const view = new StatsView([sim]);
    for (const [input, want] of RECORDED) {
      assert.deepEqual(await replies(view, Buffer.from(input, "latin1")), want, JSON.stringify(input));
    }
  });

  it("writes members in QDict order (tdb hash buckets, newest first within a bucket)", () => {
    assert.deepEqual(qdictOrder(["return", "id"]), ["return", "id"]);
    assert.deepEqual(qdictOrder(["error", "id"]), ["id", "error"]);
    assert.deepEqual(qdictOrder(["z", "a", "id", "return"]), ["a", "z", "return", "id"]);
    assert.deepEqual(qdictOrder(["major", "minor", "micro"]), ["micro", "minor", "major"]);
    assert.deepEqual(qdictOrder(["name", "type", "unit", "base", "exponent"]), ["name", "unit", "base", "exponent", "type"]);
    assert.deepEqual(qdictOrder(["provider", "qom-path", "stats"]), ["provider", "stats", "qom-path"]);
    assert.equal(
      writeJson({ error: { class: "GenericError", desc: "x" }, id: 1 }),
      '{"id": 1, "error": {"class": "GenericError", "desc": "x"}}',
    );
  });

  it("names the unexpected member QEMU names (GLib hash table order)", () => {
    const left = (keys: string[]) => {
      const h = new GHashSet(qdictOrder(keys));
      h.delete("target");
      return h.first();
    };
    assert.equal(left(["target", "foo", "bar"]), "bar");
    assert.equal(left(["target", "zz", "aa", "mm"]), "aa");
    assert.equal(left(["target", "dd", "mm"]), "mm");
    assert.equal(left(["target", "qux", "mm"]), "mm");
    assert.equal(left(["target", "mm", "vcpu"]), "mm");
    // Enough keys to make the table grow and rehash.
    const big = new GHashSet(Array.from({ length: 40 }, (_, i) => `k${i}`));
    for (let i = 0; i < 39; i++) big.delete(`k${i}`);
    assert.equal(big.first(), "k39");
    assert.equal(big.size, 1);
  });

  it("spells numbers and strings as QEMU does", () => {
    assert.equal(formatG17(1500), "1500");
    assert.equal(formatG17(0.1), "0.10000000000000001");
    assert.equal(formatG17(-(2 ** 63)), "-9.2233720368547758e+18");
    assert.equal(formatG17(1.2345678901234568e29), "1.2345678901234568e+29");
    assert.equal(formatG17(1e-5), "1.0000000000000001e-05");
    assert.equal(formatG17(Number.POSITIVE_INFINITY), "inf");
    assert.equal(formatG17(-0), "-0");
    assert.equal(quote('a"\\\b\f\n\r\t\u0001\u007f\u00e9\u{1F600}/'), '"a\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u007F\\u00E9\\uD83D\\uDE00/"');
    assert.equal(writeJson([18446744073709551615n, true, null, [], {}]), "[18446744073709551615, true, null, [], {}]");
  });

  it("refuses messages over the size or nesting limit and resumes after them", () => {
    const items: StreamItem[] = [];
    const p = new JsonStreamParser({ maxBytes: 100, maxNesting: 4 }, (i) => items.push(i));
    p.feed(Buffer.from(`{"a": "${"x".repeat(500)}"} {"b": 1}`));
    p.feed(Buffer.from(`[[[[[1]]]]] [2]`));
    assert.deepEqual(
      items.map((i) => (i.ok ? writeJson(i.value) : i.error)),
      [
        "JSON token size limit exceeded",
        '{"b": 1}',
        // As QEMU: the depth starts over after the nesting error, so `1` is a message of its own
        // and each of the five `]` an error.
        "JSON nesting depth limit exceeded",
        "1",
        ...Array.from({ length: 5 }, () => "JSON parse error, expecting value"),
        "[2]",
      ],
    );
    assert.ok(p.idle);
  });

  it("after the nesting error a message that never closes swallows nothing after it", () => {
    const items: StreamItem[] = [];
    const p = new JsonStreamParser({ maxBytes: 1 << 20, maxNesting: 1024 }, (i) => items.push(i));
    p.feed(Buffer.from(`${"[".repeat(1025)} {"execute":"query-status"} [1,2]]]] {"execute":"query-version"}`));
    // QEMU 7.2's replies to the same bytes: the error, both commands, one list, three stray `]`.
    assert.deepEqual(
      items.map((i) => (i.ok ? writeJson(i.value) : i.error)),
      [
        "JSON nesting depth limit exceeded",
        '{"execute": "query-status"}',
        "[1, 2]",
        ...Array.from({ length: 3 }, () => "JSON parse error, expecting value"),
        '{"execute": "query-version"}',
      ],
    );
    assert.ok(p.idle);
  });
});
