/**
 * Basic auth as a CPU denial of service: a real `statsfs serve --http --web-config` with a cost-10
 * bcrypt hash, flooded from this process by many concurrent requests with wrong passwords (a
 * bounded number, on 127.0.0.1). A correct scrape must still answer within a wide bound (1 s;
 * the bcrypt on the event loop made it take seconds), a fresh wrong password is refused at once,
 * and a hash whose cost cannot finish is refused at start instead of hanging there.
 * @serial: the 1 s bound is timed against a bcrypt flood; the concurrent pass on two loaded
 * cores made it miss (scripts/test runs this file alone).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import bcrypt from "bcryptjs";
import { MAIN, startExporter } from "../prometheus/prometheus.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-auth-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** One GET with `user:password`; resolves to the status and how long it took (ms). */
function get(url: string, auth: string, agent?: Agent): Promise<{ status: number; ms: number }> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { agent: agent ?? false, headers: { Authorization: `Basic ${Buffer.from(auth).toString("base64")}` } },
      (res) => {
        res.resume();
        res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - t0 }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("basic auth under a flood of wrong passwords", () => {
  it("a correct scrape answers within 1 s while 24 clients send wrong passwords", async () => {
    const cfg = join(tmp, "web.yml");
    writeFileSync(cfg, `basic_auth_users:\n  prom: ${bcrypt.hashSync("right", 10)}\n`);
    await using ex = await startExporter(["--web-config", cfg, "sim:"]);
    // Prometheus scrapes all the time: its credential is known before the flood starts.
    assert.equal((await get(ex.url, "prom:right")).status, 200);

    const agent = new Agent({ keepAlive: true, maxSockets: 24 });
    let stop = false;
    let sent = 0;
    let n = 0;
    // Each attacker sends a new wrong password every 100 ms at most (up to 240 a second in
    // all, each costing ~57 ms of bcrypt): enough to keep many verifications pending, not an
    // HTTP flood that would measure the test process's own CPU.
    const attacker = async () => {
      while (!stop && sent < 20_000) {
        sent++;
        const t0 = performance.now();
        const r = await get(ex.url, `prom:wrong-${n++}`, agent).catch(() => ({ status: 0, ms: 0 }));
        assert.notEqual(r.status, 200);
        const left = 100 - (performance.now() - t0);
        if (left > 0) await new Promise((res) => setTimeout(res, left));
      }
    };
    const flood = Array.from({ length: 24 }, attacker);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const timed: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await get(ex.url, "prom:right");
        assert.equal(r.status, 200);
        timed.push(r.ms);
      }
      // A fresh wrong password while the verifier is saturated is refused at once, not queued.
      const fresh = await get(ex.url, "prom:never-tried");
      assert.equal(fresh.status, 401);
      assert.ok(Math.max(...timed) < 1000, `correct scrapes took ${timed.map((t) => t.toFixed(0)).join(", ")} ms during the flood`);
      assert.ok(fresh.ms < 1000, `a wrong password took ${fresh.ms.toFixed(0)} ms to refuse`);
    } finally {
      stop = true;
      await Promise.all(flood);
      agent.destroy();
    }
  });

  it("a hash with a cost that cannot finish is refused at start in one line (exit 2)", async () => {
    const cfg = join(tmp, "cost31.yml");
    // A well-formed cost-31 hash (the salt and digest are arbitrary: it is never computed).
    writeFileSync(cfg, `basic_auth_users:\n  prom: $2y$31$${"a".repeat(53)}\n`);
    const child = spawn(process.execPath, [MAIN, "serve", "--http", "127.0.0.1:0", "--web-config", cfg, "sim:"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    child.stderr.on("data", (b: Buffer) => {
      err += b.toString();
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    clearTimeout(killer);
    assert.equal(code, 2, `exit ${code}: ${err}`);
    assert.match(err, /bcrypt cost 31 is outside 4\.\.14/);
    assert.equal(err.trim().split("\n").length, 1, err);
  });
});
