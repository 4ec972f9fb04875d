/**
 * `statsfs log` and kvm_stat's options end to end: the plain layout column by column, CSV and
 * JSONL read back by real parsers (Python's csv and json, which keep u64 exact), -L with SIGHUP
 * rotation and its header rules, -z, --count, -1, -f, -p/-g, -d/-t, and a producer appearing
 * while logging (a new block).
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { routedSources } from "../../src/cli/kvmstat.js";
import { encodeStatsFile } from "../../src/codec/writer.js";
import { layOut } from "../../src/model/descriptor.js";
import { cli } from "../helpers.js";

const MAIN = join(import.meta.dirname, "../../src/cli/main.js");
const PRODUCER = join(import.meta.dirname, "fixtures/shm-producer.js");
const dir = mkdtempSync(join(tmpdir(), "statsfs-log-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function statsFile(name: string, id: string, stats: [string, bigint][]): string {
  const { descriptors, dataSize } = layOut(stats.map(([n]) => ({ name: n })));
  const data = BigUint64Array.from(stats.map(([, v]) => v));
  const p = join(dir, name);
  writeFileSync(p, encodeStatsFile({ id, descriptors, data, nameSize: 48, dataSize }));
  return p;
}

function python(code: string, input: string): unknown {
  return JSON.parse(execFileSync("python3", ["-c", code], { input, encoding: "utf8" }));
}

/** Waits (bounded) until `cond` holds; fails naming `what`. */
async function until(cond: () => boolean, what: string, ms = 15000): Promise<void> {
  for (let t = 0; t < ms; t += 50) {
    if (cond()) return;
    await sleep(50);
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("log: kvm_stat's plain format", () => {
  it("banner of sorted names, a line per sample, the banner again after 20 lines; widths ' %9d'", async () => {
    const r = await cli("log", "sim:?vcpus=2", "--count", "25", "--interval", "10");
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split("\n");
    const names = (lines[0] as string).split(" ");
    assert.equal(names.pop(), "", "the banner ends with a space");
    assert.deepEqual(names, [...names].sort());
    assert.ok(names.includes("exits") && names.includes("halt_wait_hist"));
    assert.ok(!names.includes("halt_wait_ns"), "kvm_stat's field set leaves out the time totals");
    assert.equal(lines.length, 1 + 20 + 1 + 5);
    assert.equal(lines[21], lines[0], "banner repeated after 20 lines");
    for (const [i, l] of lines.entries()) {
      if (i === 0 || i === 21) continue;
      assert.match(l.slice(0, 19), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      // Column by column: a space, then the delta right-aligned in at least 9 columns.
      let rest = l.slice(19);
      for (const n of names) {
        const m = /^ ( *)(-?\d+)/.exec(rest);
        assert.ok(m, `column ${n} in ${JSON.stringify(l)}`);
        const [all, pad = "", digits = ""] = m;
        assert.ok(digits.length >= 9 ? pad === "" : pad.length + digits.length === 9, `width of ${n}: ${JSON.stringify(all)}`);
        rest = rest.slice(all.length);
      }
      assert.equal(rest, "");
    }
  });

  it("-z omits all-zero lines; a quiet file logs only its banner", async () => {
    const p = statsFile("quiet.stats", "kvm-77", [["exits", 5n]]);
    const plain = await cli("log", p, "--count", "3", "--interval", "10");
    // A banner, then three lines of a 0 change (their timestamps may cross a second).
    const [banner, ...lines] = plain.out.trimEnd().split("\n");
    assert.equal(banner, "exits ");
    assert.equal(lines.length, 3);
    for (const l of lines) assert.match(l, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {9}0$/);
    const z = await cli("log", p, "--count", "3", "--interval", "10", "-z");
    assert.equal(z.out, "exits \n");
  });
});

describe("log: CSV and JSONL read by real parsers", () => {
  it("CSV rows parse with Python's csv module; columns match the header", async () => {
    const r = await cli("log", "sim:", "-c", "--count", "3", "--interval", "10");
    assert.equal(r.code, 0, r.err);
    const rows = python("import csv,sys,json; print(json.dumps(list(csv.reader(sys.stdin))))", r.out) as string[][];
    const [head, ...data] = rows;
    assert.equal(head?.[0], "timestamp");
    assert.equal(data.length, 3);
    for (const row of data) {
      assert.equal(row.length, head?.length);
      assert.match(row[0] ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
      for (const v of row.slice(1)) assert.match(v, /^-?\d+$/);
    }
    const exits = head?.indexOf("exits") ?? -1;
    assert.ok(
      data.every((row) => Number(row[exits]) > 0),
      "sim's exits move on every poll",
    );
  });

  it("JSONL keeps u64 exact (Python's json reads the exact integers)", async () => {
    const p = statsFile("big.stats", "kvm-88/vcpu-4", [
      ["exits", 18446744073709551615n],
      ["halts", 9007199254740993n],
    ]);
    const r = await cli("log", p, "--jsonl", "--count", "2", "--interval", "10");
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    const got = python(
      "import sys,json\nrecs=[json.loads(l) for l in sys.stdin]\nprint(json.dumps([[str(f['total'][k]) for k in ('exits','halts')]+[str(f['delta']['exits']), f['labels']['vcpu'], f['id']] for r in recs for f in r['files']]))",
      r.out,
    );
    assert.deepEqual(got, [
      ["18446744073709551615", "9007199254740993", "0", "4", "kvm-88/vcpu-4"],
      ["18446744073709551615", "9007199254740993", "0", "4", "kvm-88/vcpu-4"],
    ]);
  });
});

describe("log -L FILE", () => {
  it("appends; SIGHUP reopens (logrotate); a CSV header only when the file is empty", async () => {
    const f = join(dir, "rot.csv");
    const child = spawn(process.execPath, [MAIN, "log", "sim:", "-c", "-L", f, "--interval", "20"], { stdio: "ignore" });
    try {
      await until(() => existsSync(f) && readFileSync(f, "utf8").split("\n").length > 3, "the first lines");
      renameSync(f, `${f}.1`);
      child.kill("SIGHUP");
      await until(() => existsSync(f) && readFileSync(f, "utf8").split("\n").length > 3, "lines in the reopened file");
      // A second SIGHUP without rotation: the file is not empty, so no second header.
      child.kill("SIGHUP");
      const before = readFileSync(f, "utf8").length;
      await until(() => readFileSync(f, "utf8").length > before + 200, "lines after the second SIGHUP");
    } finally {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("close", r));
    }
    const rotated = readFileSync(`${f}.1`, "utf8").trimEnd().split("\n");
    const fresh = readFileSync(f, "utf8").trimEnd().split("\n");
    assert.match(rotated[0] ?? "", /^timestamp,/);
    assert.equal(rotated.filter((l) => l.startsWith("timestamp")).length, 1);
    assert.equal(fresh[0], rotated[0], "the new file starts with the header");
    assert.equal(fresh.filter((l) => l.startsWith("timestamp")).length, 1, "no header into a non-empty file");
    assert.ok(fresh.slice(1).every((l) => /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(,-?\d+)+$/.test(l)));
  });

  it("a non-empty file gets no CSV header; plain gets its banner", async () => {
    const f = join(dir, "old.csv");
    writeFileSync(f, "earlier\n");
    assert.equal((await cli("log", "sim:", "-c", "-L", f, "--count", "1", "--interval", "10")).code, 0);
    const lines = readFileSync(f, "utf8").trimEnd().split("\n");
    assert.equal(lines[0], "earlier");
    assert.equal(lines.length, 2);
    assert.match(lines[1] ?? "", /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,/);
    const p = join(dir, "old.log");
    writeFileSync(p, "earlier\n");
    await cli("top", "sim:", "-L", p, "--count", "1", "--interval", "10");
    assert.match(readFileSync(p, "utf8"), /^earlier\nblocking exits /);
  });
});

describe("log: a producer appearing while logging", () => {
  it("plain starts a new block with the new columns; JSONL carries the new file (delta null)", async () => {
    const shm = mkdtempSync(join(dir, "shm-"));
    const out = { plain: "", json: "" };
    const plain = spawn(process.execPath, [MAIN, "log", "sim:", `shm:?dir=${shm}`, "--interval", "50"]);
    const json = spawn(process.execPath, [MAIN, "log", "sim:", `shm:?dir=${shm}`, "--interval", "50", "--jsonl"]);
    plain.stdout.on("data", (d) => (out.plain += d));
    json.stdout.on("data", (d) => (out.json += d));
    let producer: ReturnType<typeof spawn> | undefined;
    try {
      await until(() => out.plain.split("\n").length > 3 && out.json.split("\n").length > 2, "first lines");
      producer = spawn(process.execPath, [PRODUCER, shm, "web"], { env: { ...process.env, STATSFS_SHM_PRODUCER: "1" }, stdio: "ignore" });
      await until(() => /requests/.test(out.plain) && /"source":"\/web".*\n.*"source":"\/web"/.test(out.json), "the producer's columns");
    } finally {
      producer?.kill("SIGTERM");
      plain.kill("SIGTERM");
      json.kill("SIGTERM");
      await Promise.all([plain, json].map((c) => new Promise((r) => c.once("close", r))));
    }
    const lines = out.plain.trimEnd().split("\n");
    const second = lines.findIndex((l) => l.includes("requests "));
    assert.ok(second > 1, out.plain);
    assert.ok((lines[second] as string).startsWith("blocking exits"), "the new banner holds the old and new names, sorted");
    assert.equal((lines[second + 1] ?? "").slice(19).match(/ +-?\d+/g)?.length, (lines[second] as string).trim().split(" ").length);
    const recs = out.json
      .trimEnd()
      .split("\n")
      .map((l) => JSON.parse(l) as { files: { labels: { source?: string }; delta: unknown }[] });
    const firstWith = recs.findIndex((r) => r.files.some((f) => f.labels.source === "/web"));
    assert.equal(recs[firstWith]?.files.find((f) => f.labels.source === "/web")?.delta, null);
    assert.notEqual(recs[firstWith + 1]?.files.find((f) => f.labels.source === "/web")?.delta, null);
  });
});

describe("selection as everywhere", () => {
  it("--vcpu, --target, --names and --provider choose files and statistics in log and top", async () => {
    const v = await cli("log", "sim:?vcpus=4", "--vcpu", "1-2", "--jsonl", "--count", "1", "--interval", "10");
    assert.equal(v.code, 0, v.err);
    assert.deepEqual(
      (JSON.parse(v.out) as { files: { id: string }[] }).files.map((f) => f.id),
      ["kvm-0/vcpu-1", "kvm-0/vcpu-2"],
    );
    const n = await cli("log", "sim:", "--names", "halt_*,exits", "--target", "vcpu", "--count", "1", "--interval", "10");
    assert.equal(n.out.split("\n")[0], "exits halt_exits halt_successful_poll halt_wait_hist halt_wait_ns ");
    const t = await cli("top", "sim:", "--names", "/^io_/", "--count", "1");
    assert.match(t.out, /^ io_exits +\d+/m);
    assert.doesNotMatch(t.out, /^ exits /m);
    assert.match((await cli("top", "sim:", "--provider", "kvmm")).err, /unknown provider "kvmm"; did you mean "kvm"/);
    assert.match((await cli("log", "sim:", "--names", "exitz")).err, /unknown statistic "exitz"; did you mean "exits"/);
  });
});

describe("kvm_stat's options", () => {
  it("-1: name, total, delta as %-42s%10d%10d, sorted", async () => {
    const r = await cli("top", "sim:", "-1", "-s", "0.1");
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trimEnd().split("\n");
    const names = lines.map((l) => l.slice(0, 42).trimEnd());
    assert.deepEqual(names, [...names].sort());
    // An instant value's delta may be negative (sim:'s pages_4k falls by 2 each second half of its period).
    for (const l of lines) assert.match(l, /^[a-z_0-9]+ +[ \d]{10}[ \d-]{10}$|^.{42}\d{11,}/);
    const exits = lines.find((l) => l.startsWith("exits ")) as string;
    assert.ok(Number(exits.slice(42, 52)) >= Number(exits.slice(52)) && Number(exits.slice(52)) > 0);
  });

  it("-f help lists fields; -f REGEX matches at the start of names", async () => {
    const help = await cli("top", "sim:", "-f", "help");
    assert.match(help.out, /^ {2}blocking\n {2}exits\n/);
    const r = await cli("log", "sim:", "-f", "halt", "--count", "1", "--interval", "10");
    assert.equal(r.out.split("\n")[0], "halt_exits halt_successful_poll halt_wait_hist ");
    const bad = await cli("top", "sim:", "-f", "(");
    assert.equal(bad.code, 2);
    assert.match(bad.err, /"\(" is not a valid regular expression/);
  });

  it("-p and -g pick one VM of a union; unknown or ambiguous ones are refused", async () => {
    const a = "sim:?pid=11&guest=alpha";
    const b = "sim:?pid=22&guest=beta&vcpus=1";
    const p = await cli("log", a, b, "-p", "22", "--jsonl", "--count", "1", "--interval", "10");
    assert.equal(p.code, 0, p.err);
    const rec = JSON.parse(p.out) as { files: { labels: { pid: string } }[] };
    assert.deepEqual([...new Set(rec.files.map((f) => f.labels.pid))], ["22"]);
    const g = await cli("top", a, b, "-g", "alpha", "--count", "1");
    assert.match(g.out, /^kvm statistics - pid 11 \(alpha\)$/m);
    assert.doesNotMatch(g.out, /beta/);
    assert.equal(
      (await cli("top", a, b, "-g", "nope")).err,
      "statsfs: -g nope: no guest by this name (guests: alpha (pid 11), beta (pid 22))\n",
    );
    assert.equal(
      (await cli("top", "-1", "sim:", "-g", "nope")).err,
      "statsfs: -g nope: no guest by this name (no VM here has a guest name; pids: 0)\n",
    );
    assert.equal(
      (await cli("top", a, "sim:?pid=12&guest=alpha", "-g", "alpha")).err,
      "statsfs: -g alpha: several VMs have this guest name (pids: 11 12); give -p PID\n",
    );
    assert.match((await cli("top", a, "-p", "99")).err, /no VM with this pid/);
  });

  it("-s takes 0.1 to 25.5 seconds; -c and -z need -l/-L", async () => {
    for (const bad of ["0.05", "26", "x"]) {
      const r = await cli("top", "sim:", "-s", bad);
      assert.equal(r.code, 2);
      assert.match(r.err, /-s\/--set-delay "[^"]+": (Delay must be|Invalid value)/);
    }
    assert.match((await cli("top", "sim:", "-c")).err, /-c\/--csv requires -l/);
    assert.match((await cli("top", "sim:", "-z")).err, /-z\/--skip-zero-records requires -l\/-L/);
    const l = await cli("top", "sim:", "-l", "-c", "--count", "1", "--interval", "10");
    assert.match(l.out, /^timestamp,blocking,exits,/);
  });

  it("-d and -t are routes of host: (host:?route=debugfs|trace); other sources have none", async () => {
    assert.deepEqual(routedSources([], "debugfs"), ["host:?route=debugfs"]);
    assert.deepEqual(routedSources(["host:?pid=5"], "trace"), ["host:?pid=5&route=trace"]);
    assert.deepEqual(routedSources(["sim:"], undefined), ["sim:"]);
    const r = await cli("top", "sim:", "-t");
    assert.equal(r.code, 2);
    assert.match(r.err, /-t\/--tracepoints chooses a route of host: sources only/);
    assert.match((await cli("top", "-d", "-t")).err, /give one/);
    assert.equal((await cli("log", "sim:", "-i", "--count", "1", "--interval", "10")).code, 0, "-i is accepted");
  });
});

describe("kvm_stat's field set", () => {
  it("log and top -1 leave out halt_wait_ns, halt_poll_success_ns, halt_poll_fail_ns (their *_hist stay); -a/--all shows them", async () => {
    const exempt = ["halt_poll_fail_ns", "halt_poll_success_ns", "halt_wait_ns"];
    const banner = (out: string) => (out.split("\n")[0] ?? "").trim().split(" ");
    const plain = await cli("log", "sim:?poll=1", "--count", "1", "--interval", "10");
    assert.equal(plain.code, 0, plain.err);
    for (const n of exempt) assert.ok(!banner(plain.out).includes(n), n);
    for (const n of ["halt_poll_fail_hist", "halt_poll_success_hist", "halt_wait_hist"]) assert.ok(banner(plain.out).includes(n), n);
    const all = await cli("log", "sim:?poll=1", "-a", "--count", "1", "--interval", "10");
    for (const n of exempt) assert.ok(banner(all.out).includes(n), n);
    const batch = await cli("top", "sim:?poll=1", "-1", "-s", "0.1");
    assert.doesNotMatch(batch.out, /^halt_wait_ns /m);
    assert.match((await cli("top", "sim:?poll=1", "-1", "-s", "0.1", "--all")).out, /^halt_wait_ns /m);
  });
});
