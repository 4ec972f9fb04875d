import assert from "node:assert/strict";
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encodeStatsFile } from "../../src/codec/index.js";
import { DefinitionError, StatsfsError, UsageError } from "../../src/errors.js";
import { makeDescriptor } from "../../src/model/index.js";
import { Exporter } from "../../src/producer/export/exporter.js";
import {
  attachSource,
  createSource,
  defineValues,
  liveSource,
  pruneExports,
  register,
  type ValueInit,
  writeStat,
} from "../../src/producer/index.js";
import { AggregatePlan } from "../../src/providers/aggregate/plan.js";
import { BundleReader } from "../../src/providers/shm/bundle-reader.js";

function refused(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DefinitionError, `expected a DefinitionError, got ${String(e)}`);
    assert.equal(e.code, "STATSFS_DEFINITION");
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /[\n\r\u2028\u2029\u0085]/);
    return true;
  });
}

const tmp = mkdtempSync(join(tmpdir(), "statsfs-def-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("value definitions are checked when defined", () => {
  it("refuses empty, over-long and malformed names", () => {
    refused(() => defineValues({ "": {} }), /name is empty/);
    refused(() => defineValues({ ["x".repeat(48)]: {} }), /48 bytes; name_size 48 allows 47/);
    refused(() => defineValues({ "a.b": {} }), /without spaces, "\.", "\/" or "~"/);
    refused(() => defineValues({ "a b": {} }), /printable ASCII/);
    assert.equal(defineValues({ ["x".repeat(47)]: {} }).values[0]?.name.length, 47);
  });

  it("refuses unit/exponent pairs the kernel forbids", () => {
    refused(() => defineValues({ t: { unit: "seconds", exponent: 3 } }), /seconds needs an exponent <= 0/);
    refused(() => defineValues({ b: { type: "instant", unit: "boolean", exponent: 1 } }), /boolean needs exponent 0/);
    refused(() => defineValues({ n: { unit: "bytes", exponent: -1 } }), /bytes needs an exponent >= 0/);
    refused(() => defineValues({ b: { type: "log2-histogram", unit: "boolean", buckets: 4 } }), /boolean cannot be a log2 histogram/);
    assert.equal(defineValues({ ns: { unit: "seconds", exponent: -9 } }).values[0]?.exponent, -9);
  });

  it("refuses zero-size and malformed histograms", () => {
    refused(() => defineValues({ h: { type: "log2-histogram", buckets: 0 } }), /bucket count must be an integer from 1 to 65535/);
    refused(() => defineValues({ h: { type: "log2-histogram" } }), /needs a bucket count/);
    refused(() => defineValues({ h: { type: "log2-histogram", buckets: 66 } }), /a log2 histogram has at most 65 buckets/);
    assert.equal(defineValues({ h: { type: "log2-histogram", buckets: 65 } }).values[0]?.size, 65);
    refused(() => defineValues({ h: { type: "linear-histogram", buckets: 4 } }), /needs a bucket size/);
    refused(() => defineValues({ h: { type: "linear-histogram", buckets: 4, bucketSize: 0 } }), /bucket size must be/);
    refused(() => defineValues({ h: { type: "log2-histogram", buckets: 4, bucketSize: 2 } }), /only linear histograms have a bucket size/);
    refused(() => defineValues({ c: { buckets: 4 } }), /only histograms have buckets/);
    refused(() => defineValues({ h: { type: "log2-histogram", buckets: 4, aggregations: ["max"] } }), /aggregates only by sum/);
  });

  it("refuses unknown types, units and aggregations", () => {
    refused(() => defineValues({ x: { type: "gauge" } as unknown as ValueInit }), /unknown type "gauge"/);
    refused(() => defineValues({ x: { unit: "watts" } as unknown as ValueInit }), /unknown unit "watts"/);
    refused(() => defineValues({ x: { aggregations: ["median"] } as unknown as ValueInit }), /unknown aggregation "median"/);
    refused(() => defineValues({ x: { aggregations: ["sum", "sum"] } }), /listed twice/);
    refused(() => defineValues({ ["y".repeat(40)]: { aggregations: ["sum", "count-zero"] } }), /would exceed 47 bytes/);
  });

  it("refuses duplicate values, bad sources and bad trees", () => {
    using s = createSource("dup");
    s.addValues({ a: {} });
    refused(() => s.addValues({ a: { type: "instant" } }), /value "a" is defined twice/);
    refused(() => createSource(""), /source name is empty/);
    refused(() => createSource("a/b"), /source name "a\/b"/);
    refused(() => createSource("x", { shards: 0 }), /shards must be an integer/);
    using p = createSource("p");
    const c = p.addSubordinate(createSource("c"));
    refused(() => p.addSubordinate(createSource("c")), /already has a subordinate named "c"/);
    refused(() => createSource("q").addSubordinate(c), /already a subordinate of "p"/);
    refused(() => c.addSubordinate(p), /cannot be its own subordinate/);
    refused(() => register(c), /only top-level sources are registered/);
    using r = register(createSource("unique-root"));
    refused(() => register(createSource("unique-root")), /already registered/);
    refused(() => createSource("solo").share(), /has one shard/);
    r.close();
  });
});

