/**
 * Connections that cost the exporter without ever asking anything (on 127.0.0.1, bounded in
 * number): TLS clients that never finish the handshake are dropped after the idle limit like
 * idle plain ones (Node's own default kept them 120 s), and past the connection limit new
 * connections are closed at accept with one clear warning line, while a scrape still answers once
 * the idle ones are gone.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { openSource } from "../../src/providers/registry.js";
import { HttpExporter } from "../../src/views/http/server.js";
import { loadWebConfig } from "../../src/views/http/web-config.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-conns-"));
after(() => rmSync(tmp, { recursive: true, force: true }));
const local = { host: "127.0.0.1", port: 0 };

/** A raw TCP connection that sends nothing; resolves once connected. */
function silent(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = connect(port, "127.0.0.1");
    const closed = new Promise<number>((r) => socket.once("close", () => r(performance.now() - t0)));
    socket.on("error", () => undefined);
    socket.once("connect", () => resolve({ socket, closed }));
    socket.once("error", reject);
  });
}

function scrape(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("http: connections that never ask", () => {
  it("a TLS client that never sends its ClientHello is dropped after the idle limit", async () => {
    const key = join(tmp, "server.key");
    const crt = join(tmp, "server.crt");
    const r = spawnSync(
      "openssl",
      ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "1", "-subj", "/CN=localhost"],
      { encoding: "utf8" },
    );
    assert.equal(r.status, 0, r.stderr);
    const cfg = join(tmp, "tls.yml");
    writeFileSync(cfg, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
    await using s = await openSource("sim:");
    await using ex = await HttpExporter.listen({ address: local, sources: [s], webConfig: loadWebConfig(cfg), idleTimeoutMs: 300 });
    const conns = await Promise.all(Array.from({ length: 20 }, () => silent(ex.address.port)));
    const limit = new Promise<"open">((res) => setTimeout(() => res("open"), 5000).unref());
    for (const c of conns) {
      const got = await Promise.race([c.closed, limit]);
      assert.notEqual(got, "open", "a connection without a handshake was still open after 5 s (idle limit 300 ms)");
      c.socket.destroy();
    }
  });

  it("past the connection limit new connections are closed at accept, with one warning line", async () => {
    const lines: string[] = [];
    await using s = await openSource("sim:");
    await using ex = await HttpExporter.listen({
      address: local,
      sources: [s],
      maxConnections: 16,
      idleTimeoutMs: 2000,
      log: (l) => lines.push(l),
    });
    const conns = await Promise.all(Array.from({ length: 48 }, () => silent(ex.address.port)));
    // Those past the limit are closed by the server at once (well before the 2 s idle limit).
    const early = await Promise.all(
      conns.map((c) => Promise.race([c.closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 1000))])),
    );
    const closed = early.filter(Boolean).length;
    assert.ok(closed >= 48 - 16, `only ${closed} of 48 connections were refused past a limit of 16`);
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0] ?? "", /^statsfs: http: 16 connections open \(the limit\): dropping new ones \(\d+ dropped so far\)/);
    for (const c of conns) c.socket.destroy();
    // The held ones gone, a scrape is served again.
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await scrape(`http://127.0.0.1:${ex.address.port}/metrics`).catch(() => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200);
  });
});
