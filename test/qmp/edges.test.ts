/**
 * Edges of the QMP client, server and CLI: malformed peer replies (one line naming the JSON
 * path, u64 exact or refused), a busy server's socket left alone, socket paths that do not fit
 * or whose directory is missing, timeouts beyond Node's timers, ids read back from our own
 * server, and `info --vcpu` selections that match nothing.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { bufferIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run.js";
import { encodeStatsFile } from "../../src/codec/writer.js";
import { layOut } from "../../src/model/descriptor.js";
import { StatType } from "../../src/model/flags.js";
import { openSource } from "../../src/providers/registry.js";
import { QmpClient } from "../../src/qmp/client/client.js";
import { QmpListenError } from "../../src/qmp/errors.js";
import { JsonStreamParser, type StreamItem } from "../../src/qmp/json/streamer.js";
import { QmpServer } from "../../src/views/qmp/server.js";
import { cli } from "../helpers.js";

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\r\n';

/**
 * A QMP peer that greets like QEMU and answers each command with `answer(command)`: the text of
 * the `return` value, or a raw line (when it starts with "RAW:").
 */
async function fakePeer(path: string, answer: (command: string) => string): Promise<Server> {
  const server = createServer((s) => {
    s.on("error", () => undefined);
    s.write(GREETING);
    let buf = "";
    s.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const req = JSON.parse(buf.slice(0, nl)) as { execute: string; id?: number };
        buf = buf.slice(nl + 1);
        const a = req.execute === "qmp_capabilities" ? "{}" : answer(req.execute);
        s.write(a.startsWith("RAW:") ? a.slice(4) : `{"return": ${a}, "id": ${req.id}}\r\n`, "latin1");
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return server;
}

const SCHEMA_X = '[{"provider": "kvm", "target": "vm", "stats": [{"name": "x", "type": "cumulative", "exponent": 0}]}]';
const HIST_X =
  '[{"provider": "kvm", "target": "vm", "stats": [{"name": "x", "type": "log2-histogram", "unit": "nanoseconds", "base": 2, "exponent": 0}]}]';

describe("QMP edges: bad peers, paths and options", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "statsfs-qmp-e-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("a peer with no statistics (QEMU without KVM answers []) is still asked at every poll", async () => {
    const path = join(dir, "empty.sock");
    let mode: "empty" | "stats" | "stalled" = "empty";
    const asked: string[] = [];
    const server = await fakePeer(path, (command) => {
      asked.push(command);
      if (mode === "stalled") return "RAW:";
      if (mode === "empty") return "[]";
      return command === "query-stats-schemas" ? SCHEMA_X : '[{"provider": "kvm", "stats": [{"name": "x", "value": 5}]}]';
    });
    try {
      {
        await using s = await openSource(`qmp:${path}`);
        assert.deepEqual(s.files, []);
        mode = "stalled";
        await assert.rejects(s.poll({ timeoutMs: 100 }), /no reply to query-stats within 100 ms/, "a stalled peer is noticed");
      }
      mode = "empty";
      await using s = await openSource(`qmp:${path}`);
      asked.length = 0;
      await s.poll({ timeoutMs: 5000 });
      assert.deepEqual(asked, ["query-stats-schemas"], "the poll asked the peer");
      mode = "stats";
      await s.poll({ timeoutMs: 5000 });
      assert.deepEqual(
        s.files.map((f) => f.identity.id),
        ["kvm-0"],
        "statistics that appear are read",
      );
    } finally {
      server.close();
    }
  });

  it("refuses a peer's malformed replies in one line naming the JSON path; u64 stays exact", async () => {
    const cases: [schema: string, stats: string, error: string | undefined][] = [
      [SCHEMA_X, '[{"provider": "kvm", "stats": [{"name": "x", "value": 1.5}]}]', "query-stats reply [0].stats[0].value: 1.5 is not a u64"],
      [
        SCHEMA_X,
        '[{"provider": "kvm", "stats": [{"name": "x", "value": "abc"}]}]',
        'query-stats reply [0].stats[0].value: "abc" is not a u64',
      ],
      [SCHEMA_X, '[{"provider": "kvm", "stats": [{"name": "x", "value": -1}]}]', "query-stats reply [0].stats[0].value: -1 is not a u64"],
      [
        SCHEMA_X,
        '[{"provider": "kvm", "stats": [{"name": "x", "value": 36893488147419103231}]}]',
        "query-stats reply [0].stats[0].value: 36893488147419103231 is not a u64",
      ],
      [
        HIST_X,
        '[{"provider": "kvm", "stats": [{"name": "x", "value": [1, 2.5]}]}]',
        "query-stats reply [0].stats[0].value[1]: 2.5 is not a u64",
      ],
      [SCHEMA_X, '[{"provider": "kvm"}]', "query-stats reply [0].stats: missing"],
      [SCHEMA_X, '[{"provider": "kvm", "stats": [{"name": 5, "value": 1}]}]', "query-stats reply [0].stats[0].name: 5 is not a string"],
      [SCHEMA_X, "{}", "query-stats reply: an object is not a list"],
      ['[{"provider": "kvm", "target": "vm"}]', "[]", "query-stats-schemas reply [0].stats: missing"],
      [
        '[{"provider": "kvm", "target": "vm", "stats": [{"name": "x", "type": "cumulative", "exponent": 1.5}]}]',
        "[]",
        "query-stats-schemas reply [0].stats[0].exponent: 1.5 is not an int16",
      ],
      [SCHEMA_X, '[{"provider": "kvm", "stats": [{"name": "x", "value": 18446744073709551615}]}]', undefined],
    ];
    for (const [i, [schema, stats, error]] of cases.entries()) {
      const sock = join(dir, `fake${i}.sock`);
      const peer = await fakePeer(sock, (c) => (c === "query-stats-schemas" ? schema : stats));
      try {
        const r = await cli("read", `qmp:${sock}`, "--json");
        if (error === undefined) {
          assert.equal(r.code, 0, r.err);
          assert.match(r.out, /"value": 18446744073709551615/);
        } else {
          const target = error.startsWith("query-stats reply") ? " (target vm)" : "";
          assert.deepEqual([r.code, r.err], [2, `statsfs: qmp:${sock}: ${error}${target}\n`], stats);
        }
      } finally {
        peer.close();
      }
    }
  });

  it("escapes control characters of a peer's malformed reply", async () => {
    const sock = join(dir, "nul.sock");
    const peer = await fakePeer(sock, () => "RAW:\x00\x1b[31m garbage\r\n");
    try {
      const r = await cli("qmp", sock, "query-version");
      assert.equal(r.code, 2);
      assert.ok(![...r.err.slice(0, -1)].some((c) => c.charCodeAt(0) < 0x20), "no control character but the final line end");
      assert.match(r.err, /^statsfs: qmp unix:.*: malformed reply \(.*\\x00.*\)\n$/);
    } finally {
      peer.close();
    }
  });

  it("leaves a busy server's socket alone (EAGAIN on a full backlog is not a stale socket)", async () => {
    const sock = join(dir, "busy.sock");
    // A live server that does not accept: backlog 1, event loop blocked.
    const child: ChildProcess = spawn(
      process.execPath,
      [
        "-e",
        `require("net").createServer().listen(${JSON.stringify(sock)}, 1, () => { console.log("up"); Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15000); })`,
      ],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    const sockets: Socket[] = [];
    try {
      await new Promise<void>((r) => child.stdout?.once("data", () => r()));
      for (let i = 0; i < 8; i++) {
        const code = await new Promise<string>((resolve) => {
          const s = connect(sock);
          sockets.push(s);
          s.once("connect", () => resolve("connected"));
          s.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? "error"));
        });
        if (code === "EAGAIN") break;
      }
      await using sim = await openSource("sim:?vcpus=1");
      const outcome = await QmpServer.listen(sock, { sources: [sim] }).catch((e: unknown) => e);
      if (outcome instanceof QmpServer) await outcome.close();
      assert.ok(outcome instanceof QmpListenError, `refused: ${outcome}`);
      assert.match(outcome.message, /cannot tell whether another server is listening there \(the server is busy/);
      assert.ok(existsSync(sock), "the busy server's socket is still there");
    } finally {
      for (const s of sockets) s.destroy();
      child.kill("SIGKILL");
    }
  });

  it("refuses socket paths longer than sun_path holds, and names a missing directory", async () => {
    const base = join(dir, "paths");
    mkdirSync(base);
    const long = join(base, "s".repeat(108 - base.length - 1)); // 108 bytes: one too many
    assert.equal(Buffer.byteLength(long), 108);
    // (A serve that does start is stopped after 2 s rather than left running.)
    const io = bufferIo(AbortSignal.timeout(2000));
    const r = { code: await runCli(["serve", "--qmp", `unix:${long}`, "sim:"], io), err: io.err() };
    assert.deepEqual(
      [r.code, r.err],
      [2, `statsfs: serve: --qmp unix:${long}: socket path is 108 bytes, more than the 107 a Unix socket address holds\n`],
    );
    assert.deepEqual(readdirSync(base), [], "no shortened socket left behind");
    await using sim = await openSource("sim:?vcpus=1");
    await assert.rejects(QmpServer.listen({ kind: "unix", path: long }, { sources: [sim] }), /socket path is 108 bytes/);
    const c = await cli("read", `qmp:${long}`);
    assert.deepEqual(
      [c.code, c.err],
      [2, `statsfs: qmp:${long}: socket path is 108 bytes, more than the 107 a Unix socket address holds\n`],
    );
    await assert.rejects(QmpClient.connect({ kind: "unix", path: long }), /cannot connect: socket path is 108 bytes/);
    // 107 bytes fit.
    const fits = long.slice(0, -1);
    await using server = await QmpServer.listen(fits, { sources: [sim] });
    assert.deepEqual(readdirSync(base), [fits.slice(base.length + 1)]);
    await using client = await QmpClient.connect(fits);
    assert.ok(client.isStatsfs);
    await server.close();
    // A missing directory is named, not reported as "permission denied".
    const missing = join(dir, "nope", "x.sock");
    await assert.rejects(
      QmpServer.listen(missing, { sources: [sim] }),
      (e: unknown) => e instanceof QmpListenError && e.message === `unix:${missing}: cannot listen: no such directory ${join(dir, "nope")}`,
    );
    const m = await cli("read", `qmp:${missing}`);
    assert.deepEqual([m.code, m.err], [2, `statsfs: qmp unix:${missing}: cannot connect: no such directory ${join(dir, "nope")}\n`]);
    const e = await cli("read", "qmp:");
    assert.deepEqual([e.code, e.err], [2, "statsfs: qmp:: empty socket path\n"]);
  });

  it("refuses timeouts beyond Node's timers (2^31-1 ms) in one line, without a warning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const sock = join(dir, "t.sock");
      const r = await cli("read", `qmp:${sock}?timeout=3000000000`);
      assert.deepEqual(
        [r.code, r.err],
        [
          2,
          `statsfs: qmp:${sock}?timeout=3000000000: timeout must be a number of milliseconds from 1 to 2147483647, or a duration such as 2s\n`,
        ],
      );
      const q = await cli("qmp", sock, "query-version", "--timeout", "2147483648");
      assert.deepEqual(
        [q.code, q.err],
        [2, 'statsfs: qmp: --timeout must be a number of milliseconds from 1 to 2147483647, or a duration such as 2s, got "2147483648"\n'],
      );
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(warnings, []);
    } finally {
      process.off("warning", onWarning);
    }
  });

  it("reads our own server's VM back under its id (kvm-77 beside kvm-77/vcpu-0)", async () => {
    const files = join(dir, "ids");
    mkdirSync(files);
    const vm = layOut([{ name: "pages" }]);
    const vcpu = layOut([{ name: "exits" }, { name: "hist", type: StatType.Log2Histogram, size: 2 }]);
    writeFileSync(join(files, "a.stats"), encodeStatsFile({ id: "kvm-77", descriptors: vm.descriptors, data: new BigUint64Array([1n]) }));
    for (const n of [0, 1]) {
      writeFileSync(
        join(files, `v${n}.stats`),
        encodeStatsFile({ id: `kvm-77/vcpu-${n}`, descriptors: vcpu.descriptors, data: new BigUint64Array([2n, 3n, 4n]) }),
      );
    }
    await using src = await openSource(files);
    const sock = join(dir, "ids.sock");
    await using server = await QmpServer.listen(sock, { sources: [src] });
    void server;
    await using q = await openSource(`qmp:${sock}`);
    assert.deepEqual(
      q.files.map((f) => f.identity.id),
      ["kvm-77", "kvm-77/vcpu-0", "kvm-77/vcpu-1"],
    );
    const out = join(dir, "snap");
    const r = await cli("snapshot", `qmp:${sock}`, "--out", out);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(out).sort(), ["kvm-77.stats", "kvm-77.vcpu-0.stats", "kvm-77.vcpu-1.stats"]);
  });

  it("info --vcpu must name a vCPU, and only with --target vcpu", async () => {
    for (const v of ["99", "2", "/nope", "1.5"]) {
      const r = await cli("info", "sim:?vcpus=2", "--target", "vcpu", "--vcpu", v);
      assert.equal(r.code, 2, v);
      assert.equal(r.out, "");
      assert.match(
        r.err,
        new RegExp(
          `^statsfs: info: --vcpu ${v.replace(".", "\\.")}: no (such vCPU \\(the source has 2 vCPUs, 0 to 1\\)|vCPU has this qom-path or id .*)\\n$`,
        ),
      );
    }
    const vm = await cli("info", "sim:?vcpus=2", "--vcpu", "0");
    assert.deepEqual([vm.code, vm.err], [2, "statsfs: info: --vcpu applies to --target vcpu only\n"]);
    for (const v of ["1", "/kvm-0/vcpu-1", "kvm-0/vcpu-1", "all"]) {
      const r = await cli("info", "sim:?vcpus=2", "--target", "vcpu", "--vcpu", v);
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /exits \(cumulative\)/);
    }
  });

  it("the JSON streamer caps a message's tokens with QEMU's error and stops feeding on request", () => {
    const items: StreamItem[] = [];
    const p = new JsonStreamParser({ maxBytes: 1 << 20, maxNesting: 1024, maxTokens: 10 }, (i) => items.push(i));
    // [1,2,3,4,5] is 11 tokens; 10 are allowed. QEMU: "JSON token count limit exceeded".
    p.feed(Buffer.from("[1,2,3,4,5] [1,2,3,4] {"));
    assert.deepEqual(
      items.map((i) => (i.ok ? "ok" : i.error)),
      ["JSON token count limit exceeded", "ok"],
    );
    assert.equal(p.idle, false);
    // Stop after each message: feed() says how far it got; the rest is fed later.
    const got: StreamItem[] = [];
    const q = new JsonStreamParser({ maxBytes: 1 << 20, maxNesting: 1024 }, (i) => {
      got.push(i);
      return false;
    });
    const input = Buffer.from('{"a":1} [2]  3 x');
    const stops: number[] = [];
    for (let at = 0; at < input.length; ) {
      at = q.feed(input, at);
      stops.push(at);
    }
    assert.deepEqual(stops, [7, 11, 15, 16]);
    assert.equal(got.length, 3);
  });
});
