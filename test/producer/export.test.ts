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
import { BinaryStatsReader, kernelLayout, readSchema } from "../../src/codec/index.js";
import { DefinitionError } from "../../src/errors.js";
import { StatType, StatUnit } from "../../src/model/flags.js";
import { statValue } from "../../src/model/value.js";
import { createSource, register } from "../../src/producer/index.js";
import { fdPread } from "../../src/providers/file/pread-fd.js";
import { openSource } from "../../src/providers/registry.js";
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
  it("are kernel-layout stats files whose data block is live", () => {
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
    using reg = register(app, { export: { dir, instance: "t1" } });
    const path = join(dir, "app", "t1.stats");
    assert.deepEqual(reg.exporter?.filesOf(app), [path]);
    const fd = openSync(path, "r");
    const reader = new BinaryStatsReader(fdPread(fd));
    assert.equal(reader.id, "statsfs-t1/app");
    assert.deepEqual(reader.layout, kernelLayout(5, 48));
    const ds = reader.schema.descriptors;
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
    assert.equal(statValue(d0, reader.data), 41n, "values written before the export are carried over");
    const head = readFileSync(path).subarray(0, reader.layout.dataOffset);
    // Writes land in the file, visible to a plain pread, and nowhere but the data block.
    v.requests.inc();
    v.wait_ns.record(1500);
    v.mem.setBig(2n ** 60n + 1n);
    v.busy.set(1);
    for (let i = 0; i < 100_000; i++) v.requests.inc();
    reader.poll();
    assert.equal(statValue(d0, reader.data), 100_042n);
    assert.equal((statValue(ds[1] as never, reader.data) as bigint[])[11], 1n);
    assert.equal(statValue(ds[2] as never, reader.data), 2n ** 60n + 1n);
    assert.equal(statValue(ds[3] as never, reader.data), true);
    assert.deepEqual(readFileSync(path).subarray(0, reader.layout.dataOffset), head);
  });

  it("round-trip through statsfs read and pass statsfs check", async () => {
    const dir = join(tmp, "cli");
    using svc = createSource("svc");
    const v = svc.addValues({ big: {}, lat: { type: "log2-histogram", buckets: 8 } });
    v.big.addBig(2n ** 64n - 3n);
    v.lat.record(5);
    svc.addSubordinate(createSource("http")).addValues({ hits: {} }).hits.add(12);
    using _reg = register(svc, { export: { dir, instance: "c1" } });
    const file = join(dir, "svc", "c1.stats");
    const json = await cli("read", `file:${file}`, "--json");
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
    for (const src of [`file:${file}`, `file:${join(dir, "svc", "http", "c1.stats")}`, `shm:svc?dir=${dir}&instances=all`]) {
      const c = await cli("check", src);
      assert.equal(c.code, 0, `${src}: ${c.out}${c.err}`);
    }
    const missing = await cli("read", `shm:nothing?dir=${dir}`);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /^statsfs: .*nothing exported as "nothing"/);
  });

  it("replace the file when values are added; old readers keep a consistent old file", async () => {
    const dir = join(tmp, "grow");
    using g = createSource("grow");
    const v1 = g.addValues({ a: {} });
    using _reg = register(g, { export: { dir, instance: "x" } });
    const path = join(dir, "grow", "x.stats");
    v1.a.add(5);
    const ino = statSync(path).ino;
    const old = new BinaryStatsReader(fdPread(openSync(path, "r")));
    await using shm = await openSource(`shm:grow?dir=${dir}`);
    assert.equal(valueIn(shm, "statsfs/grow", "a"), 5n);

    const v2 = g.addValues({ b: { type: "instant" } });
    v1.a.add(1);
    v2.b.set(9);
    assert.notEqual(statSync(path).ino, ino, "a new file was renamed over the old one");
    // The old fd still decodes its own schema; its values froze at the switch.
    old.poll();
    assert.equal(old.schema.descriptors.length, 1);
    assert.equal(statValue(old.schema.descriptors[0] as never, old.data), 5n);
    // A polling reader notices the new inode and re-reads the schema.
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/grow", "a"), 6n);
    assert.equal(valueIn(shm, "statsfs/grow", "b"), 9n);
    assert.equal(readSchema(fdPread(openSync(path, "r"))).schema.descriptors.length, 2);
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
    assert.ok(existsSync(join(dir, "t", "conn-1", "p.stats")));
    assert.ok(existsSync(join(dir, "t", "empty")), "a source without values still has its directory");
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/t", "bytes"), 7n);
    assert.equal(valueIn(shm, "statsfs/t/conn-1", "bytes"), 7n);
    conn.close();
    assert.ok(!existsSync(join(dir, "t", "conn-1")));
    await shm.poll();
    assert.equal(valueIn(shm, "statsfs/t", "bytes"), undefined);
    assert.equal(shm.files.length, 1);
    // A removed subordinate keeps counting on its own memory and can come back.
    root.removeSubordinate(empty);
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
