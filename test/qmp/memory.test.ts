/**
 * Memory a client can make a `statsfs serve` child hold: messages in progress (stored compactly,
 * at most a token count QEMU's proportion allows) and clients that send without reading (parsing
 * stops with a few requests queued; no reply is written until the previous one has drained).
 * Each test measures the child's resident memory (VmRSS, VmHWM) and asserts a generous bound.
 * @serial: the child parses ~36 MiB of pending JSON within bounded waits, which the concurrent
 * pass on two loaded cores made it miss (scripts/test runs this file alone).
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
const MiB = 1 << 20;

/** A `statsfs serve` child on a Unix socket. */
interface Served {
  readonly child: ChildProcess;
  readonly sock: string;
  stop(): Promise<void>;
}

async function serve(dir: string, name: string, source: string): Promise<Served> {
  const sock = join(dir, `${name}.sock`);
  const child = spawn(process.execPath, [MAIN, "serve", "--qmp", `unix:${sock}`, source], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("serving QMP")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`statsfs serve exited (${code}): ${err.trim()}`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGKILL");
    await gone;
  };
  return { child, sock, stop };
}

/** VmRSS and VmHWM (peak) of a process, in bytes. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb("VmRSS"), peak: kb("VmHWM") };
}

/** A raw client collecting reply lines. */
function client(path: string): Promise<{ socket: Socket; lines: string[] }> {
  return new Promise((resolve, reject) => {
    const socket = connect(path);
    const lines: string[] = [];
    let buf = "";
    socket.setEncoding("latin1");
    socket.on("data", (d: string) => {
      buf += d;
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        lines.push(buf.slice(0, nl).replace(/\r$/, ""));
        buf = buf.slice(nl + 1);
      }
    });
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve({ socket, lines }));
    socket.once("error", reject);
  });
}

/** Waits until `ok()` or `ms` pass; returns whether `ok()` came true. */
async function settle(ok: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function until(what: string, ok: () => boolean, ms = 10_000): Promise<void> {
  if (!(await settle(ok, ms))) throw new Error(`timed out waiting for ${what}`);
}

/** How much the server's peak resident memory grew since `base`; fails if it died. */
function growth(s: Served, base: number): number {
  assert.equal(s.child.exitCode ?? s.child.signalCode, null, "the server died");
  return memory(s.child.pid as number).peak - base;
}

/** Writes; resolves once the bytes are handed to the kernel (or the socket is gone). */
function write(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (socket.write(bytes)) return resolve();
    socket.once("drain", () => resolve());
    socket.once("close", () => resolve());
  });
}

describe("QMP server memory per client (a statsfs serve child)", () => {
  let dir: string;
  const children: Served[] = [];
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "statsfs-qmp-mem-"));
  });
  after(async () => {
    for (const c of children) await c.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("messages in progress cost O(bytes); a message of 1-byte tokens hits QEMU's token count error", async () => {
    const s = await serve(dir, "pending", "sim:?vcpus=2");
    children.push(s);
    const base = memory(s.child.pid as number).rss;
    // Almost 1 MiB (under the message limit) of one-byte tokens, never finished: 18 such
    // clients made the server run out of heap when each token was an object of its own.
    const ones = Buffer.from(`{"execute":"query-version","id":[${"1,".repeat(510_000)}`);
    assert.ok(ones.length < MiB);
    const many = await Promise.all(Array.from({ length: 18 }, () => client(s.sock)));
    for (const c of many) c.socket.write(ones);
    await settle(() => many.every((c) => c.lines.length >= 2), 8000);
    const first = growth(s, base);
    assert.ok(first < 100 * MiB, `server grew by ${(first / MiB).toFixed(0)} MiB for 18 messages of 1-byte tokens`);
    for (const c of many) {
      assert.equal(c.lines[1], '{"error": {"class": "GenericError", "desc": "JSON token count limit exceeded"}}');
    }
    // Messages within the limits but unfinished: 18 × ~1 MiB of strings, held until they end.
    const strings = Buffer.from(`{"execute":"query-version","id":[${`"${"s".repeat(60)}",`.repeat(16_000)}`);
    assert.ok(strings.length < MiB);
    const held = await Promise.all(Array.from({ length: 18 }, () => client(s.sock)));
    await Promise.all(held.map((c) => write(c.socket, strings)));
    await sleep(300);
    const grown = growth(s, base);
    assert.ok(grown < 150 * MiB, `server grew by ${(grown / MiB).toFixed(0)} MiB for 36 pending messages`);
    // The server still answers, and each pending message completes when its end arrives.
    const probe = await client(s.sock);
    probe.socket.write('{"execute":"query-version","id":"probe"}');
    await until("the probe's reply", () => probe.lines.length >= 2);
    assert.match(probe.lines[1] as string, /"id": "probe"/);
    for (const c of held) c.socket.write('"end"]}');
    await until("the held messages' replies", () => held.every((c) => c.lines.length >= 2));
    for (const c of held) assert.match(c.lines[1] as string, /"desc": "Expecting capabilities negotiation with 'qmp_capabilities'"/);
    for (const c of [...many, ...held, probe]) c.socket.destroy();
  });

  it("a client that sends without reading makes the server hold a few replies, not every reply", async () => {
    const s = await serve(dir, "noread", "sim:?vcpus=64");
    children.push(s);
    const base = memory(s.child.pid as number).rss;
    const batch = Buffer.from(`{"execute":"qmp_capabilities"}${'{"execute":"query-stats","arguments":{"target":"vcpu"}}'.repeat(2000)}`);
    const sockets: Socket[] = [];
    const deadline = Date.now() + 3000;
    for (let i = 0; i < 10; i++) {
      const socket = connect(s.sock);
      socket.pause(); // never reads
      socket.on("error", () => undefined);
      let sent = 0;
      const pump = () => {
        while (Date.now() < deadline && sent < 32 * MiB && socket.write(batch)) sent += batch.length;
      };
      socket.on("connect", pump);
      socket.on("drain", pump);
      sockets.push(socket);
    }
    while (Date.now() < deadline) await sleep(100);
    const grown = growth(s, base);
    // Each vCPU reply is ~150 KB: before, every request of each 64 KiB chunk (~1,170) was
    // answered into a send buffer nobody read.
    assert.ok(grown < 60 * MiB, `server grew by ${(grown / MiB).toFixed(0)} MiB for 10 clients that never read`);
    const probe = await client(s.sock);
    probe.socket.write('{"execute":"qmp_capabilities"}{"execute":"query-stats","arguments":{"target":"vm"},"id":"probe"}');
    await until("the probe's reply", () => probe.lines.length >= 3);
    assert.match(probe.lines[2] as string, /"id": "probe"/);
    for (const socket of [...sockets, probe.socket]) socket.destroy();
  });
});
