/**
 * Every view of a producer cluster shows the numbers `read` shows, or documented aggregates of
 * them, never a double count (sample/producer). Two worker processes with a subordinate
 * and a label set each, frozen with SIGSTOP so every number is still.
 */
import assert from "node:assert/strict";
import { type ChildProcess, fork } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { bufferIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run.js";
import { statValue } from "../../src/model/value.js";
import { openSource } from "../../src/providers/registry.js";
import { UnionSource } from "../../src/providers/union.js";
import { Sampler } from "../../src/sample/sampler.js";
import { SourceSet } from "../../src/views/fs/sources.js";
import { type FileNode, Tree } from "../../src/views/fs/tree.js";
import { fieldSums } from "../../src/views/log/index.js";
import { eventGroups } from "../../src/views/top/events.js";
import { kvmFrame, type ViewState } from "../../src/views/top/kvm-frame.js";
import { cli } from "../helpers.js";

const WORKER = fileURLToPath(new URL("./fixtures/cluster-worker.js", import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "statsfs-views-"));
const dir = join(tmp, "exports");
const SRC = `shm:app?dir=${dir}`;
const kids: ChildProcess[] = [];

function start(instance: string, k: number): Promise<ChildProcess> {
  const proc = fork(WORKER, [dir, instance, String(k)], { stdio: ["ignore", "inherit", "inherit", "ipc"] });
  kids.push(proc);
  return new Promise((resolve, reject) => {
    proc.once("message", () => resolve(proc));
    proc.once("exit", (c) => reject(new Error(`worker exited ${c}`)));
  });
}

/** read --json's values: file id → statistic → value (histograms: their sample count). */
async function readValues(): Promise<Map<string, Map<string, bigint>>> {
  const r = await cli("read", "--json", SRC);
  assert.equal(r.code, 0, r.err);
  const out = new Map<string, Map<string, bigint>>();
  for (const f of JSON.parse(r.out) as { id: string; stats: { name: string; value: number | number[] }[] }[]) {
    out.set(
      f.id,
      new Map(f.stats.map((s) => [s.name, Array.isArray(s.value) ? s.value.reduce((a, b) => a + BigInt(b), 0n) : BigInt(s.value)])),
    );
  }
  return out;
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

describe("views of a producer cluster agree with read (still workers)", () => {
  let read: Map<string, Map<string, bigint>>;
  before(async () => {
    const w = await Promise.all([start("w1", 1), start("w2", 2)]);
    for (const p of w) p.kill("SIGSTOP");
    read = await readValues();
  });
  after(() => {
    for (const k of kids) {
      k.kill("SIGKILL");
      k.kill("SIGCONT");
    }
    rmSync(tmp, { recursive: true, force: true });
  });

  it("read shows the merged root, per-process files, the subordinate and the label set", () => {
    assert.equal(read.get("statsfs/app")?.get("requests"), 3030n, "3000 own + 30 labelled");
    assert.equal(read.get("statsfs/app")?.get("hits"), 300n);
    assert.equal(read.get("statsfs-w1/app")?.get("requests"), 1000n);
    assert.equal(read.get("statsfs/app/db")?.get("hits"), 300n);
  });

  it("top -1 and log sum each value once: the root's, as read shows it", async () => {
    const root = read.get("statsfs/app") as Map<string, bigint>;
    const r = await cli("top", "-1", "-s", "0.1", SRC);
    assert.equal(r.code, 0, r.err);
    const lines = new Map(
      r.out
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, 42).trim(), BigInt(l.slice(42, 52).trim())]),
    );
    assert.equal(lines.get("requests"), root.get("requests"));
    assert.equal(lines.get("hits"), root.get("hits"));
    assert.equal(lines.get("lat"), root.get("lat"));
    await using s = await openSource(SRC);
    const sampler = new Sampler(s);
    await sampler.sample();
    const sums = fieldSums(await sampler.sample());
    assert.equal(sums.get("requests")?.total, root.get("requests"));
    assert.equal(sums.get("hits")?.total, root.get("hits"));
  });

  it("log deltas are the merged file's delta, not the sum of every file's", async () => {
    await using s = await openSource(SRC);
    const sampler = new Sampler(s);
    await sampler.sample();
    for (const k of kids) k.kill("SIGCONT");
    await Promise.all(
      kids.map(
        (k) =>
          new Promise<void>((resolve) => {
            k.once("message", () => resolve());
            k.send({ inc: 250 });
          }),
      ),
    );
    for (const k of kids) k.kill("SIGSTOP");
    const sample = await sampler.sample();
    const merged = sample.files.find((f) => f.file.identity.id === "statsfs/app");
    const d = merged?.file.schema.descriptors.find((x) => x.name === "requests");
    assert.ok(merged?.prev && d);
    const mergedDelta = (statValue(d, merged.file.data) as bigint) - (statValue(d, merged.prev) as bigint);
    assert.equal(mergedDelta, 500n);
    assert.equal(fieldSums(sample).get("requests")?.delta, mergedDelta);
    read = await readValues();
  });

  it("top shows each producer source once, its rows as read shows them, a Total of counts only", async () => {
    await using s = await openSource(SRC);
    const sampler = new Sampler(s);
    await sampler.sample();
    const groups = eventGroups(await sampler.sample());
    const titles = groups.map((g) => g.title);
    assert.equal(new Set(titles).size, titles.length, `no group twice: ${titles.join(" | ")}`);
    assert.ok(!titles.some((t) => t.includes("files")), titles.join(" | "));
    // The root and its subordinate; the label set is a part of the root's requests row (x).
    assert.equal(groups.length, 2, titles.join(" | "));
    const text = kvmFrame({ groups, gone: [], notes: [], state: state() })
      .map((l) => l.text)
      .join("\n");
    const root = read.get("statsfs/app") as Map<string, bigint>;
    const rowOf = (name: string) => text.split("\n").find((l) => l.trim().startsWith(`${name} `));
    assert.match(rowOf("requests") ?? "", new RegExp(`\\s${root.get("requests")}\\s`));
    const total = (root.get("requests") as bigint) + (root.get("hits") as bigint);
    assert.match(text, new RegExp(`Total\\s+${total}\\b`), "the root's Total is requests + hits, without lat's sample count");
    // b: one row per producer, its counts once.
    const b = kvmFrame({ groups, gone: [], notes: [], state: state({ byGuest: true }) })
      .map((l) => l.text)
      .join("\n");
    assert.match(b, new RegExp(`/app\\s+${total}\\b`), b);
    assert.match(b, new RegExp(`Total\\s+${total}\\b`), b);
    // x: the root's parts are its processes, as read shows them.
    const x = kvmFrame({
      groups: eventGroups(await sampler.sample(), { parts: true }),
      gone: [],
      notes: [],
      state: state({ drill: true }),
    })
      .map((l) => l.text)
      .join("\n");
    assert.match(x, new RegExp(`instance w1\\s+${read.get("statsfs-w1/app")?.get("requests")}\\b`), x);
    assert.match(x, new RegExp(`instance w2\\s+${read.get("statsfs-w2/app")?.get("requests")}\\b`), x);
    assert.ok(
      x
        .split("\n")
        .some(
          (l) =>
            l.includes('{method="GET",route="/users/:id"}') &&
            l.includes(` ${read.get("statsfs/app/{method=GET,route=%2Fusers%2F:id}")?.get("requests")} `),
        ),
      x,
    );
  });

  it("top's plain frames show the root once with read's numbers", async () => {
    const r = await cli("top", "--count", "1", "-s", "0.1", SRC);
    assert.equal(r.code, 0, r.err);
    const heads = r.out.split("\n").filter((l) => l.startsWith(" statsfs"));
    assert.equal(heads.length, 2, r.out);
    assert.match(r.out, new RegExp(`requests\\s+${read.get("statsfs/app")?.get("requests")}\\s`));
  });

  it("label sets read as humans write them in read, top, snapshot names and QMP ids", async () => {
    const human = '{method="GET",route="/users/:id"}';
    const r = await cli("read", SRC);
    assert.ok(r.out.includes(`statsfs/app${human} (statsfs app /app${human})`), r.out);
    assert.doesNotMatch(r.out, /%2F/);
    // A histogram's long value overflows its own row: the scalar rows' units stay near.
    for (const l of r.out.split("\n").filter((x) => x.startsWith("  requests"))) assert.ok(l.trimEnd().length < 50, l);
    await using src = await openSource(SRC);
    const groups = eventGroups(await new Sampler(src).sample(), { parts: true });
    const x = kvmFrame({ groups, gone: [], notes: [], state: state({ drill: true }) })
      .map((l) => l.text)
      .join("\n");
    assert.ok(x.includes(`  ${human}`), x);
    assert.doesNotMatch(x, /%2F/);
    const out = join(tmp, "snap");
    assert.equal((await cli("snapshot", SRC, "--out", out)).code, 0);
    assert.ok(readdirSync(out).includes('statsfs.app.{method="GET",route="%2Fusers%2F:id"}.stats'), readdirSync(out).join(" "));
    const sock = join(tmp, "qmp.sock");
    const ac = new AbortController();
    const io = bufferIo(ac.signal);
    const served = runCli(["serve", "--qmp", `unix:${sock}`, SRC], io);
    for (let i = 0; i < 200 && !io.err().includes("serving QMP"); i++) await new Promise((res) => setTimeout(res, 25));
    try {
      const q = await cli("read", "--json", `qmp:${sock}`);
      assert.equal(q.code, 0, q.err);
      const ids = (JSON.parse(q.out) as { id: string }[]).map((f) => f.id);
      assert.ok(ids.includes("statsfs/app/{method=GET,route=%2Fusers%2F:id}"), ids.join(" "));
      assert.ok(!ids.some((id) => /-\d+$/.test(id) && id.includes("{")), ids.join(" "));
      const qr = await cli("read", `qmp:${sock}`);
      assert.ok(qr.out.includes(`statsfs/app${human}`), qr.out);
    } finally {
      ac.abort();
      await served;
    }
  });

  it("mount: per-worker files of writable values are writable, and writing 0 resets that worker's", async () => {
    await using src = await openSource(SRC);
    const t = new Tree(new SourceSet([src], 0, 0).refs());
    const mine = t.byPath.get("/statsfs/app/@w1/requests") as FileNode | undefined;
    assert.ok(mine?.kind === "file" && mine.reset, "per-worker requests is writable");
    assert.ok((t.byPath.get("/statsfs/app/@w1/lat") as FileNode | undefined)?.reset === undefined, "lat is not writable");
    assert.ok(t.byPath.has('/statsfs/app/{method="GET",route="%2Fusers%2F:id"}/requests'), [...t.byPath.keys()].join(" "));
    mine.reset?.();
    (src as { pollSync(): void }).pollSync();
    const after = await readValues();
    assert.equal(after.get("statsfs-w1/app")?.get("requests"), 0n);
    assert.equal(after.get("statsfs-w2/app")?.get("requests"), read.get("statsfs-w2/app")?.get("requests"));
    read = after;
  });

  it("info shows each source once (the merged file)", async () => {
    const r = await cli("info", "--target", "app", SRC);
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out.match(/^qom-path: \/app\n/gm)?.length, 1, r.out);
    assert.match(r.out, /^qom-path: \/app\{method="GET",route="\/users\/:id"\}\n/m);
    assert.match(
      r.out,
      new RegExp(
        `^qom-path: /app\\nprovider: statsfs\\n    requests \\(cumulative\\): ${read.get("statsfs/app")?.get("requests")}\\n`,
        "m",
      ),
    );
  });
});

