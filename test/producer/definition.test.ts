import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encodeStatsFile } from "../../src/codec/index.js";
import { DefinitionError, StatsfsError, UsageError } from "../../src/errors.js";
import { makeDescriptor } from "../../src/model/index.js";
import { Exporter } from "../../src/producer/export/exporter.js";
import { createSource, defineValues, liveSource, register, type ValueInit, writeStat } from "../../src/producer/index.js";

function refused(fn: () => unknown, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof DefinitionError, `expected a DefinitionError, got ${String(e)}`);
    assert.equal(e.code, "STATSFS_DEFINITION");
    assert.match(e.message, re);
    assert.doesNotMatch(e.message, /\n/);
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
    refused(() => register(a, { export: { dir, instance: "i1" } }), /exists and is not a statsfs export \(not a stats file\)/);

    // A stats file with someone else's id.
    mkdirSync(join(dir, "other"), { recursive: true });
    const foreign = encodeStatsFile({ id: "kvm-1", descriptors: [makeDescriptor({ name: "x" })] });
    writeFileSync(join(dir, "other", "i1.stats"), foreign);
    using b = createSource("other");
    b.addValues({ x: {} });
    refused(() => register(b, { export: { dir, instance: "i1" } }), /exists and is not ours \(id "kvm-1"/);

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

  it("refuses an instance name a live producer holds, and ids longer than name_size", () => {
    const dir = join(tmp, "live");
    using a = createSource("held");
    a.addValues({ x: {} });
    using ra = register(a, { export: { dir, instance: "same" } });
    assert.ok(ra.exporter);
    // Another registration of a tree with the same root name and instance (as another process would be).
    using other = createSource("held");
    other.addValues({ x: {} });
    refused(() => new Exporter(other, { dir, instance: "same" }).start(), /held by a live producer/);

    using deep = createSource("a-rather-long-source-name");
    refused(
      () => deep.addSubordinate(createSource("with-a-long-subordinate")) && register(deep, { export: { dir } }),
      /exported id .* name_size 48 allows 47/,
    );
    assert.throws(() => register(createSource("n"), { export: { dir, nameSize: 50 } }), StatsfsError);
  });
});
