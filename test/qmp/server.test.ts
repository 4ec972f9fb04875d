/**
 * Our QMP server and client without QEMU: u64 values end to end, the Unix socket's life cycle,
 * TCP only on request, many clients, bad input, oversized input, clients that vanish, and the
 * CLI's `serve`, `qmp` and one-line errors.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { bufferIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run.js";
import { encodeStatsFile } from "../../src/codec/writer.js";
import { layOut } from "../../src/model/descriptor.js";
import { StatType, StatUnit } from "../../src/model/flags.js";
import { QmpStatsSource } from "../../src/providers/qmp/source.js";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { QmpClient } from "../../src/qmp/client/client.js";
import { QmpConnectError, QmpListenError, QmpProtocolError } from "../../src/qmp/errors.js";
import { QmpServer } from "../../src/views/qmp/server.js";
import { cli } from "../helpers.js";
import { RawQmp } from "./raw.js";

const MAX = (1n << 64n) - 1n;

describe("QMP server and client (no QEMU)", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "statsfs-qmp-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("2^64-1 in a binary stats file reaches our client exactly, histograms in bucket order", async () => {
    const files = join(dir, "big");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(files);
    const vm = layOut([{ name: "big" }, { name: "mid", type: StatType.Instant }]);
    const vcpu = layOut([
      { name: "exits" },
      { name: "hist", type: StatType.Log2Histogram, size: 4, unit: StatUnit.Seconds, exponent: -9 },
      { name: "lin", type: StatType.LinearHistogram, size: 3, bucketSize: 5 },
      { name: "on", type: StatType.Instant, unit: StatUnit.Boolean },
    ]);
    const vmData = new BigUint64Array([MAX, (1n << 53n) + 1n]);
    const vcpuData = new BigUint64Array([MAX - 1n, MAX, 0n, 1n << 63n, 1n, 7n, 8n, 9n, 1n]);
    writeFileSync(join(files, "a.stats"), encodeStatsFile({ id: "kvm-77", descriptors: vm.descriptors, data: vmData }));
    writeFileSync(join(files, "b.stats"), encodeStatsFile({ id: "kvm-77/vcpu-0", descriptors: vcpu.descriptors, data: vcpuData }));
    await using src = await openSource(files);
    const sock = join(dir, "big.sock");
    await using server = await QmpServer.listen(`unix:${sock}`, { sources: [src] });
    assert.equal(server.address.kind, "unix");
    await using q = await openSource(`qmp:${sock}`);
    assert.ok(q instanceof QmpStatsSource);
    assert.equal(q.reversed, false, "our server is recognised by its greeting");
    const [a, b] = q.files;
    assert.deepEqual(a?.data, vmData);
    assert.deepEqual(b?.data, vcpuData);
    assert.deepEqual(a?.schema.descriptors, vm.descriptors);
    assert.deepEqual(b?.schema.descriptors, vcpu.descriptors);
    assert.deepEqual(b?.identity, {
      id: "kvm-77/vcpu-0",
      provider: "kvm",
      target: "vcpu",
      path: "/kvm-77/vcpu-0",
      labels: { provider: "kvm", target: "vcpu", pid: "77", vcpu: "0", qom_path: "/kvm-77/vcpu-0" },
    });
    await q.poll();
    assert.deepEqual(b?.data, vcpuData);
    const r = await cli(
      "qmp",
      sock,
      "query-stats",
      '{"target":"vcpu","providers":[{"provider":"kvm","names":["hist","exits"]}]}',
      "--compact",
    );
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out,
      '{"return": [{"provider": "kvm", "stats": [{"name": "exits", "value": 18446744073709551614}, {"name": "hist", "value": [18446744073709551615, 0, 9223372036854775808, 1]}], "qom-path": "/kvm-77/vcpu-0"}]}\n',
    );
    const info = await cli("info", `qmp:${sock}`, "--target", "vcpu");
    assert.equal(
      info.out,
      [
        "provider: kvm",
        "    exits (cumulative): 18446744073709551614",
        "    hist (log2-histogram, ns): [1]=18446744073709551615 [2]=0 [3]=9223372036854775808 [4]=1 ",
        "    lin (linear-histogram, bucket size=5): [1]=7 [2]=8 [3]=9 ",
        "    on (instant, boolean): yes",
        "",
      ].join("\n"),
    );
  });

  it("creates its Unix socket 0600, replaces a stale one, refuses a live one or a file, removes it on close", async () => {
    await using sim = await openSource("sim:?vcpus=1");
    const sock = join(dir, "life.sock");
    // A stale socket: its server was killed without cleaning up.
    const child = spawn(
      process.execPath,
      ["-e", `require("net").createServer().listen(${JSON.stringify(sock)}, () => console.log("up"))`],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    await new Promise<void>((r) => child.stdout?.once("data", () => r()));
    child.kill("SIGKILL");
    await new Promise<void>((r) => child.once("exit", () => r()));
    assert.ok(existsSync(sock), "stale socket left behind");
    const server = await QmpServer.listen(`unix:${sock}`, { sources: [sim] });
    assert.equal(statSync(sock).mode & 0o777, 0o600);
    await assert.rejects(
      QmpServer.listen(`unix:${sock}`, { sources: [sim] }),
      (e: unknown) => e instanceof QmpListenError && /another server is listening/.test(e.message),
    );
    await server.close();
    await server.close();
    assert.equal(existsSync(sock), false, "socket removed on close");
    const file = join(dir, "plain-file");
    writeFileSync(file, "x");
    await assert.rejects(
      QmpServer.listen(file, { sources: [sim] }),
      (e: unknown) => e instanceof QmpListenError && /not a socket/.test(e.message),
    );
    assert.ok(existsSync(file), "a file that is not a socket is left alone");
  });

  it("listens on TCP only when asked, 127.0.0.1 by default", async () => {
    await using sim = await openSource("sim:?vcpus=1");
    await using server = await QmpServer.listen("tcp::0", { sources: [sim] });
    assert.equal(server.address.kind, "tcp");
    assert.ok(server.address.kind === "tcp" && server.address.host === "127.0.0.1" && server.address.port > 0);
    await using c = await QmpClient.connect(server.address);
    assert.deepEqual(await c.execute("query-version"), { qemu: { micro: 0n, minor: 2n, major: 7n }, package: "statsfs 0.1.0" });
    assert.ok(c.isStatsfs);
  });

  it("serves many clients at once", async () => {
    await using sim = await openSource("sim:?vcpus=8");
    const sock = join(dir, "many.sock");
    await using server = await QmpServer.listen(sock, { sources: [sim] });
    const clients = await Promise.all(Array.from({ length: 24 }, () => QmpClient.connect(sock)));
    const replies = await Promise.all(
      clients.flatMap((c) =>
        Array.from({ length: 5 }, () => c.execute("query-stats", { target: "vcpu", providers: [{ provider: "kvm", names: ["exits"] }] })),
      ),
    );
    for (const r of replies) assert.equal((r as unknown[]).length, 8);
    assert.equal(server.connections, 24);
    await Promise.all(clients.map((c) => c.close()));
    for (let i = 0; i < 100 && server.connections > 0; i++) await sleep(5);
    assert.equal(server.connections, 0);
  });

  it("answers garbage with an error and keeps the connection; answers in order; half-close gets its replies", async () => {
    await using sim = await openSource("sim:?vcpus=1");
    const sock = join(dir, "garbage.sock");
    await using server = await QmpServer.listen(sock, { sources: [sim] });
    void server;
    const { raw } = await RawQmp.open(sock);
    const lines = await raw.send('foo\n{"execute":"query-version","id":1}\n\u0001{"execute":"nope","id":2}\n', 4);
    assert.deepEqual(lines, [
      '{"error": {"class": "GenericError", "desc": "JSON parse error, invalid keyword \'foo\'"}}',
      '{"return": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": "statsfs 0.1.0"}, "id": 1}',
      '{"error": {"class": "GenericError", "desc": "JSON parse error, stray \'\\u0001\'"}}',
      '{"id": 2, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
    ]);
    assert.equal(raw.closed, false);
    raw.socket.end('{"execute":"query-stats","arguments":{"target":"vm","providers":[]},"id":3}\n');
    const [last] = await raw.next(1);
    assert.equal(last, '{"return": [], "id": 3}');
    await raw.close();
  });

  it("refuses an oversized message before it ends, without storing it, then carries on", async () => {
    await using sim = await openSource("sim:?vcpus=1");
    const sock = join(dir, "big-msg.sock");
    await using server = await QmpServer.listen(sock, { sources: [sim], maxMessageBytes: 64 << 10 });
    void server;
    const { raw } = await RawQmp.open(sock);
    const start = raw.lines.length;
    raw.socket.write('{"execute":"query-stats","arguments":{"target":"');
    const chunk = Buffer.alloc(64 << 10, 0x61);
    let sent = 0;
    while (raw.lines.length === start && sent < 64 << 20) {
      if (!raw.socket.write(chunk)) await new Promise((r) => raw.socket.once("drain", r));
      sent += chunk.length;
      if (sent % (1 << 20) === 0) await sleep(1);
    }
    assert.equal(raw.lines[start], '{"error": {"class": "GenericError", "desc": "JSON token size limit exceeded"}}');
    assert.ok(sent < 8 << 20, `refused after ${sent} bytes, before the message ended`);
    const after = await raw.send('"}}\n{"execute":"query-stats","arguments":{"target":"vm","providers":[]},"id":"next"}\n', 1);
    assert.deepEqual(after, ['{"return": [], "id": "next"}']);
    // QEMU 7.2's replies to these bytes: the nesting error at the 1,025th `[`, then the depth
    // starts over: the other 975 `[` and as many `]` are one list, the other 1,025 `]` strays.
    const deep = await raw.send(`${"[".repeat(2000)}${"]".repeat(2000)}\n{"execute":"nope","id":9}\n`, 1028);
    assert.deepEqual(deep, [
      '{"error": {"class": "GenericError", "desc": "JSON nesting depth limit exceeded"}}',
      '{"error": {"class": "GenericError", "desc": "QMP input must be a JSON object"}}',
      ...Array.from({ length: 1025 }, () => '{"error": {"class": "GenericError", "desc": "JSON parse error, expecting value"}}'),
      '{"id": 9, "error": {"class": "CommandNotFound", "desc": "The command nope has not been found"}}',
    ]);
    // A message left unclosed past the nesting limit swallows nothing after it.
    const unclosed = await raw.send(`${"[".repeat(1025)}\n{"execute":"query-version","id":10}\n`, 2);
    assert.equal(unclosed[0], '{"error": {"class": "GenericError", "desc": "JSON nesting depth limit exceeded"}}');
    assert.match(unclosed[1] ?? "", /^\{"return": \{"qemu": .*"id": 10\}$/);
    await raw.close();
  });

  it("a client that disconnects mid-reply costs nothing", async () => {
    await using sim = await openSource("sim:?vcpus=1024");
    const sock = join(dir, "vanish.sock");
    await using server = await QmpServer.listen(sock, { sources: [sim] });
    for (let i = 0; i < 20; i++) {
      const { raw } = await RawQmp.open(sock);
      raw.socket.write('{"execute":"query-stats","arguments":{"target":"vcpu"}}\n'.repeat(4));
      await sleep(i % 3);
      raw.socket.destroy();
    }
    await using c = await QmpClient.connect(sock);
    const r = (await c.execute("query-stats", { target: "vcpu" })) as unknown[];
    assert.equal(r.length, 1024);
    await c.close();
    for (let i = 0; i < 200 && server.connections > 0; i++) await sleep(5);
    assert.equal(server.connections, 0);
  });

  it("statsfs serve runs until the signal, then removes its socket", async () => {
    const sock = join(dir, "cli.sock");
    const ac = new AbortController();
    const io = bufferIo(ac.signal);
    const done = runCli(["serve", "--qmp", `unix:${sock}`, "sim:?vcpus=2"], io);
    for (let i = 0; i < 200 && !existsSync(sock); i++) await sleep(10);
    const r = await cli(
      "qmp",
      `unix:${sock}`,
      "query-stats",
      '{"target":"vcpu","providers":[{"provider":"kvm","names":["exits"]}]}',
      "--compact",
    );
    assert.equal(r.code, 0, r.err);
    assert.equal((JSON.parse(r.out) as { return: unknown[] }).return.length, 2);
    ac.abort();
    assert.equal(await done, 0, io.err());
    assert.match(io.err(), /^statsfs: serving QMP on unix:.*cli\.sock \(1 source, 3 stats files\)/);
    assert.equal(existsSync(sock), false);
  });

  it("reports an unreachable peer in one line with exit 2", async () => {
    const missing = join(dir, "missing.sock");
    const r = await cli("read", `qmp:${missing}`);
    assert.equal(r.code, 2);
    assert.equal(r.err, `statsfs: qmp unix:${missing}: cannot connect: no such socket\n`);
    // A socket file nobody listens on: connection refused.
    const stale = join(dir, "refused.sock");
    const child = spawn(
      process.execPath,
      ["-e", `require("net").createServer().listen(${JSON.stringify(stale)}, () => console.log("up"))`],
      { stdio: ["ignore", "pipe", "ignore"] },
    );
    await new Promise<void>((res) => child.stdout?.once("data", () => res()));
    child.kill("SIGKILL");
    await new Promise<void>((res) => child.once("exit", () => res()));
    const q = await cli("qmp", stale, "query-version");
    assert.equal(q.code, 2);
    assert.equal(q.err, `statsfs: qmp unix:${stale}: cannot connect: connection refused\n`);
    await assert.rejects(QmpClient.connect(stale), QmpConnectError);
    const t = await cli("info", "qmp:tcp:127.0.0.1:1");
    assert.equal(t.code, 2);
    assert.equal(t.err, "statsfs: qmp tcp:127.0.0.1:1: cannot connect: connection refused\n");
  });

  it("reports a peer that never greets (QEMU busy with another client) after the timeout", async () => {
    const sock = join(dir, "silent.sock");
    const silent = createServer(() => undefined).listen(sock);
    await new Promise((r) => silent.once("listening", r));
    try {
      await assert.rejects(
        QmpClient.connect(sock, { timeoutMs: 200 }),
        (e: unknown) => e instanceof QmpProtocolError && /no greeting within 0\.2 s/.test(e.message),
      );
      const r = await cli("read", `qmp:${sock}?timeout=200`);
      assert.equal(r.code, 2);
      assert.match(
        r.err,
        /^statsfs: qmp unix:.*: no greeting within 0\.2 s \(QEMU serves one client per socket: is another one connected\?\)\n$/,
      );
    } finally {
      silent.close();
    }
  });

  it("serves several sources and a producer-style provider and target", async () => {
    const files = join(dir, "app");
    const { mkdirSync } = await import("node:fs");
    mkdirSync(files);
    const d = layOut([{ name: "requests" }, { name: "bytes_out", unit: StatUnit.Bytes, base: 1, exponent: 10 }]);
    writeFileSync(
      join(files, "http.stats"),
      encodeStatsFile({ id: "statsfs/app/http", descriptors: d.descriptors, data: new BigUint64Array([5n, 6n]) }),
    );
    const sources: StatsSource[] = [await openSource("sim:?vcpus=1"), await openSource(files)];
    const sock = join(dir, "multi.sock");
    try {
      await using server = await QmpServer.listen(sock, { sources });
      void server;
      await using c = await QmpClient.connect(sock);
      assert.deepEqual(await c.execute("query-stats", { target: "http" }), [
        {
          provider: "statsfs",
          "qom-path": "/app/http",
          stats: [
            { name: "requests", value: 5n },
            { name: "bytes_out", value: 6n },
          ],
        },
      ]);
      await using q = await openSource(`qmp:${sock}`);
      const http = q.files.find((f) => f.identity.target === "http");
      assert.deepEqual(http?.identity, {
        id: "statsfs/app/http",
        provider: "statsfs",
        target: "http",
        path: "/app/http",
        labels: { provider: "statsfs", target: "http", qom_path: "/app/http", source: "/app/http" },
      });
      const info = await cli("info", `qmp:${sock}`, "--target", "http", "--provider", "statsfs");
      assert.equal(info.out, "    requests (cumulative): 5\n    bytes_out (cumulative, KiB): 6\n");
    } finally {
      for (const s of sources) await s.close();
    }
  });
});