describe("top's Total row", () => {
  it("sums counters, not histogram sample counts (halt_wait_hist repeats halt_exits)", async () => {
    await using s = await openSource("sim:?vcpus=1");
    const sampler = new Sampler(s);
    await sampler.sample();
    const groups = eventGroups(await sampler.sample());
    const vcpu = groups.find((g) => g.labels.target === "vcpu");
    assert.ok(vcpu);
    let counts = 0n;
    for (const r of vcpu.rows) if (r.kind === "count" && !r.buckets) counts += BigInt(r.total);
    assert.ok(
      vcpu.rows.some((r) => r.buckets && r.total > 0n),
      "the sim has a non-empty histogram",
    );
    const text = kvmFrame({ groups: [vcpu], gone: [], notes: [], state: state({ all: true }) })
      .map((l) => l.text)
      .join("\n");
    assert.match(text, new RegExp(`Total\\s+${counts}\\b`), text);
  });
});

describe("mount over a union", () => {
  it("keeps each member's files together (two snapshots of VMs with the same ids)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statsfs-mu-"));
    try {
      for (const n of ["a", "b"]) assert.equal((await cli("snapshot", "sim:?vcpus=2&pid=7", "--out", join(dir, n))).code, 0);
      await using a = await openSource(join(dir, "a"));
      await using b = await openSource(join(dir, "b"));
      const t = new Tree(new SourceSet([new UnionSource([a, b])], 0, 0).refs());
      const paths = [...t.byPath.keys()];
      for (const m of ["member-0", "member-1"]) {
        assert.ok(t.byPath.has(`/kvm/${m}/7/exits`) || t.byPath.has(`/kvm/${m}/7/.stats`), paths.join(" "));
        for (const v of ["vcpu-0", "vcpu-1"]) assert.ok(t.byPath.has(`/kvm/${m}/7/${v}/exits`), paths.join(" "));
      }
      assert.ok(!paths.some((p) => p.includes("~2")), paths.join(" "));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
