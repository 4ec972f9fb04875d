/**
 * One bad member never takes the rest down: `serve --qmp S --http A sim: file:HOSTILE`, where the
 * file's schema exceeds the value bound, serves sim: over QMP and HTTP and reports the file (one
 * stderr line, `statsfs_exporter_source_up{source="file:…"} 0`) instead of refusing to start; the
 * hostile file alone still refuses at start (exit 2).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { encodeStatsFile } from "../../src/codec/index.js";
import { StatType } from "../../src/model/flags.js";
import { makeDescriptor } from "../../src/model/index.js";
import { QmpClient } from "../../src/qmp/client/client.js";
import { MAIN } from "../prometheus/prometheus.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-badmember-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** 1,024 log2 histograms of 65,535 buckets over one block: past the decoder's value bound. */
function hostile(): string {
  const p = join(dir, "hostile.stats");
  const descriptors = Array.from({ length: 1024 }, (_, i) =>
    makeDescriptor({ name: `h${i}`, type: StatType.LinearHistogram, size: 65535, bucketSize: 1, offset: 0 }),
  );
  writeFileSync(p, encodeStatsFile({ id: "kvm-1", descriptors, dataSize: 65535 * 8 }));
  return p;
}

function serve(args: string[]): { child: ReturnType<typeof spawn>; err: () => string; started: Promise<string> } {
  const child = spawn(process.execPath, [MAIN, "serve", ...args], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  const started = new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no start within 20 s: ${err}`)), 20_000);
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /serving metrics on (\S+)/.exec(err);
      if (m && err.includes("serving QMP")) {
        clearTimeout(t);
        resolve(m[1] as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`statsfs serve exited (${code}): ${err.trim()}`));
    });
  });
  return { child, err: () => err, started };
}

describe("serve: a union serves its good members and reports the bad one", () => {
  it("sim: plus a file past the value bound: sim: is served, the file is reported", async () => {
    const file = `file:${hostile()}`;
    const sock = join(dir, "u.sock");
    const s = serve(["--qmp", `unix:${sock}`, "--http", "127.0.0.1:0", "sim:", file]);
    try {
      const url = await s.started;
      assert.match(s.err(), /statsfs: file:.*hostile\.stats: cannot open: .*above the limit of \d+.*; serving the other sources/);
      await using c = await QmpClient.connect(sock);
      const r = (await c.execute("query-stats", { target: "vm" })) as { provider: string }[];
      assert.ok(r.length > 0, "sim:'s VM statistics are served");
      const text = await (await fetch(url)).text();
      assert.match(text, /^statsfs_exporter_source_up\{source="sim:"\} 1$/m);
      assert.match(text, /^statsfs_exporter_source_up\{source="file:[^"]*hostile\.stats"\} 0$/m);
    } finally {
      s.child.kill("SIGKILL");
    }
  });

  it("the hostile file alone still refuses at start, in one line", async () => {
    const s = serve(["--qmp", `unix:${join(dir, "alone.sock")}`, `file:${hostile()}`]);
    const code = await new Promise<number | null>((r) => s.child.once("exit", (c) => r(c)));
    s.started.catch(() => undefined);
    assert.equal(code, 2, s.err());
    assert.equal(s.err().trim().split("\n").length, 1, s.err());
  });
});
