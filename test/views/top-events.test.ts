/**
 * top's kvm_stat view as pure functions over real samples (Sampler over a source whose files
 * come and go): rows and totals, 0/0 rows hidden, sort orders, human units, histogram
 * percentiles as bucket ranges, per-guest totals, drilldown, gone groups with their last
 * frame, a dead guest found again by name, and the throttled screen.
 * @serial: the throttle is checked against real time (30 ms); the concurrent pass on two
 * loaded cores stretched it.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { layOut } from "../../src/model/descriptor.js";
import { StatBase, StatType, StatUnit } from "../../src/model/flags.js";
import { makeIdentity } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import type { StatsSource } from "../../src/providers/source.js";
import { Sampler } from "../../src/sample/sampler.js";
import { selector } from "../../src/sample/select.js";
import { quantileBucket } from "../../src/views/top/events.js";
import { kvmFrame, type ViewState } from "../../src/views/top/kvm-frame.js";
import { Screen } from "../../src/views/top/terminal.js";
import { TopView } from "../../src/views/top/view.js";

const ns = { unit: StatUnit.Seconds, base: StatBase.Pow10, exponent: -9 };

function vcpu(pid: number, n: number, guest: string): StatsFile {
  const { descriptors, dataSize } = layOut([
    { name: "exits" },
    { name: "idle" },
    { name: "halt_wait_ns", ...ns },
    { name: "halt_wait_hist", type: StatType.Log2Histogram, size: 8, ...ns },
    { name: "blocking", type: StatType.Instant, unit: StatUnit.Boolean },
  ]);
  return {
    identity: makeIdentity(`kvm-${pid}/vcpu-${n}`, "kvm", "vcpu", { guest, pid: String(pid), vcpu: String(n) }),
    schema: { descriptors, dataSize, nameSize: 48 },
    data: new BigUint64Array(dataSize / 8),
  };
}

/** A source whose files the test sets. */
class Mutable implements StatsSource {
  readonly uri = "test:";
  readonly capabilities = { pollSync: true, raw: false, reset: false };
  files: StatsFile[] = [];
  pollSync(): void {}
  async poll(): Promise<void> {}
  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

const state = (o: Partial<ViewState> = {}): ViewState => ({
  sortByTotal: false,
  byGuest: false,
  drill: false,
  fields: "",
  pid: "",
  guest: "",
  ...o,
});
const text = (v: TopView) => v.lines(undefined).map((l) => l.text);
// exits idle halt_wait_ns hist[8] blocking
const set = (f: StatsFile, exits: bigint, idle: bigint, wait: bigint, hist: bigint[], blocking: bigint) => {
  f.data.set([exits, idle, wait, ...hist, blocking]);
};

describe("top's view", () => {
  it("rows, %Total, CurAvg/s, human units, percentiles as bucket ranges, 0/0 hidden", () => {
    const src = new Mutable();
    const a = vcpu(10, 0, "alpha");
    const b = vcpu(10, 1, "alpha");
    src.files = [a, b];
    const sampler = new Sampler(src);
    set(a, 100n, 0n, 1_000_000_000n, [0n, 0n, 0n, 10n, 0n, 0n, 0n, 0n], 1n);
    set(b, 300n, 0n, 500_000_000n, [0n, 0n, 0n, 0n, 0n, 9n, 1n, 0n], 0n);
    const view = new TopView(state(), selector({}));
    view.update(sampler.take());
    set(a, 150n, 0n, 1_950_000_000n, [0n, 0n, 0n, 10n, 0n, 0n, 0n, 0n], 1n);
    const s = sampler.take();
    view.update({ ...s, seconds: 1 });
    const lines = text(view);
    assert.equal(lines[0], "kvm statistics - summary");
    assert.equal(lines[2], ` ${"Event".padEnd(40)} ${"Total".padStart(10)}${"%Total".padStart(7)} ${"CurAvg/s".padStart(8)}`);
    assert.ok(lines.includes(" kvm  vcpu  alpha  pid 10  2 vCPUs"), lines.join("\n"));
    // exits 450 of 450 counted (a histogram's samples repeat a counter: not in the Total), 50 per second.
    assert.ok(lines.includes(` ${"exits".padEnd(40)} ${"450".padStart(10)}${"100.0".padStart(7)} ${"50".padStart(8)}`), lines.join("\n"));
    assert.ok(!lines.some((l) => l.startsWith(" idle ")), "0/0 hidden");
    assert.ok(
      lines.includes(` ${"halt_wait_ns".padEnd(40)} ${"2.45 s".padStart(10)}${"".padStart(7)} ${"0.95 s/s".padStart(8)}`),
      lines.join("\n"),
    );
    // 20 samples: 10 in [4 ns, 8 ns), 9 in [16 ns, 32 ns), 1 in [32 ns, 64 ns).
    const hist = lines.find((l) => l.startsWith(" halt_wait_hist ")) as string;
    assert.match(hist, / 20 /);
    assert.match(hist, /p50 \[4 ns, 8 ns\) {2}p90 \[16 ns, 32 ns\) {2}p99 \[32 ns, 64 ns\)$/);
    assert.ok(lines.includes(` ${"blocking".padEnd(40)} ${"1".padStart(10)}${"".padStart(7)} ${"".padStart(8)}`));
    assert.ok(lines.includes(` ${"Total".padEnd(40)} ${"450".padStart(10)}${"".padStart(7)} ${"50".padStart(8)}`));
    // x: per-vCPU rows under each event, as a share of it.
    view.state.drill = true;
    view.regroup();
    const d = text(view);
    const at = d.findIndex((l) => l.startsWith(" exits "));
    assert.equal(d[at + 1], ` ${"  vcpu 0".padEnd(40)} ${"150".padStart(10)}${"33.3".padStart(7)} ${"50".padStart(8)}`);
    assert.equal(d[at + 2], ` ${"  vcpu 1".padEnd(40)} ${"300".padStart(10)}${"66.7".padStart(7)} ${"0".padStart(8)}`);
    // o: by total, vcpu 1 first.
    view.state.sortByTotal = true;
    const o = text(view);
    assert.match(o[o.findIndex((l) => l.startsWith(" exits ")) + 1] ?? "", /^ {3}vcpu 1 /);
  });

  it("quantiles are the bucket where the running count reaches ⌈p·n⌉", () => {
    assert.equal(quantileBucket([0n, 0n], 0.5), undefined);
    assert.equal(quantileBucket([1n, 1n], 0.5), 0);
    assert.equal(quantileBucket([1n, 1n], 0.51), 1);
    assert.equal(quantileBucket([98n, 1n, 1n], 0.99), 1);
    assert.equal(quantileBucket([18446744073709551615n, 1n], 0.99), 0);
  });

  it("b: per-guest totals; a group that goes away keeps its last frame marked gone", () => {
    const src = new Mutable();
    const a = vcpu(10, 0, "alpha");
    const b = vcpu(20, 0, "日本");
    src.files = [a, b];
    set(a, 5n, 0n, 0n, Array(8).fill(0n), 0n);
    set(b, 7n, 0n, 0n, Array(8).fill(0n), 0n);
    const sampler = new Sampler(src);
    const view = new TopView(state({ byGuest: true }), selector({}));
    view.update(sampler.take());
    const g = text(view);
    assert.match(g[2] ?? "", /^ Guest Name {31}/);
    assert.ok(g.includes(` ${"日本".padEnd(38)} ${"7".padStart(10)}${"58.3".padStart(7)} ${"".padStart(8)}`), g.join("\n"));
    view.state.byGuest = false;
    src.files = [a];
    view.update(sampler.take());
    const gone = text(view);
    const title = gone.findIndex((l) => / kvm {2}vcpu {2}日本 {2}pid 20 {2}vcpu 0 {2}— gone at \d\d:\d\d:\d\d$/.test(l));
    assert.ok(title > 0, gone.join("\n"));
    assert.match(gone[title + 1] ?? "", /^ exits +7 /);
  });

  it("-p: a dead guest is marked, and found again by name under a new pid", () => {
    const src = new Mutable();
    src.files = [vcpu(10, 0, "alpha"), vcpu(30, 0, "other")];
    const sampler = new Sampler(src);
    const view = new TopView(state({ pid: "10", guest: "alpha" }), selector({}));
    view.update(sampler.take());
    assert.equal(text(view)[0], "kvm statistics - pid 10 (alpha)");
    assert.ok(!text(view).some((l) => l.includes("other")));
    src.files = [vcpu(30, 0, "other")];
    view.update(sampler.take());
    assert.equal(text(view)[0], "kvm statistics - pid 10 (alpha)   Guest is DEAD   ");
    src.files = [vcpu(31, 0, "alpha"), vcpu(30, 0, "other")];
    view.update(sampler.take());
    assert.equal(text(view)[0], "kvm statistics - pid 31 (alpha)");
  });

  it("trace child events (kvm_exit(HLT)) sit under their parent with x, as a share of it", () => {
    const { descriptors, dataSize } = layOut([{ name: "kvm_exit" }, { name: "kvm_exit(HLT)" }, { name: "kvm_exit(IO)" }]);
    const f: StatsFile = {
      identity: makeIdentity("trace-5", "trace", "vm", { pid: "5", route: "trace" }),
      schema: { descriptors, dataSize, nameSize: 48 },
      data: BigUint64Array.of(40n, 30n, 10n),
    };
    const src = new Mutable();
    src.files = [f];
    const view = new TopView(state(), selector({}));
    view.update(new Sampler(src).take());
    const plain = text(view);
    assert.ok(plain.some((l) => l.startsWith(" kvm_exit ")));
    assert.ok(!plain.some((l) => l.includes("(HLT)")), "children hidden without x");
    assert.ok(plain.includes(` ${"Total".padEnd(40)} ${"40".padStart(10)}${"".padStart(7)} ${"".padStart(8)}`), "only parents count");
    view.state.drill = true;
    view.regroup();
    const d = text(view);
    const at = d.findIndex((l) => l.startsWith(" kvm_exit "));
    assert.equal(d[at + 1], ` ${"  kvm_exit(HLT)".padEnd(40)} ${"30".padStart(10)}${"75.0".padStart(7)} ${"".padStart(8)}`);
    assert.equal(d[at + 2], ` ${"  kvm_exit(IO)".padEnd(40)} ${"10".padStart(10)}${"25.0".padStart(7)} ${"".padStart(8)}`);
  });

  it("the height limit shares rows between groups and says how many more", () => {
    const lines = kvmFrame({ groups: [], gone: [], notes: ["m: failed — gone"], state: state(), height: 5 });
    assert.equal(lines.length, 4);
    assert.equal(lines[3]?.text, " m: failed — gone");
  });
});

describe("the screen", () => {
  it("throttles redraws (the latest frame wins), cuts lines to display columns, clears after a resize", async () => {
    const writes: string[] = [];
    const out = { write: (t: string) => writes.push(t), columns: 10, rows: 4 };
    const sc = new Screen(out, { color: false, minGapMs: 40 });
    sc.enter();
    writes.length = 0;
    sc.draw([{ text: "one" }]);
    sc.draw([{ text: "two" }]);
    sc.draw([{ text: "日本日本日本x" }]);
    assert.equal(writes.length, 1, "the first frame at once, the others wait");
    await sleep(80);
    assert.equal(writes.length, 2, "one more frame after the gap: the latest");
    assert.ok(writes[1]?.includes("日本日本日\x1b[K"), "cut to 10 columns, never half a wide character");
    assert.ok(!writes[1]?.includes("two"));
    assert.ok(writes[0]?.includes("\x1b[2J"), "the first frame clears the screen");
    assert.ok(!writes[1]?.includes("\x1b[2J"));
    out.columns = 20;
    sc.draw([{ text: "three" }]);
    await sleep(80);
    assert.ok(writes[2]?.includes("\x1b[2J"), "a new size clears everything");
    sc.restore();
    sc.restore();
    assert.equal(writes.filter((w) => w.includes("\x1b[?1049l")).length, 1, "restore runs once");
  });
});
