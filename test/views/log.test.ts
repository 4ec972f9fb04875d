/**
 * `log`'s formats as pure functions: kvm_stat's plain and CSV lines and banner rules (every 20
 * lines, -z lines not counted, CSV header in a file only when empty, a new block when the
 * columns change), and JSONL with exact u64 values read back by a lossless parser.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isSafeNumber, parse } from "lossless-json";
import { layOut } from "../../src/model/descriptor.js";
import { StatType } from "../../src/model/flags.js";
import { parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import type { Sample, SampledFile } from "../../src/sample/sampler.js";
import { CSV, fieldSums, jsonlRecord, type LogSink, LogWriter, logTimestamp, PLAIN } from "../../src/views/log/index.js";

function file(id: string, stats: [string, number?][]): StatsFile {
  const { descriptors, dataSize } = layOut(stats.map(([name, type]) => ({ name, type: type ?? StatType.Cumulative })));
  return { identity: parseId(id), schema: { descriptors, dataSize, nameSize: 48 }, data: new BigUint64Array(dataSize / 8) };
}

function sampled(f: StatsFile, now: bigint[], prev?: bigint[]): SampledFile {
  return { key: f.identity.id, file: f, data: BigUint64Array.from(now), prev: prev ? BigUint64Array.from(prev) : undefined };
}

function sample(files: SampledFile[], seq = 1): Sample {
  return { seq, time: 0, wall: Date.UTC(2026, 11, 1, 10, 0, 0), seconds: 1, files, added: [], removed: [], members: [] };
}

class Sink implements LogSink {
  text = "";
  constructor(
    readonly isFile: boolean,
    public initial = 0,
  ) {}
  write(t: string): void {
    this.text += t;
  }
  size(): number {
    return this.initial + this.text.length;
  }
}

const MAX = 18446744073709551615n;

describe("log formats", () => {
  const vm = file("kvm-9", [["b_exits"], ["a_pages", StatType.Instant]]);
  const cpu = file("kvm-9/vcpu-0", [["b_exits"], ["c_halt"]]);
  const s = sample([sampled(vm, [10n, 5n], [4n, 7n]), sampled(cpu, [100n, 3n], [50n, 3n])]);

  it("sums deltas per field over files (instant values signed) and sorts columns like Python", () => {
    const sums = fieldSums(s);
    assert.deepEqual([...sums.keys()].sort(), ["a_pages", "b_exits", "c_halt"]);
    assert.equal(sums.get("b_exits")?.delta, 56n);
    assert.equal(sums.get("a_pages")?.delta, -2n);
    assert.equal(sums.get("c_halt")?.delta, 0n);
  });

  it("plain: banner names each followed by a space; lines ' %9d' per column after the timestamp", () => {
    const cols = ["a_pages", "b_exits", "c_halt"];
    assert.equal(PLAIN.banner(cols), "a_pages b_exits c_halt ");
    const line = PLAIN.line("2026-12-01 10:00:00", cols, fieldSums(s));
    assert.equal(line, "2026-12-01 10:00:00        -2        56         0");
    assert.equal(PLAIN.line("T", ["x"], new Map([["x", { delta: 12345678901n }]])), "T 12345678901");
  });

  it("csv: timestamp,names then timestamp,deltas", () => {
    const cols = ["a_pages", "b_exits", "c_halt"];
    assert.equal(CSV.banner(cols), "timestamp,a_pages,b_exits,c_halt");
    assert.equal(CSV.line("2026-12-01 10:00:00", cols, fieldSums(s)), "2026-12-01 10:00:00,-2,56,0");
  });

  it("timestamps are local YYYY-mm-dd HH:MM:SS", () => {
    const t = new Date(2026, 0, 2, 3, 4, 5).getTime();
    assert.equal(logTimestamp(t), "2026-01-02 03:04:05");
  });
});

describe("log banner rules", () => {
  const zero = new Map([["x", { delta: 0n }]]);
  const one = new Map([["x", { delta: 1n }]]);

  it("plain on stdout: banner first and again every 20 lines; -z lines don't count", () => {
    const out = new Sink(false);
    const w = new LogWriter(PLAIN, out, true);
    w.start(["x"]);
    for (let i = 0; i < 45; i++) w.sample(0, i % 3 === 0 ? zero : one, ["x"]);
    const lines = out.text.trimEnd().split("\n");
    const banners = lines.flatMap((l, i) => (l === "x " ? [i] : []));
    // 30 non-zero lines: banner, 20 lines, banner, 10 lines.
    assert.deepEqual(banners, [0, 21]);
    assert.equal(lines.length, 32);
  });

  it("csv on stdout repeats its header every 20 lines (as kvm_stat); in a file never", () => {
    const out = new Sink(false);
    const w = new LogWriter(CSV, out, false);
    w.start(["x"]);
    for (let i = 0; i < 41; i++) w.sample(0, one, ["x"]);
    assert.equal(out.text.split("\n").filter((l) => l === "timestamp,x").length, 3);
    const f = new Sink(true);
    const wf = new LogWriter(CSV, f, false);
    wf.start(["x"]);
    for (let i = 0; i < 41; i++) wf.sample(0, one, ["x"]);
    assert.equal(f.text.split("\n").filter((l) => l === "timestamp,x").length, 1);
  });

  it("csv in a file: a header only when the file is empty, also after a reopen", () => {
    const f = new Sink(true, 10);
    const w = new LogWriter(CSV, f, false);
    w.start(["x"]);
    w.sample(0, one, ["x"]);
    assert.doesNotMatch(f.text, /timestamp/);
    const fresh = new Sink(true);
    w.reopen(fresh);
    w.sample(0, one, ["x"]);
    assert.match(fresh.text, /^timestamp,x\n[^\n]+,1\n$/);
    const old = new Sink(true, 100);
    w.reopen(old);
    assert.equal(old.text, "");
    const plain = new Sink(true, 100);
    const wp = new LogWriter(PLAIN, plain, false);
    wp.start(["x"]);
    assert.equal(plain.text, "x \n", "plain banners go to a file whatever its size");
  });

  it("new columns start a new block: banner or header at once, in a file too", () => {
    const f = new Sink(true);
    const w = new LogWriter(CSV, f, false);
    w.start(["x"]);
    w.sample(0, one, ["x"]);
    w.sample(0, new Map([...one, ["y", { delta: 2n }]]), ["x", "y"]);
    const lines = f.text.trimEnd().split("\n");
    assert.equal(lines[0], "timestamp,x");
    assert.equal(lines[2], "timestamp,x,y");
    assert.match(lines[3] ?? "", /,1,2$/);
  });
});

describe("log --jsonl", () => {
  it("carries labels, deltas and totals; u64 values exact as JSON numbers", () => {
    const f = file("kvm-3/vcpu-1", [["exits"], ["big"], ["gauge", StatType.Instant]]);
    const s = sample([sampled(f, [MAX, 9007199254740993n, 1n], [MAX - 5n, 1n, 3n])]);
    const text = jsonlRecord(s) as string;
    const rec = parse(text, undefined, (v) => (isSafeNumber(v) ? Number(v) : BigInt(v))) as {
      time: string;
      files: {
        id: string;
        labels: Record<string, string>;
        delta: Record<string, bigint | number>;
        total: Record<string, bigint | number>;
      }[];
    };
    assert.equal(rec.time, "2026-12-01T10:00:00.000Z");
    const [one] = rec.files;
    assert.equal(one?.id, "kvm-3/vcpu-1");
    assert.deepEqual(one?.labels, { provider: "kvm", target: "vcpu", pid: "3", vcpu: "1" });
    assert.equal(one?.total.exits, MAX);
    assert.equal(one?.total.big, 9007199254740993n);
    assert.equal(one?.delta.exits, 5);
    assert.equal(one?.delta.big, 9007199254740992n);
    assert.equal(one?.delta.gauge, -2);
    assert.match(text, /"exits":18446744073709551615/);
  });

  it("a new file has delta null; -z drops records with no change; gone files are listed", () => {
    const f = file("kvm-3", [["exits"]]);
    const s = sample([sampled(f, [7n])]);
    assert.match(jsonlRecord(s) as string, /"delta":null,"total":\{"exits":7\}/);
    assert.equal(jsonlRecord(sample([sampled(f, [7n], [7n])]), {}, true), undefined);
    const gone: Sample = { ...sample([]), removed: [{ key: "k", file: f, data: f.data, goneAt: 0 }] };
    assert.match(jsonlRecord(gone) as string, /"gone":\[\{"id":"kvm-3","labels":\{[^}]*\},"at":"1970-01-01T00:00:00.000Z"\}\]/);
  });
});