describe("writes", () => {
  it("refuse resets of values that are not writable, and any non-zero write", () => {
    using s = createSource("w");
    const v = s.addValues({ ro: {}, rw: { writable: true } });
    v.ro.add(3);
    v.rw.add(4);
    refused(() => writeStat(s, "ro", 0), /ro: value is not writable/);
    assert.throws(
      () => writeStat(s, "rw", 5),
      (e: unknown) => e instanceof UsageError && /only 0 can be written/.test(e.message),
    );
    assert.throws(() => writeStat(s, "nope", 0), UsageError);
    assert.equal(v.ro.get(), 3n);
    writeStat(s, "rw", 0n);
    assert.equal(v.rw.get(), 0n);
    const live = liveSource(s);
    refused(() => live.write(live.files[0] as never, "ro", 0), /not writable/);
  });
});

describe("export paths", () => {
  it("refuse a path that exists and is not ours", () => {
    const dir = join(tmp, "exists");
    mkdirSync(join(dir, "junk"), { recursive: true });
    writeFileSync(join(dir, "junk", "i1.stats"), "not a stats file");
    using a = createSource("junk");
    a.addValues({ x: {} });
    refused(() => register(a, { export: { dir, instance: "i1" } }), /exists and is not a statsfs export \(not a statsfs bundle\)/);

    // A stats file in the kernel layout (someone else's, e.g. a KVM snapshot): not ours.
    mkdirSync(join(dir, "other"), { recursive: true });
    const foreign = encodeStatsFile({ id: "kvm-1", descriptors: [makeDescriptor({ name: "x" })] });
    writeFileSync(join(dir, "other", "i1.stats"), foreign);
    using b = createSource("other");
    b.addValues({ x: {} });
    refused(() => register(b, { export: { dir, instance: "i1" } }), /exists and is not a statsfs export \(not a statsfs bundle\)/);

    // A directory where the file should be.
    mkdirSync(join(dir, "dirfile", "i1.stats"), { recursive: true });
    using c = createSource("dirfile");
    c.addValues({ x: {} });
    refused(() => register(c, { export: { dir, instance: "i1" } }), /not a regular file/);

    // A file where the source's directory should be.
    writeFileSync(join(dir, "plain"), "x");
    using d = createSource("plain");
    refused(() => register(d, { export: { dir, instance: "i1" } }), /exists and is not a directory/);
  });

  it("refuses an instance name a live producer holds; ids longer than name_size 48 get a larger one", () => {
    const dir = join(tmp, "live");
    using a = createSource("held");
    a.addValues({ x: {} });
    using ra = register(a, { export: { dir, instance: "same" } });
    assert.ok(ra.exporter);
    // Another registration of a tree with the same root name and instance (as another process would be).
    using other = createSource("held");
    other.addValues({ x: {} });
    refused(() => new Exporter(other, { dir, instance: "same" }).start(), /held by a live producer/);

    // An id longer than name_size 48 gets a larger name_size (a multiple of 8) for its file.
    using deep = createSource("a-rather-long-source-name");
    const sub = deep.addSubordinate(createSource("with-a-long-subordinate"));
    sub.addValues({ y: {} });
    using rd = register(deep, { export: { dir, instance: "deep" } });
    const [file] = rd.exporter?.filesOf(sub) ?? [];
    assert.ok(file);
    const fd = openSync(file, "r");
    try {
      const entry = new BundleReader(fd, file, 0, "deep").files.find((f) => f.identity.id.endsWith("/with-a-long-subordinate"));
      assert.equal(entry?.identity.id, "statsfs-deep/a-rather-long-source-name/with-a-long-subordinate");
      assert.equal(entry.schema.nameSize, 64); // a 62-byte id and its NUL
    } finally {
      closeSync(fd);
    }
    assert.throws(() => register(createSource("n"), { export: { dir, nameSize: 50 } }), StatsfsError);
  });
});

