/**
 * sim: moves with time, not with polls: its values are a function of the (injected) monotonic
 * clock and a seed, so rates do not depend on who polls or how often, and every value stays
 * plausible (counters never fall, halt_wait_ns is the histogram's sum within its buckets' bounds,
 * pages_4k moves by 2 a second both ways).
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { StatsFile } from "../../src/model/stats-file.js";
import { openSimSource } from "../../src/providers/sim/index.js";

/** A clock the test moves by hand, in seconds (from an uptime of 5000 s). */
function manualClock(start = 5000) {
  let s = start;
  return {
    clock: () => BigInt(Math.round(s * 1e9)),
    advance: (d: number) => {
      s += d;
    },
  };
}

function value(f: StatsFile, name: string, index = 0): bigint {
  const d = f.schema.descriptors.find((x) => x.name === name);
  assert.ok(d, name);
  return f.data[(d.offset >>> 3) + index] as bigint;
}

function exits(files: readonly StatsFile[]): bigint {
  return files.filter((f) => f.identity.target === "vcpu").reduce((a, f) => a + value(f, "exits"), 0n);
}

async function open(clock: () => bigint, query = "vcpus=2") {
  return openSimSource(`sim:?${query}`, "", new URLSearchParams(query), clock);
}

describe("sim: moves with time", () => {
  it("polling without time passing changes nothing", async () => {
    const c = manualClock();
    await using s = await open(c.clock);
    const before = s.files.map((f) => f.data.slice());
    for (let i = 0; i < 20; i++) s.pollSync();
    assert.deepEqual(
      s.files.map((f) => f.data),
      before,
    );
  });

  it("the exits counted over 8 s are the same polled every 0.25 s or every 1 s", async () => {
    const measure = async (step: number) => {
      const c = manualClock();
      await using s = await open(c.clock);
      const first = exits(s.files);
      for (let t = 0; t < 8; t += step) {
        c.advance(step);
        s.pollSync();
      }
      return exits(s.files) - first;
    };
    const quarter = await measure(0.25);
    const whole = await measure(1);
    assert.equal(quarter, whole);
    // About 2,830 exits per second per vCPU (halts + io + other), 2 vCPUs.
    const perSecond = Number(whole) / 8 / 2;
    assert.ok(perSecond > 2000 && perSecond < 3700, `${perSecond} exits/s per vCPU`);
  });

  it("a second reader polling the same source does not change the rate the first sees", async () => {
    const seen = async (otherReaderPolls: number) => {
      const c = manualClock();
      await using s = await open(c.clock);
      let last = exits(s.files);
      const deltas: bigint[] = [];
      for (let sec = 0; sec < 6; sec++) {
        for (let i = 0; i < otherReaderPolls; i++) {
          c.advance(1 / (otherReaderPolls + 1));
          s.pollSync(); // another scrape or client
        }
        c.advance(1 / (otherReaderPolls + 1));
        s.pollSync();
        const now = exits(s.files);
        deltas.push(now - last);
        last = now;
      }
      return deltas;
    };
    assert.deepEqual(await seen(3), await seen(0));
  });

  it("two sources opened at different times agree at the same instant (a function of time and seed)", async () => {
    const c = manualClock();
    await using a = await open(c.clock, "vcpus=3&pid=4");
    c.advance(2.5);
    await using b = await open(c.clock, "vcpus=3&pid=4");
    a.pollSync();
    assert.deepEqual(
      a.files.map((f) => f.data),
      b.files.map((f) => f.data),
    );
    await using other = await open(c.clock, "vcpus=3&pid=5");
    assert.notDeepEqual(
      other.files.map((f) => f.data),
      b.files.map((f) => f.data),
    );
  });

  it("values stay plausible: counters never fall, halt_wait_ns lies within its histogram's bounds, pages_4k moves by 2 a second", async () => {
    const c = manualClock(0);
    await using s = await open(c.clock, "vcpus=1");
    const [vm, vcpu] = s.files as readonly StatsFile[] as [StatsFile, StatsFile];
    let prev = vcpu.data.slice();
    let pages = value(vm, "pages_4k");
    const pageSteps = new Set<bigint>();
    for (let i = 0; i < 2400; i++) {
      c.advance(0.3);
      s.pollSync();
      for (const name of ["exits", "io_exits", "halt_exits", "halt_wait_ns", "halt_successful_poll"]) {
        const d = vcpu.schema.descriptors.find((x) => x.name === name);
        assert.ok((vcpu.data[(d?.offset ?? 0) >>> 3] as bigint) >= (prev[(d?.offset ?? 0) >>> 3] as bigint), `${name} fell`);
      }
      prev = vcpu.data.slice();
      let count = 0n;
      let low = 0n;
      let high = 0n;
      for (let b = 0; b < 32; b++) {
        const n = value(vcpu, "halt_wait_hist", b);
        count += n;
        low += n * (b === 0 ? 0n : 1n << BigInt(b - 1));
        high += n * (1n << BigInt(b));
      }
      assert.equal(value(vcpu, "halt_exits"), count);
      const wait = value(vcpu, "halt_wait_ns");
      assert.ok(wait >= low && wait < high + 1n, `halt_wait_ns ${wait} outside [${low}, ${high})`);
      const p = value(vm, "pages_4k");
      if (p !== pages) pageSteps.add(p - pages);
      pages = p;
    }
    assert.deepEqual([...pageSteps].sort(), [-2n, 2n]);
    // Time waiting in halt is a share of the elapsed time (720 s here).
    const share = Number(value(vcpu, "halt_wait_ns")) / 720e9;
    assert.ok(share > 0.1 && share < 0.9, `halt_wait_ns is ${share} of the time`);
  });
});
