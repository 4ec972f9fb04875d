import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DefinitionError } from "../../src/errors.js";
import { StatType, StatUnit } from "../../src/model/flags.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { type StatValue, statValue } from "../../src/model/value.js";
import { attachSource, createSource, type LiveSource, liveSource, register, type Source } from "../../src/producer/index.js";

function fileAt(live: LiveSource, path: string): StatsFile | undefined {
  return live.files.find((f) => f.identity.path === path);
}

function val(live: LiveSource, path: string, name: string): StatValue | undefined {
  const f = fileAt(live, path);
  const d = f?.schema.descriptors.find((x) => x.name === name);
  return f && d ? statValue(d, f.data) : undefined;
}

function names(live: LiveSource, path: string): string[] {
  return fileAt(live, path)?.schema.descriptors.map((d) => d.name) ?? [];
}

const LEAF = {
  x: { aggregations: ["sum", "min", "max", "avg", "count-zero"], writable: true },
  peak: { type: "peak" },
  flag: { type: "instant", unit: "boolean" },
  on: { type: "instant", unit: "boolean", aggregations: ["sum"] },
  h: { type: "log2-histogram", buckets: 4, writable: true },
  g: { type: "instant", aggregations: [] },
} as const;

function tree(): { root: Source; leaves: Record<string, ReturnType<Source["addValues"]>> } {
  const root = createSource("agg");
  root.addValues({ x: { aggregations: ["sum", "min", "max", "avg", "count-zero"], writable: true } }).x.add(1000);
  const ma = root.addSubordinate(createSource("mid-a"));
  const mb = root.addSubordinate(createSource("mid-b"));
  const leaves: Record<string, ReturnType<Source["addValues"]>> = {};
  const spec: [Source, string, number, number, number, number[]][] = [
    [ma, "a1", 10, 5, 1, [1, 2]],
    [ma, "a2", 0, 9, 0, [3]],
    [mb, "b1", 30, 7, 0, [0, 100]],
  ];
  for (const [parent, name, x, peak, flag, samples] of spec) {
    const v = parent.addSubordinate(createSource(name)).addValues(LEAF);
    v.x.add(x);
    v.peak.max(peak);
    v.flag.set(flag);
    v.on.set(flag);
    v.g.set(42);
    for (const s of samples) v.h.record(s);
    leaves[name] = v;
  }
  return { root, leaves };
}

describe("aggregation", () => {
  it("computes each kind across nested levels", () => {
    const { root } = tree();
    using _ = root;
    const live = liveSource(root);
    // Leaves show their own values as they are.
    assert.deepEqual(names(live, "/agg/mid-a/a1"), ["x", "peak", "flag", "on", "h", "g"]);
    assert.equal(val(live, "/agg/mid-a/a1", "x"), 10n);
    assert.equal(val(live, "/agg/mid-a/a1", "flag"), true);
    // Middle level.
    assert.equal(val(live, "/agg/mid-a", "x"), 10n);
    assert.equal(val(live, "/agg/mid-a", "x.min"), 0n);
    assert.equal(val(live, "/agg/mid-a", "x.max"), 10n);
    assert.equal(val(live, "/agg/mid-a", "x.avg"), 5n);
    assert.equal(val(live, "/agg/mid-a", "x.count_zero"), 1n);
    assert.equal(val(live, "/agg/mid-a", "peak"), 9n);
    assert.equal(val(live, "/agg/mid-a", "flag"), true);
    assert.equal(val(live, "/agg/mid-b", "flag"), false);
    assert.equal(val(live, "/agg/mid-a", "on"), 1n);
    assert.deepEqual(val(live, "/agg/mid-a", "h"), [0n, 1n, 2n, 0n]);
    assert.equal(val(live, "/agg/mid-b", "x.avg"), 30n);
    assert.equal(val(live, "/agg/mid-a", "g"), undefined, "aggregations: [] keeps a value out of parents");
    // Top level: its own x joins the aggregate of the same value below it.
    assert.equal(val(live, "/agg", "x"), 1040n);
    assert.equal(val(live, "/agg", "x.min"), 0n);
    assert.equal(val(live, "/agg", "x.max"), 1000n);
    assert.equal(val(live, "/agg", "x.avg"), 260n);
    assert.equal(val(live, "/agg", "x.count_zero"), 1n);
    assert.equal(val(live, "/agg", "peak"), 9n);
    assert.equal(val(live, "/agg", "flag"), true);
    assert.equal(val(live, "/agg", "on"), 1n);
    assert.deepEqual(val(live, "/agg", "h"), [1n, 1n, 2n, 1n]);
    // Descriptor types of aggregates.
    const top = fileAt(live, "/agg")?.schema.descriptors ?? [];
    const d = (n: string) => top.find((x) => x.name === n);
    assert.equal(d("x")?.type, StatType.Cumulative);
    assert.equal(d("x.avg")?.type, StatType.Instant);
    assert.equal(d("x.count_zero")?.type, StatType.Instant);
    assert.equal(d("peak")?.type, StatType.Peak);
    assert.equal(d("flag")?.unit, StatUnit.Boolean);
    assert.equal(d("on")?.unit, StatUnit.None, "a sum of booleans is a count");
    assert.equal(d("h")?.type, StatType.Log2Histogram);
    // Values move: the reader recomputes at each poll.
    const a1 = root.subordinate("mid-a")?.subordinate("a1")?.value("x");
    assert.ok(a1 && "inc" in a1);
    a1.inc();
    live.pollSync();
    assert.equal(val(live, "/agg", "x"), 1041n);
  });

  it("sums u64 values exactly, modulo 2^64", () => {
    using root = createSource("big");
    for (let i = 0; i < 3; i++)
      root
        .addSubordinate(createSource(`n-${i}`))
        .addValues({ c: {} })
        .c.addBig(2n ** 63n + BigInt(i));
    const live = liveSource(root);
    assert.equal(val(live, "/big", "c"), (3n * 2n ** 63n + 3n) % 2n ** 64n);
  });

  it("follows subordinates added and removed while a reader polls", () => {
    using root = createSource("dyn");
    using reg = register(root);
    const live = liveSource();
    const conns: Source[] = [];
    let expected = 0n;
    for (let round = 0; round < 20; round++) {
      const c = root.addSubordinate(createSource(`conn-${round}`));
      c.addValues({ bytes: {} }).bytes.add(round + 1);
      conns.push(c);
      expected += BigInt(round + 1);
      if (round % 3 === 2) {
        const gone = conns.splice(0, 1)[0] as Source;
        expected -= BigInt(Number(gone.name.slice(5)) + 1);
        if (round % 2) root.removeSubordinate(gone);
        else gone.close();
      }
      live.pollSync();
      assert.equal(val(live, "/dyn", "bytes"), expected);
      const ids = live.files.map((f) => f.identity.path).filter((p) => p?.startsWith("/dyn/"));
      assert.deepEqual(
        ids,
        conns.map((c) => `/dyn/${c.name}`),
      );
    }
    // An unchanged tree keeps its file objects.
    const before = live.files;
    live.pollSync();
    assert.equal(live.files, before);
    // A removed source can be re-added (it stayed open).
    const back = createSource("again");
    back.addValues({ bytes: {} }).bytes.add(1000);
    root.addSubordinate(back);
    root.removeSubordinate(back);
    root.addSubordinate(back);
    live.pollSync();
    assert.equal(val(live, "/dyn", "bytes"), expected + 1000n);
    // Unregistering removes the tree from the default reader.
    reg.close();
    live.pollSync();
    assert.equal(fileAt(live, "/dyn"), undefined);
  });

  it("ignores holders whose descriptor differs from the first seen", () => {
    using root = createSource("mix");
    root.addSubordinate(createSource("a")).addValues({ v: {} }).v.add(5);
    root
      .addSubordinate(createSource("b"))
      .addValues({ v: { unit: "bytes" } })
      .v.add(7);
    const live = liveSource(root);
    assert.equal(val(live, "/mix", "v"), 5n);
  });
});