describe("API misuse", () => {
  // Anything a caller can pass wrongly is refused with a one-line DefinitionError, checked when
  // defined or registered: never a TypeError from deep inside, never a message broken over lines
  // by a caller's string.
  const odd = (x: unknown) => x as never;
  const bare = () => Object.create(null) as object;

  it("quotes caller strings in messages, control characters escaped (\\xNN, as everywhere)", () => {
    refused(() => createSource("a\nb"), /^source name "a\\x0ab" must be printable ASCII/);
    refused(() => createSource("a\r\u2028\u2029\u0085\u007fb"), /^source name "a\\x0d\\u2028\\u2029\\x85\\x7fb"/);
    refused(() => defineValues({ "x\ny": {} }), /^value name "x\\x0ay"/);
    refused(() => createSource(`${"z".repeat(200)}\n`), /^source name "z{80}"… must be/);
    refused(() => register(createSource("r"), { export: { instance: "i\n1" } }), /^instance name "i\\x0a1"/);
    refused(() => defineValues({ x: { type: odd("a\nb") } }), /unknown type "a\\x0ab"/);
    refused(() => defineValues({ 'q"x': { aggregations: ["sum", "sum"] } }), /^value "q\\"x": aggregation "sum" is listed twice/);
    using s = createSource("wq");
    s.addValues({ a: {} });
    assert.throws(
      () => writeStat(s, "no\nsuch", 0),
      (e: unknown) => e instanceof UsageError && /no statistic "no\\x0asuch"/.test(e.message) && !/\n/.test(e.message),
    );
  });

  it("refuses what is not a source, or not options", () => {
    for (const x of [null, undefined, {}, 5, "name", bare(), []]) refused(() => register(odd(x)), /^register needs a Source/);
    using ok = createSource("reg-opts");
    for (const x of [null, 5, "x", []]) refused(() => register(ok, odd(x)), /^register options must be an object/);
    for (const x of [5, "yes", null, []]) refused(() => register(ok, { export: odd(x) }), /option "export" must be a boolean or an object/);
    for (const x of [5, "", bare(), "a\0b"]) refused(() => register(ok, { export: { dir: odd(x) } }), /^export dir /);
    for (const x of [5, bare(), ["i"]]) refused(() => register(ok, { export: { instance: odd(x) } }), /^instance name must be a string/);
    refused(() => register(ok, { export: { nameSize: odd(bare()) } }), /nameSize must be a multiple of 8 .*\(got an object\)/);
    assert.equal(ok.registered, false);

    for (const x of [null, 5, "x", Symbol("y")]) refused(() => createSource("x", odd(x)), /^source "x": options must be an object/);
    refused(() => createSource("x", { shards: odd(bare()) }), /shards must be an integer from 1 to 1024 \(got an object\)/);
    for (const x of [null, 5, bare(), {}]) refused(() => createSource(odd(x)), /^source name must be a string/);
    for (const x of [5, null, "x", {}, bare(), [ok, 5], [null]]) {
      refused(() => liveSource(odd(x)), /^liveSource needs a Source, an array of Sources or a Registry/);
    }
    refused(() => writeStat(odd(null), "a", 0), /^writeStat needs a Source/);
    refused(() => ok.addSubordinate(odd({})), /^addSubordinate needs a Source, not an object/);
    for (const x of [null, {}, bare()]) refused(() => ok.removeSubordinate(odd(x)), /^removeSubordinate needs a Source/);
    const live = liveSource(ok);
    refused(() => live.write(odd(null), "a", 0), /^write needs a stats file/);
    refused(() => live.write(odd({ identity: null }), "a", 0), /^write needs a stats file/);
    refused(() => new AggregatePlan(odd(null)), /^AggregatePlan needs an array/);
    for (const x of [null, undefined, 5, "s", {}, bare(), [], { kind: "statsfs/shared-source" }]) {
      refused(() => attachSource(odd(x)), /^attachSource needs the result of source\.share\(\)/);
    }
    refused(() => pruneExports(odd(null)), /^pruneExports options must be an object/);
    refused(() => pruneExports({ dir: odd(5) }), /^export dir must be a non-empty path/);
    refused(() => pruneExports({ dir: tmp, name: "../.." }), /^pruneExports: source name "\.\.\/\.\." must be a path of source names/);
  });

  it("refuses definitions of the wrong type, objects without a prototype included", () => {
    for (const x of [null, 5, "x", [{}], Symbol("v")])
      refused(() => defineValues(odd(x)), /^values must be an object of name → definition/);
    using av = createSource("av");
    refused(() => av.addValues(odd([{ a: {} }])), /^values must be an object .*not an array/);
    for (const x of [null, 5, "x", [], () => 0]) refused(() => defineValues({ v: odd(x) }), /^value "v": definition must be an object/);

    const weird = [bare(), Symbol("s\nt"), 1n, () => 0, {}, [], "1", true];
    const cases: [string, (x: unknown) => ValueInit, RegExp][] = [
      ["type", (x) => ({ type: odd(x) }), /unknown type/],
      ["unit", (x) => ({ unit: odd(x) }), /unknown unit/],
      ["base", (x) => ({ base: odd(x) }), /base must be 10 or 2/],
      ["exponent", (x) => ({ exponent: odd(x) }), /exponent must be an integer/],
      ["buckets", (x) => ({ type: "log2-histogram", buckets: odd(x) }), /bucket count must be an integer/],
      ["bucketSize", (x) => ({ type: "linear-histogram", buckets: 4, bucketSize: odd(x) }), /bucket size must be an integer/],
      ["aggregations", (x) => ({ aggregations: odd(x) }), /aggregations must be an array/],
      ["aggregations[0]", (x) => ({ aggregations: [odd(x)] }), /unknown aggregation/],
      ["writable", (x) => ({ writable: odd(x) }), /writable must be a boolean/],
    ];
    for (const [field, make, re] of cases) {
      for (const x of weird) {
        if (field === "aggregations" && Array.isArray(x)) continue; // [] is valid: not aggregated
        if (field === "writable" && x === true) continue;
        assert.doesNotThrow(() => refused(() => defineValues({ v: make(x) }), re), `${field}: ${typeof x}`);
      }
    }
    refused(() => defineValues({ x: { type: odd(bare()) } }), /unknown type an object/);
    refused(() => defineValues({ x: { aggregations: [odd(Symbol("s"))] } }), /unknown aggregation a symbol/);
    refused(() => defineValues({ h: { type: "log2-histogram", buckets: odd(bare()) } }), /\(got an object\)/);

    // The names of Object.prototype's members are not types, units or aggregations…
    refused(() => defineValues({ x: { type: odd("constructor") } }), /unknown type "constructor"/);
    refused(() => defineValues({ x: { unit: odd("toString") } }), /unknown unit "toString"/);
    refused(() => defineValues({ x: { aggregations: [odd("hasOwnProperty")] } }), /unknown aggregation "hasOwnProperty"/);
    // …while objects without a prototype are fine definitions.
    const inits = Object.assign(bare(), { a: bare(), b: Object.assign(bare(), { type: "instant" as const }) });
    assert.deepEqual(
      defineValues(inits).values.map((v) => [v.name, v.type]),
      [
        ["a", 0],
        ["b", 1],
      ],
    );
  });
});
