/**
 * A producer's exported files (statsfs/producer export): layout, directories, failures.
 * @serial: "fails fast" is timed; the concurrent pass on two loaded cores made it take 8 s.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { decodeBundleHeader } from "../../src/codec/bundle.js";
import { DefinitionError } from "../../src/errors.js";
import { StatType, StatUnit } from "../../src/model/flags.js";
import { statValue } from "../../src/model/value.js";
import { createSource, register } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import { BundleReader } from "../../src/providers/shm/bundle-reader.js";
import type { StatsSource } from "../../src/providers/source.js";
import { cli } from "../helpers.js";

const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();
const tmp = mkdtempSync(join(base, "statsfs-exp-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

function valueIn(s: StatsSource, id: string, name: string) {
  const f = s.files.find((x) => x.identity.id === id);
  const d = f?.schema.descriptors.find((x) => x.name === name);
  return f && d ? statValue(d, f.data) : undefined;
}

describe("exported files", () => {
  it("are bundle files (every source of the tree in one) whose data area is live", () => {
    const dir = join(tmp, "layout");
    using app = createSource("app");
    const v = app.addValues({
      requests: {},
      wait_ns: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 32 },
      mem: { type: "instant", unit: "bytes", base: 2, exponent: 10 },
      busy: { type: "instant", unit: "boolean" },
      q: { type: "linear-histogram", buckets: 5, bucketSize: 10 },
    });
    v.requests.add(41);
    const sub = app.addSubordinate(createSource("sub"));
    sub.addValues({ hits: {} }).hits.add(3);
    using reg = register(app, { export: { dir, instance: "t1" } });
    const path = join(dir, "app", "t1.stats");
    assert.deepEqual(reg.exporter?.filesOf(app), [path]);
    assert.deepEqual(reg.exporter?.filesOf(sub), [path], "a subordinate lives in its tree's file");
    assert.deepEqual(readdirSync(join(dir, "app")), ["t1.stats"]);
    const reader = new BundleReader(openSync(path, "r"), path, 0, "t1");
    assert.deepEqual(
      reader.files.map((f) => f.identity.id),
      ["statsfs-t1/app", "statsfs-t1/app/sub"],
    );
    const top = reader.files[0];
    assert.ok(top);
    const ds = top.schema.descriptors;
    assert.deepEqual(
      ds.map((d) => [d.name, d.type, d.unit, d.base, d.exponent, d.size, d.offset, d.bucketSize]),
      [
        ["requests", StatType.Cumulative, StatUnit.None, 0, 0, 1, 0, 0],
        ["wait_ns", StatType.Log2Histogram, StatUnit.Seconds, 0, -9, 32, 8, 0],
        ["mem", StatType.Instant, StatUnit.Bytes, 1, 10, 1, 264, 0],
        ["busy", StatType.Instant, StatUnit.Boolean, 0, 0, 1, 272, 0],
        ["q", StatType.LinearHistogram, StatUnit.None, 0, 0, 5, 280, 10],
      ],
    );
    const d0 = ds[0];
    assert.ok(d0);
    assert.equal(statValue(d0, top.data), 41n, "values written before the export are carried over");
    const h = decodeBundleHeader(readFileSync(path), statSync(path).size);
    const outside = () => {
      const all = readFileSync(path);
      return Buffer.concat([all.subarray(0, h.dataOffset), all.subarray(h.dataOffset + h.dataCapacity)]);
    };
    const before = outside();
    // Writes land in the file, visible to a plain pread, and nowhere but the data area.
    v.requests.inc();
    v.wait_ns.record(1500);
    v.mem.setBig(2n ** 60n + 1n);
    v.busy.set(1);
    for (let i = 0; i < 100_000; i++) v.requests.inc();
    assert.equal(reader.poll(), false, "values alone leave the table as it was");
    assert.equal(statValue(d0, top.data), 100_042n);
    assert.equal((statValue(ds[1] as never, top.data) as bigint[])[11], 1n);
    assert.equal(statValue(ds[2] as never, top.data), 2n ** 60n + 1n);
    assert.equal(statValue(ds[3] as never, top.data), true);
    assert.equal(statValue(reader.files[1]?.schema.descriptors[0] as never, reader.files[1]?.data as BigUint64Array), 3n);
    assert.deepEqual(outside(), before);
    reader.close();
  });

  it("round-trip through statsfs read and pass statsfs check", async () => {
    const dir = join(tmp, "cli");
    using svc = createSource("svc");
    const v = svc.addValues({ big: {}, lat: { type: "log2-histogram", buckets: 8 } });
    v.big.addBig(2n ** 64n - 3n);
    v.lat.record(5);
    svc.addSubordinate(createSource("http")).addValues({ hits: {} }).hits.add(12);
    using _reg = register(svc, { export: { dir, instance: "c1" } });
    const json = await cli("read", `shm:svc?dir=${dir}&instances=all`, "--json");
    assert.equal(json.code, 0, json.err);
    assert.match(json.out, /"value": 18446744073709551613/);
    assert.match(json.out, /"id": "statsfs-c1\/svc"/);
    assert.match(json.out, /"provider": "statsfs"/);
    assert.match(json.out, /"target": "svc"/);
    const shm = await cli("read", `shm:svc?dir=${dir}`, "--json");
    assert.equal(shm.code, 0, shm.err);
    const results = JSON.parse(shm.out.replace(/(\d{16,})/g, '"$1"')) as { id: string; stats: { name: string; value: unknown }[] }[];
    assert.deepEqual(
      results.map((r) => r.id),
      ["statsfs/svc", "statsfs/svc/http"],
    );
    assert.deepEqual(results[0]?.stats, [
      { name: "big", value: "18446744073709551613" },
      { name: "lat", value: [0, 0, 0, 1, 0, 0, 0, 0] },
      { name: "hits", value: 12 },
    ]);
    const text = await cli("read", `shm:svc/http?dir=${dir}`);
    assert.match(text.out, /statsfs\/svc\/http \(statsfs http \/svc\/http\)/);
    for (const src of [`shm:svc?dir=${dir}&instances=all`, `shm:svc/http?dir=${dir}&instances=all`]) {
      const c = await cli("check", src);
      assert.equal(c.code, 0, `${src}: ${c.out}${c.err}`);
    }
    const missing = await cli("read", `shm:nothing?dir=${dir}`);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^statsfs: .*nothing exported as "nothing"/);
    const missingSub = await cli("read", `shm:svc/nothing?dir=${dir}`);
    assert.equal(missingSub.code, 2);
    assert.match(missingSub.err, /^statsfs: .*nothing exported as "svc\/nothing"/);
  });

  it("values added within room: same file, a new generation; beyond room: a bigger file renamed over, old readers keep a consistent old file", async () => {
    const dir = join(tmp, "grow");
    using g = createSource("grow");
    const v1 = g.addValues({ a: {} });
    using _reg = register(g, { export: { dir, instance: "x" } });
    const path = join(dir, "grow", "x.stats");
    v1.a.add(5);
    const ino = statSync(path).ino;
    const gen0 = decodeBundleHeader(readFileSync(path), statSync(path).size).generation;
    await using shm = await openSource(`shm:grow?dir=${dir}`);
    assert.equal(valueIn(shm, "statsfs/grow", "a"), 5n);

    const v2 = g.addValues({ b: { type: "instant" } });
    v1.a.add(1);
    v2.b.set(9);
    assert.equal(statSync(path).ino, ino, "values that fit go into the same file");
    assert.equal(decodeBundleHeader(readFileSync(path), statSync(path).size).generation, gen0 + 2, "one change: one generation");
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/grow", "a"), 6n);
    assert.equal(valueIn(shm, "statsfs/grow", "b"), 9n);

    const old = new BundleReader(openSync(path, "r"), path, 0, "x");
    // 200 buckets (1,600 bytes) do not fit the data area: a new file is renamed over the old.
    const v3 = g.addValues({ h: { type: "linear-histogram", buckets: 200, bucketSize: 1 } });
    v1.a.add(1);
    v3.h.record(3);
    assert.notEqual(statSync(path).ino, ino, "a new file was renamed over the old one");
    // The old fd still decodes its own table; its values froze at the switch.
    old.poll();
    assert.equal(old.files[0]?.schema.descriptors.length, 2);
    assert.equal(statValue(old.files[0]?.schema.descriptors[0] as never, old.files[0]?.data as BigUint64Array), 6n);
    old.close();
    // A polling reader notices the new inode and re-reads the table.
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/grow", "a"), 7n);
    assert.equal(valueIn(shm, "statsfs/grow", "b"), 9n);
    assert.equal((valueIn(shm, "statsfs/grow", "h") as bigint[])[3], 1n);
    assert.deepEqual(readdirSync(join(dir, "grow")), ["x.stats"], "no temporary files are left");
  });

  it("follow the tree: subordinates appear and disappear, close removes everything", async () => {
    const dir = join(tmp, "tree");
    const root = createSource("t");
    root.addValues({ n: {} });
    const reg = register(root, { export: { dir, instance: "p" } });
    await using shm = await openSource(`shm:t?dir=${dir}`);
    const conn = root.addSubordinate(createSource("conn-1"));
    conn.addValues({ bytes: {} }).bytes.add(7);
    const empty = root.addSubordinate(createSource("empty"));
    assert.deepEqual(readdirSync(join(dir, "t")), ["p.stats"], "one file for the whole tree");
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/t", "bytes"), 7n);
    assert.equal(valueIn(shm, "statsfs/t/conn-1", "bytes"), 7n);
    conn.close();
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/t", "bytes"), undefined);
    assert.equal(valueIn(shm, "statsfs/t/conn-1", "bytes"), undefined);
    // A removed subordinate keeps counting on its own memory and can come back.
    root.removeSubordinate(empty);
    await shm.poll();
    assert.equal(shm.files.length, 1);
    reg.close();
    assert.deepEqual(readdirSync(dir), []);
    root.close();
  });
});

describe("export directories that cannot be made", () => {
  const CHILD = fileURLToPath(new URL("./fixtures/export-dir-child.js", import.meta.url));
  const procSkip = existsSync("/proc/self") ? false : "no procfs";

  interface ChildResult {
    ok?: true;
    name?: string;
    code?: string;
    message?: string;
    registered?: boolean;
    retried?: boolean | string;
  }

  /**
   * Registers an exported source in a child process killed after 10 s: Node's recursive mkdir
   * spins forever under /proc, which would hang this test file instead of failing it.
   */
  function exportInChild(args: string[], env: Record<string, string> = {}): { ms: number; result: ChildResult } {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [CHILD, ...args], {
      env: { ...process.env, ...env, STATSFS_EXPORT_DIR_CHILD: "1" },
      encoding: "utf8",
      timeout: 10_000,
      killSignal: "SIGKILL",
    });
    const ms = Date.now() - t0;
    assert.equal(r.signal, null, `the export hung (killed after ${ms} ms)`);
    assert.equal(r.status, 0, r.stderr);
    return { ms, result: JSON.parse(r.stdout.trim()) as ChildResult };
  }

  function assertProcRefused(result: ChildResult): void {
    assert.equal(result.name, "SourceError", JSON.stringify(result));
    assert.equal(result.code, "STATSFS_EXPORT");
    assert.match(
      result.message ?? "",
      /^export directory "\/proc\/statsfs-test\/x": cannot create "\/proc\/statsfs-test": ENOENT: no such file or directory$/,
    );
    assert.equal(result.registered, false);
  }

  it("fails fast with a one-line SourceError for an export dir under /proc", { skip: procSkip }, () => {
    const { ms, result } = exportInChild(["/proc/statsfs-test/x", join(tmp, "after-proc")]);
    assertProcRefused(result);
    assert.equal(result.retried, true);
    assert.ok(ms < 5_000, `took ${ms} ms`);
  });

  it("fails fast with a one-line SourceError for STATSFS_DIR under /proc", { skip: procSkip }, () => {
    const { ms, result } = exportInChild([], { STATSFS_DIR: "/proc/statsfs-test/x" });
    assertProcRefused(result);
    assert.ok(ms < 5_000, `took ${ms} ms`);
  });

  it("creates missing parents one level at a time, and refuses a file in the way", () => {
    const deep = join(tmp, "a", "b", "c");
    using src = createSource("deep");
    src.addValues({ c: {} });
    using reg = register(src, { export: { dir: deep, instance: "d" } });
    assert.ok(statSync(join(deep, "deep")).isDirectory());
    assert.ok(existsSync(join(deep, "deep", "d.stats")));
    reg.close();
    writeFileSync(join(tmp, "a", "file"), "x");
    using other = createSource("other");
    assert.throws(
      () => register(other, { export: { dir: join(tmp, "a", "file", "sub") } }),
      (e: unknown) => e instanceof DefinitionError && /^export path ".*\/a\/file" exists and is not a directory$/.test(e.message),
    );
    assert.equal(other.registered, false);
  });
});
