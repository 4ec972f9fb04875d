/**
 * top, log (plain, CSV, JSONL), top -1 and the dashboard's numbers show s64 and f64 values as
 * `read` does: signed integers and doubles exactly, never a u64's bits read as a number and
 * never a double rounded to an integer (before: `bal -5` logged 18446744073709551611 and an
 * f64 `secs 3.25` logged its IEEE 754 bits). One exported producer, read through `shm:`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { amountText } from "../../src/model/amount.js";
import { StatUnit } from "../../src/model/flags.js";
import { statValue } from "../../src/model/value.js";
import { createSource, register } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { type Sample, Sampler } from "../../src/sample/sampler.js";
import { CSV, fieldSums, jsonlRecord, PLAIN } from "../../src/views/log/index.js";
import { eventGroups } from "../../src/views/top/events.js";
import { kvmFrame } from "../../src/views/top/kvm-frame.js";
import { batchText } from "../../src/views/top/view.js";
import { valueText, wide } from "../../src/views/web/format.js";

const dir = mkdtempSync(join("/dev/shm", "statsfs-enc-views-"));

describe("every view shows s64 and f64 values exactly", () => {
  const src = createSource("encv");
  const v = src.addValues({
    temp: { type: "instant", encoding: "f64" },
    bal: { type: "instant", encoding: "s64" },
    secs: { encoding: "f64" },
    wait: { encoding: "f64", unit: "seconds" },
    hits: {},
  });
  let reg: { [Symbol.dispose](): void } | undefined;
  let source: StatsSource;
  let first: Sample;
  let second: Sample;

  before(async () => {
    reg = register(src, { export: { dir, instance: "p" } });
    v.temp.set(36.6);
    v.bal.set(-5);
    v.secs.inc(0.25);
    v.wait.inc(1.5);
    v.hits.add(7);
    source = await openSource(`shm:encv?dir=${dir}&instances=none`);
    const sampler = new Sampler(source);
    first = await sampler.sample();
    v.temp.set(-2.5);
    v.bal.set(-12);
    v.secs.inc(3);
    v.wait.inc(0.125);
    v.hits.add(3);
    second = await sampler.sample();
  });
  after(async () => {
    await source.close();
    reg?.[Symbol.dispose]();
    rmSync(dir, { recursive: true, force: true });
  });

  it("read's values are the ones the program set", () => {
    const f = second.files[0]?.file;
    assert.ok(f);
    const value = (n: string) => statValue(f.schema.descriptors.find((d) => d.name === n) as never, f.data);
    assert.equal(value("temp"), -2.5);
    assert.equal(value("bal"), -12n);
    assert.equal(value("secs"), 3.25);
  });

  it("log's sums: totals and deltas exact, signed, doubles as doubles", () => {
    const sums = fieldSums(second);
    const text = (n: string) => {
      const e = sums.get(n);
      assert.ok(e, n);
      return `${amountText(e.total)} ${amountText(e.delta)}`;
    };
    assert.equal(text("temp"), "-2.5 -39.1");
    assert.equal(text("bal"), "-12 -7");
    assert.equal(text("secs"), "3.25 3");
    assert.equal(text("wait"), "1.625 0.125");
    assert.equal(text("hits"), "10 3");
  });

  it("plain and CSV lines carry the same digits", () => {
    const sums = fieldSums(second);
    const cols = ["bal", "secs", "temp", "wait"];
    assert.equal(CSV.line("T", cols, sums), "T,-7,3,-39.1,0.125");
    assert.deepEqual(PLAIN.line("T", cols, sums).trim().split(/\s+/), ["T", "-7", "3", "-39.1", "0.125"]);
  });

  it("JSONL totals and deltas parse back to the values", () => {
    const rec = JSON.parse(jsonlRecord(second) as string) as { files: { total: Record<string, number>; delta: Record<string, number> }[] };
    const f = rec.files[0];
    assert.ok(f);
    assert.deepEqual(f.total, { temp: -2.5, bal: -12, secs: 3.25, wait: 1.625, hits: 10 });
    assert.deepEqual(f.delta, { temp: -39.1, bal: -7, secs: 3, wait: 0.125, hits: 3 });
  });

  it("top -1 prints each total and delta exactly, columns apart", () => {
    const lines = batchText(second, {}).trimEnd().split("\n");
    const by = new Map(lines.map((l) => l.trim().split(/\s+/) as [string, string, string]).map(([n, t, d]) => [n, `${t} ${d}`]));
    assert.equal(by.get("bal"), "-12 -7");
    assert.equal(by.get("secs"), "3.25 3");
    assert.equal(by.get("temp"), "-2.5 -39.1");
  });

  it("top's screen shows the double, its rate and a time in seconds", () => {
    const groups = eventGroups(second);
    const state = { sortByTotal: false, byGuest: false, drill: false, fields: "", pid: "", guest: "", all: true };
    const text = kvmFrame({ groups, gone: [], notes: [], state }).map((l) => l.text);
    const line = (n: string) => text.find((l) => l.trimStart().startsWith(`${n} `)) ?? "";
    assert.match(line("secs"), /^\s*secs\s+3\.25\s/);
    assert.match(line("bal"), /\s-12(\s|$)/);
    assert.match(line("temp"), /\s-2\.5(\s|$)/);
    assert.match(line("wait"), /\s1\.625 s\s/);
    // The Total row sums counts: 10 hits + 3.25 secs.
    assert.match(text.find((l) => l.trimStart().startsWith("Total")) ?? "", /\s13\.25\s/);
  });

  it("the dashboard's numbers keep the double", () => {
    assert.equal(wide(-2.5), -2.5);
    assert.equal(wide(Number.POSITIVE_INFINITY), "+Inf");
    const meta = { id: "x", name: "wait", kind: "time", type: 0, unit: StatUnit.Seconds, base: 0, exponent: 0, size: 1 } as never;
    assert.equal(valueText(meta, 1.625), "1.625 s");
    assert.equal(first.seq, 0);
  });
});
