/**
 * providers/poll, the one home of source health: a Polled member's states and reasons, pollAll's
 * deadline, errorLine; and what it fixes in the views: `serve --qmp --http` polls a source once
 * for a query and a scrape arriving together, under one deadline; the exporter keeps each
 * source's reason; the filesystem's reason is one escaped line.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { TimeoutError } from "../../src/errors.js";
import { layOut } from "../../src/model/descriptor.js";
import { parseId } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { errorLine, Polled, pollAll, polled, VIEW_DEADLINE_MS } from "../../src/providers/poll.js";
import { openSource } from "../../src/providers/registry.js";
import { NO_CAPABILITIES, type StatsSource } from "../../src/providers/source.js";
import { UnionSource } from "../../src/providers/union.js";
import { follow, type Sample } from "../../src/sample/sampler.js";
import { SourceState } from "../../src/views/fs/sources.js";
import { Scraper } from "../../src/views/http/scrape.js";
import { STALL_MS, StatsView } from "../../src/views/qmp/view.js";

/** An asynchronous source whose polls wait for `release()` (or fail with `fail()`); counts them. */
class GatedSource implements StatsSource {
  readonly capabilities = NO_CAPABILITIES;
  readonly files: StatsFile[];
  polls = 0;
  #gates: { ok: () => void; no: (e: unknown) => void }[] = [];
  constructor(readonly uri: string) {
    const { descriptors, dataSize } = layOut([{ name: "exits" }]);
    this.files = [
      { identity: parseId(`kvm-${uri.length}/vcpu-0`), schema: { descriptors, dataSize, nameSize: 48 }, data: new BigUint64Array(1) },
    ];
  }
  poll(): Promise<void> {
    this.polls++;
    return new Promise<void>((ok, no) => this.#gates.push({ ok, no }));
  }
  release(): void {
    for (const g of this.#gates.splice(0)) g.ok();
  }
  fail(e: unknown): void {
    for (const g of this.#gates.splice(0)) g.no(e);
  }
  async close(): Promise<void> {}
  async [Symbol.asyncDispose](): Promise<void> {}
}

const tick = () => new Promise((r) => setTimeout(r, 5));

describe("a polled member", () => {
  it("is ok, failed with one escaped line, stale on its own timeout, and never polled when gone", async () => {
    const src = new GatedSource("g:");
    const p = new Polled(src);
    assert.equal(p.status("g:").state, "ok");
    let done = p.poll();
    assert.equal(p.poll(), done, "a second caller joins the poll in flight");
    assert.equal(src.polls, 1);
    assert.ok((p.inflightMs ?? -1) >= 0);
    src.fail(new Error("peer\ngone \x1b[2J"));
    await done;
    assert.deepEqual(p.status("g:"), { uri: "g:", state: "failed", reason: "peer gone \\x1b[2J" });
    done = p.poll();
    src.fail(new TimeoutError("g: no reply within 5 ms"));
    await done;
    assert.deepEqual(p.status("g:"), { uri: "g:", state: "stale", reason: "g: no reply within 5 ms" });
    done = p.poll();
    src.release();
    await done;
    assert.deepEqual(p.status("g:"), { uri: "g:", state: "ok" });
    p.gone("closed");
    await p.poll();
    assert.equal(src.polls, 3);
    assert.deepEqual(p.status("g:"), { uri: "g:", state: "gone", reason: "closed" });
  });

  it("takes a recent poll instead of starting one with maxAgeMs, unless expired", async () => {
    const src = new GatedSource("g:");
    const p = new Polled(src);
    await p.poll({ maxAgeMs: 60_000 });
    assert.equal(src.polls, 0, "an opened source holds current values");
    p.expire();
    const done = p.poll({ maxAgeMs: 60_000 });
    src.release();
    await done;
    assert.equal(src.polls, 1);
  });

  it("pollAll marks members still polling at the deadline stale; they are joined, not asked again", async () => {
    const slow = new GatedSource("slow:");
    const fast = new GatedSource("fast:");
    const members = [new Polled(slow), new Polled(fast)];
    const all = pollAll(members, 30);
    await tick();
    fast.release();
    await all;
    assert.deepEqual(
      members.map((m) => m.status("x")),
      [
        { uri: "x", state: "stale", reason: "no answer within 30 ms; showing its last values" },
        { uri: "x", state: "ok" },
      ],
    );
    const again = pollAll(members);
    await tick();
    assert.equal(slow.polls, 1, "the stalled member is not asked again");
    slow.release();
    fast.release();
    await again;
    assert.deepEqual(
      members.map((m) => m.state),
      ["ok", "ok"],
    );
  });

  it("tells subscribers after every poll, whoever asked for it", async () => {
    const s = await openSource("sim:?vcpus=1");
    try {
      const seen: Sample[] = [];
      const stop = follow(s, (x) => seen.push(x));
      polled(s).pollSync();
      await polled(s).poll();
      stop();
      polled(s).pollSync();
      assert.equal(seen.length, 2);
      assert.equal(seen[1]?.seq, 1);
      assert.ok((seen[1]?.files.length ?? 0) > 0);
    } finally {
      await s.close();
    }
  });

  it("errorLine folds line breaks and escapes control characters", () => {
    assert.equal(errorLine(new Error("a\n  b\r\nc\x07")), "a b c\\x07");
    assert.equal(errorLine("plain"), "plain");
  });
});

describe("views polling through it", () => {
  it("serve --qmp --http: a query and a scrape arriving together poll each source once, under one deadline", async () => {
    const a = new GatedSource("a:");
    const b = new GatedSource("b:");
    const view = new StatsView([a, b]);
    const scraper = new Scraper([a, b]);
    const query = view.poll();
    const scrape = scraper.body("text", false);
    await tick();
    assert.deepEqual([a.polls, b.polls], [1, 1]);
    a.release();
    b.release();
    await Promise.all([query, scrape]);
    assert.equal(STALL_MS, VIEW_DEADLINE_MS);
  });

  it("the exporter keeps each source's state with its reason", async () => {
    const bad = new GatedSource("bad:");
    const scraper = new Scraper([bad]);
    const body = scraper.body("text", false);
    await tick();
    bad.fail(new Error("peer gone\nnow"));
    assert.match((await body).toString(), /^statsfs_exporter_source_up\{source="bad:"\} 0$/m);
    assert.deepEqual(scraper.states, [{ uri: "bad:", state: "failed", reason: "peer gone now" }]);
  });

  it("the filesystem's reason for a failed source is one escaped line", async () => {
    const bad = new GatedSource("fsbad:");
    const st = new SourceState(bad);
    const p = st.refresh(0);
    bad.fail(new Error("first \x1b[31mline\nsecond"));
    await p;
    assert.equal(st.failed, "first \\x1b[31mline second");
    assert.deepEqual(st.files, []);
  });

  it("a union's member reports which file is whose", async () => {
    const u = new UnionSource([new GatedSource("one:"), new GatedSource("three:")]);
    assert.deepEqual(
      u.files.map((f) => u.memberOf(f)),
      ["one:", "three:"],
    );
  });
});
