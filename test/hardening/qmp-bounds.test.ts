/**
 * Issue 8, defects 4 and 6: a hostile QMP peer cannot make the client build what no schema
 * justifies (replies capped in bytes, lists and numbers bounded while parsing, value counts
 * checked against the schema), and a poll against a stopped peer is bounded by its timeout
 * while the connection survives for the next poll.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { QmpStatsSource } from "../../src/providers/qmp/source.js";
import { openSource, openSources } from "../../src/providers/registry.js";
import { checkBounds, JsonBoundsError, parseBounded } from "../../src/qmp/client/reply.js";
import { QmpTimeoutError } from "../../src/qmp/errors.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-qmpb-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const MAIN = join(import.meta.dirname, "../../src/cli/main.js");

const GREETING = '{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\r\n';
const SCALAR = '[{"provider": "kvm", "target": "vm", "stats": [{"name": "x", "type": "cumulative", "exponent": 0}]}]';
const HIST =
  '[{"provider": "kvm", "target": "vm", "stats": [{"name": "x", "type": "linear-histogram", "unit": "seconds", "base": 10, "exponent": -9, "bucket-size": 1}]}]';
const LOG2 =
  '[{"provider": "kvm", "target": "vm", "stats": [{"name": "x", "type": "log2-histogram", "unit": "seconds", "base": 10, "exponent": -9}]}]';

let n = 0;
/** A peer greeting like QEMU 7.2 and answering query-stats-schemas with `schema`, query-stats with `stats`. */
async function peer(schema: string, stats: string): Promise<{ server: Server; sock: string }> {
  const sock = join(dir, `p${n++}.sock`);
  const server = createServer((s) => {
    s.on("error", () => undefined);
    s.write(GREETING);
    let buf = "";
    s.on("data", (d: Buffer) => {
      buf += d.toString("latin1");
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        const req = JSON.parse(buf.slice(0, nl)) as { execute: string; id?: number };
        buf = buf.slice(nl + 1);
        const a = req.execute === "qmp_capabilities" ? "{}" : req.execute === "query-stats-schemas" ? schema : stats;
        s.write(`{"return": ${a}, "id": ${req.id}}\r\n`);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  return { server, sock };
}

const histogram = (count: number) => `[{"provider": "kvm", "stats": [{"name": "x", "value": [${Array(count).fill("1").join(", ")}]}]}]`;

describe("QMP replies are bounded by what a schema can justify", () => {
  it("a reply above the byte cap (4 MiB by default) is one line naming the peer", async () => {
    const p = await peer(HIST, histogram(1_500_000)); // 4.5 MB
    try {
      const r = await cli("read", `qmp:${p.sock}`);
      assert.equal(r.code, 2);
      assert.equal(r.err, `statsfs: qmp unix:${p.sock}: reply longer than 4194304 bytes (the client's limit)\n`);
    } finally {
      p.server.close();
    }
  });
  it("with a larger cap (?max-reply=), the list is refused while parsing (65,536 values at most)", async () => {
    const p = await peer(HIST, histogram(1_500_000));
    try {
      const r = await cli("read", `qmp:${p.sock}?max-reply=16777216`);
      assert.equal(r.code, 2);
      assert.equal(r.err, `statsfs: qmp unix:${p.sock}: reply refused: a list has more than 65536 elements\n`);
      const bad = await cli("read", `qmp:${p.sock}?max-reply=12`);
      assert.equal(bad.code, 2);
      assert.match(bad.err, /max-reply must be a number of bytes from 65536 to 268435456/);
    } finally {
      p.server.close();
    }
  });
  it("value counts are checked against the schema", async () => {
    const cases: [schema: string, stats: string, error: string][] = [
      [HIST, histogram(65536), "[0].stats[0].value: a list of 65536 values (a histogram has 1 to 65535)"],
      [HIST, histogram(0), "[0].stats[0].value: a list of 0 values (a histogram has 1 to 65535)"],
      [HIST, '[{"provider": "kvm", "stats": [{"name": "x", "value": 3}]}]', "[0].stats[0].value: 3 is not a list for a histogram"],
      [SCALAR, histogram(3), "[0].stats[0].value: a list for a statistic the schema declares scalar"],
      [
        SCALAR,
        '[{"provider": "kvm", "stats": [{"name": "x", "value": 1}, {"name": "x", "value": 2}]}]',
        '[0].stats[1].name: "x" appears twice in one result',
      ],
    ];
    for (const [schema, stats, error] of cases) {
      const p = await peer(schema, stats);
      try {
        const r = await cli("read", `qmp:${p.sock}`);
        assert.deepEqual([r.code, r.err], [2, `statsfs: qmp:${p.sock}: query-stats reply ${error} (target vm)\n`]);
      } finally {
        p.server.close();
      }
    }
  });
  it("a 65,535-bucket histogram the schema declares is read in full", async () => {
    const p = await peer(HIST, histogram(65535));
    try {
      const r = await cli("read", `qmp:${p.sock}`, "--json");
      assert.equal(r.code, 0, r.err);
      assert.equal((r.out.match(/1/g) ?? []).length >= 65535, true);
    } finally {
      p.server.close();
    }
  });
  it("a log2 histogram of more than 65 buckets (none past bucket 64 can hold a u64 sample) is refused in one line", async () => {
    const p = await peer(LOG2, histogram(65535));
    try {
      const r = await cli("read", `qmp:${p.sock}`, "--json");
      assert.equal(r.code, 2, r.err);
      assert.match(r.err, /^statsfs: qmp:.*: kvm-0 x is a log2 histogram of 65535 buckets; at most 65 can hold a u64 sample\n$/);
    } finally {
      p.server.close();
    }
  });
  it("`qmp` prints a peer's strings with DEL and C1 controls escaped", async () => {
    const p = await peer(SCALAR, '[{"provider": "k\\u009b2J\\u007f\\u001b", "stats": []}]');
    try {
      const r = await cli("qmp", p.sock, "query-stats", '{"target": "vm"}', "--compact");
      assert.equal(r.code, 0, r.err);
      assert.equal(r.out, '{"return": [{"provider": "k\\u009b2J\\u007f\\u001b", "stats": []}]}\n');
    } finally {
      p.server.close();
    }
  });
  it("the scan bounds nesting, list length and numbers; the JSON-ARGS of `qmp` too", async () => {
    assert.throws(() => checkBounds("[".repeat(65)), JsonBoundsError);
    assert.doesNotThrow(() => checkBounds(`${"[".repeat(64)}${"]".repeat(64)}`));
    assert.throws(() => checkBounds(`[${Array(10).fill("1").join(",")}]`, { maxList: 9 }), /more than 9 elements/);
    assert.doesNotThrow(() => checkBounds(`[${Array(9).fill("1").join(",")}]`, { maxList: 9 }));
    assert.doesNotThrow(() => checkBounds('["a,b,c,d", "\\",,,,"]', { maxList: 2 }));
    assert.throws(() => checkBounds("[1, 2, -3e5, 4]", { maxNumbers: 3 }), /more than 3 numbers/);
    assert.equal(parseBounded('{"v": 18446744073709551615}') instanceof Object, true);
    assert.equal((parseBounded('{"v": 18446744073709551615}') as { v: bigint }).v, 18446744073709551615n);
    const r = await cli("qmp", join(dir, "none.sock"), "query-stats", "[".repeat(100_000));
    assert.deepEqual([r.code, r.err], [2, "statsfs: qmp: JSON-ARGS is not valid JSON (nested deeper than 64)\n"]);
  });
});

/** A `statsfs serve` child over `source`. */
async function serve(source: string): Promise<{ child: ChildProcess; sock: string }> {
  const sock = join(dir, `serve${n++}.sock`);
  const child = spawn(process.execPath, [MAIN, "serve", "--qmp", `unix:${sock}`, source], { stdio: ["ignore", "ignore", "pipe"] });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("serving QMP")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`statsfs serve exited (${code}): ${err.trim()}`)));
  });
  return { child, sock };
}