describe("resets", () => {
  it("zero a value, or every value behind an aggregate; refuse the rest", () => {
    const { root, leaves } = tree();
    using _ = root;
    const live = liveSource(root);
    const top = fileAt(live, "/agg") as StatsFile;
    live.write(top, "x.max", 0);
    live.pollSync();
    assert.equal(val(live, "/agg", "x"), 0n);
    for (const l of Object.values(leaves)) assert.equal((l.x as { get(): bigint }).get(), 0n);
    // Histograms reset bucket by bucket.
    live.write(fileAt(live, "/agg/mid-b") as StatsFile, "h", 0n);
    live.pollSync();
    assert.deepEqual(val(live, "/agg", "h"), [0n, 1n, 2n, 0n]);
    // Not every value behind "peak" is writable: nothing is touched.
    assert.throws(() => live.write(top, "peak", 0), DefinitionError);
    assert.equal(val(live, "/agg", "peak"), 9n);
    assert.throws(() => live.write(top, "x", 1), /only 0 can be written/);
  });

  it("zero every thread shard", () => {
    using s = createSource("sh", { shards: 3 });
    const v = s.addValues({ c: { writable: true }, p: { type: "peak" } });
    const shared = s.share();
    assert.throws(() => s.addValues({ late: {} }), DefinitionError);
    using t1 = attachSource(shared);
    using t2 = attachSource(shared, { c: { writable: true } });
    assert.throws(() => attachSource(shared), /shards .* are in use/);
    v.c.add(1);
    (t1.value("c") as { add(n: number): void }).add(10);
    t2.values.c.add(100);
    v.p.max(4);
    (t1.value("p") as { max(n: number): void }).max(40);
    const live = liveSource(s);
    assert.equal(val(live, "/sh", "c"), 111n);
    assert.equal(val(live, "/sh", "p"), 40n, "peaks merge across shards by max");
    live.write(live.files[0] as StatsFile, "c", 0);
    live.pollSync();
    assert.equal(val(live, "/sh", "c"), 0n);
    assert.equal(t2.values.c.get(), 0n);
    // A released shard keeps its values and is reused.
    t2.values.c.add(5);
    t2.close();
    using t3 = attachSource(shared, { c: { writable: true } });
    assert.equal(t3.shard, 2);
    assert.equal(t3.values.c.get(), 5n);
    t1.close();
    assert.throws(() => attachSource(shared, { c: { type: "instant" } }), /defined differently/);
    assert.equal(attachSource(shared).shard, 1, "a failed attach releases its shard");
  });
});