describe("a poll against a stopped peer", () => {
  it("is bounded by timeoutMs, names the source, and the next poll after SIGCONT gets the values", async () => {
    const { child, sock } = await serve("sim:?vcpus=2");
    try {
      const uri = `qmp:${sock}`;
      await using src = (await openSource(uri)) as QmpStatsSource;
      const exits = () => src.files[1]?.data[0];
      const before = exits();
      child.kill("SIGSTOP");
      for (let i = 0; i < 3; i++) {
        await assert.rejects(src.poll({ timeoutMs: 150 }), (e: unknown) => {
          assert.ok(e instanceof QmpTimeoutError, String(e));
          assert.equal(e.code, "STATSFS_TIMEOUT");
          assert.equal(e.message, `${uri}: no reply to query-stats within 150 ms (the peer is stalled; values are from the last poll)`);
          return true;
        });
        assert.equal(exits(), before, "the files keep the last values");
      }
      child.kill("SIGCONT");
      await src.poll({ timeoutMs: 30_000 });
      await src.poll();
      assert.notEqual(exits(), before, "values move again");
    } finally {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    }
  });
  it("in a union, the stopped member is marked stale and keeps its files; the others keep answering", async () => {
    const { child, sock } = await serve("sim:?vcpus=1");
    try {
      await using u = await openSources([`qmp:${sock}`, "sim:?vcpus=1"]);
      const count = u.files.length;
      child.kill("SIGSTOP");
      await u.poll({ timeoutMs: 150 });
      assert.deepEqual(
        u.members?.map((m) => m.state),
        ["stale", "ok"],
      );
      assert.equal(u.files.length, count, "the stalled member's files stay");
      child.kill("SIGCONT");
      await u.poll({ timeoutMs: 30_000 });
      assert.deepEqual(
        u.members?.map((m) => m.state),
        ["ok", "ok"],
      );
    } finally {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    }
  });
  it("top over a single stopped peer keeps drawing frames and marks it stale", async () => {
    const { child, sock } = await serve("sim:?vcpus=1");
    try {
      const top = spawn(process.execPath, [MAIN, "top", `qmp:${sock}`, "--interval", "100", "--count", "8"], {
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      let stopped = false;
      top.stdout?.on("data", (d: Buffer) => {
        out += d.toString();
        if (!stopped && out.includes("summary")) {
          stopped = true;
          child.kill("SIGSTOP");
        }
      });
      const code = await new Promise<number | null>((resolve) => top.on("close", resolve));
      assert.equal(code, 0, out);
      assert.equal((out.match(/kvm statistics - summary/g) ?? []).length, 8);
      assert.match(out, new RegExp(`qmp:${sock}: stale — qmp:${sock}: no reply to query-stats within 100 ms`));
    } finally {
      child.kill("SIGCONT");
      child.kill("SIGKILL");
    }
  });
});
