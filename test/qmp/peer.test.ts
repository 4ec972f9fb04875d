/**
 * Real-peer tests: QEMU 7.2 against our client, our server and our `info`. With -accel kvm
 * (where /dev/kvm exists) QEMU runs briefly (so that exits and histograms are not all 0), is
 * stopped, and from then on its values hold still, so replies can be compared value for value.
 * Without /dev/kvm QEMU runs with -accel tcg: it has no KVM statistics (query-stats answers
 * `[]`), but its protocol (greeting, negotiation, every error class and text, filters) is the
 * same, so the request table and the HMP text are still compared with the real peer; the
 * value and schema parity tests skip loudly (a failure with STATSFS_REQUIRE_KVM=1).
 */
import assert from "node:assert/strict";
import { mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { StatsFile } from "../../src/model/stats-file.js";
import { statValue } from "../../src/model/value.js";
import { FdStatsFile } from "../../src/providers/file/fd-file.js";
import { LocalSource } from "../../src/providers/local-source.js";
import { openSource } from "../../src/providers/registry.js";
import type { StatsSource } from "../../src/providers/source.js";
import { parseLossless } from "../../src/qmp/client/client.js";
import { encodeFile } from "../../src/views/binary/index.js";
import { infoStats } from "../../src/views/hmp/index.js";
import { schemaResults } from "../../src/views/qmp/schemas.js";
import { QmpServer } from "../../src/views/qmp/server.js";
import { cli } from "../helpers.js";
import { deepReverse, keyOrder, plain, qemuInOurOrder } from "./compare.js";
import { type Qemu, qemuAccel, qemuKvmSkipReason, qemuSkipReason, startQemu } from "./qemu.js";
import { RawQmp } from "./raw.js";
import { TABLE, type TableEntry } from "./table.js";

const skip = qemuSkipReason();
const accel = qemuAccel();
/** For the tests that compare KVM statistics: QEMU with -accel kvm. */
const kvmSkip = skip ?? qemuKvmSkipReason();
const HIST_QUERY = '{"execute":"query-stats","arguments":{"target":"vcpu","providers":[{"provider":"kvm","names":["halt_wait_hist"]}]}}';
const SENTINEL = '{"execute":"query-stats","arguments":{"target":"vm","providers":[]},"id":"sentinel"}\n';

/** One exchange on a fresh connection: the entry, then a sentinel; the reply lines before the sentinel's. */
async function exchange(socket: string, entry: TableEntry): Promise<string[]> {
  const { raw } = await RawQmp.open(socket, !entry.pre);
  try {
    const body = typeof entry.send === "string" ? Buffer.from(entry.send, "utf8") : entry.send;
    const start = raw.lines.length;
    raw.socket.write(Buffer.concat([body, Buffer.from("\n")]));
    raw.socket.write(SENTINEL);
    const deadline = Date.now() + 1500;
    while (!raw.lines.some((l) => l.includes('"sentinel"')) && Date.now() < deadline && !raw.closed) await sleep(2);
    return raw.withoutEvents(raw.lines.slice(start)).filter((l) => !l.includes('"sentinel"'));
  } finally {
    await raw.close();
  }
}

/** Runs QMP commands on a fresh negotiated connection; returns each reply line (events dropped). */
async function commands(socket: string, lines: readonly string[]): Promise<string[]> {
  const { raw } = await RawQmp.open(socket);
  try {
    const out: string[] = [];
    for (const l of lines) {
      const start = raw.lines.length;
      raw.socket.write(`${l}\n`);
      const deadline = Date.now() + 10_000;
      while (!raw.lines.slice(start).some((x) => x.includes('"return"') || x.includes('"error"')) && Date.now() < deadline) await sleep(2);
      const reply = raw.lines.slice(start).find((x) => x.includes('"return"') || x.includes('"error"'));
      assert.ok(reply, `no reply to ${l}`);
      out.push(reply);
    }
    return out;
  } finally {
    await raw.close();
  }
}

/** QEMU's HMP text in our order: statistic lines of each block reversed, histogram buckets reversed. */
function hmpInOurOrder(text: string): string {
  const out: string[] = [];
  let block: string[] = [];
  const flush = () => {
    out.push(...block.reverse());
    block = [];
  };
  for (const line of text.replace(/\r\n/g, "\n").split("\n")) {
    if (!line.startsWith("    ")) {
      flush();
      out.push(line);
      continue;
    }
    const m = /^(.*\): )(\[1\]=.*)$/.exec(line);
    if (!m) {
      block.push(line);
      continue;
    }
    const values = [...(m[2] as string).matchAll(/\[\d+\]=(\d+)/g)].map((x) => x[1]).reverse();
    block.push(`${m[1]}${values.map((v, i) => `[${i + 1}]=${v} `).join("")}`);
  }
  flush();
  return out.join("\n");
}

describe(`QMP against real QEMU 7.2 (-accel ${accel})`, { skip }, () => {
  let qemu: Qemu;
  let dir: string;
  let files: StatsFile[] = [];
  let equivalent: StatsSource | undefined;
  let server: QmpServer | undefined;
  let ours: string;

  before(async () => {
    qemu = await startQemu(4);
    dir = mkdtempSync(join(tmpdir(), "statsfs-qmp-peer-"));
    // Let the vCPUs run a moment so that counters and histograms move, then stop them.
    // (The firmware halts a vCPU within a second or so; wait for a histogram sample, at most 10 s.)
    for (let tries = 0; accel === "kvm" && tries < 20; tries++) {
      await commands(qemu.socket, ['{"execute":"cont"}']);
      await sleep(500);
      const [r] = await commands(qemu.socket, ['{"execute":"stop"}', HIST_QUERY]).then((x) => x.slice(1));
      if (/"value": \[[^\]]*[1-9]/.test(r ?? "")) break;
    }
    // Our client's view of QEMU, saved as binary stats files, served again by our server with
    // QEMU's qom-paths: the equivalent source.
    const s = await openSource(`qmp:${qemu.socket}`);
    try {
      files = [...s.files];
      const local = s.files.map((f, i) => {
        const p = join(dir, `f${i}.stats`);
        writeFileSync(p, encodeFile(f));
        return new FdStatsFile(
          openSync(p, "r"),
          p,
          true,
          f.identity.path === undefined ? {} : { path: f.identity.path, labels: f.identity.labels },
        );
      });
      equivalent = new LocalSource("snapshot", local);
    } finally {
      await s.close();
    }
    ours = join(dir, "ours.sock");
    server = await QmpServer.listen(`unix:${ours}`, { sources: [equivalent] });
  });

  after(async () => {
    await server?.close();
    await equivalent?.close();
    await qemu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("our qmp: client reads exactly what QEMU replies (histograms put back in bucket order)", { skip: kvmSkip }, async () => {
    const [vm, vcpu] = await commands(qemu.socket, [
      '{"execute":"query-stats","arguments":{"target":"vm"}}',
      '{"execute":"query-stats","arguments":{"target":"vcpu"}}',
    ]);
    let compared = 0;
    let nonzeroLists = 0;
    for (const [target, line] of [
      ["vm", vm],
      ["vcpu", vcpu],
    ] as const) {
      const results = [
        ...(parseLossless(line as string) as { return: { "qom-path"?: string; stats: { name: string; value: unknown }[] }[] }).return,
      ].reverse();
      const mine = files.filter((f) => f.identity.target === target);
      assert.equal(mine.length, results.length, `${target}: number of objects`);
      results.forEach((r, i) => {
        const f = mine[i] as StatsFile;
        assert.equal(f.identity.path, r["qom-path"], `${target} ${i}: qom-path in QEMU's vCPU order`);
        assert.equal(f.schema.descriptors.length, r.stats.length);
        for (const st of r.stats) {
          const d = f.schema.descriptors.find((x) => x.name === st.name);
          assert.ok(d, `${f.identity.id}: ${st.name} described`);
          const want = Array.isArray(st.value) ? [...st.value].reverse() : st.value;
          assert.deepEqual(statValue(d, f.data), want, `${f.identity.id} ${st.name}`);
          if (Array.isArray(st.value) && st.value.some((x) => x !== 0n)) nonzeroLists++;
          compared++;
        }
      });
    }
    assert.equal(files.filter((f) => f.identity.target === "vcpu").length, 4);
    assert.ok(compared > 4 * 40, `compared ${compared} values`);
    assert.ok(nonzeroLists > 0, "some histogram has samples, so un-reversing is really checked");
    assert.match(files[0]?.identity.id ?? "", new RegExp(`^kvm-${qemu.process.pid}$`), "vm id is kvm-<QEMU's pid>");
  });

  it("our schema equals QEMU's query-stats-schemas", { skip: kvmSkip }, async () => {
    const [line] = await commands(qemu.socket, ['{"execute":"query-stats-schemas"}']);
    const theirs = plain(deepReverse((parseLossless(line as string) as { return: unknown }).return));
    assert.deepEqual(schemaResults(files), theirs);
    const hist = files[1]?.schema.descriptors.find((d) => d.name === "halt_wait_hist");
    assert.equal(hist?.size, 32, "histogram size learned from the values");
  });

  it("a table of valid and invalid requests gets the same replies from QEMU and from our server", async () => {
    const mismatches: string[] = [];
    for (const entry of TABLE) {
      const q = await exchange(qemu.socket, entry);
      const o = await exchange(ours, entry);
      const what = typeof entry.send === "string" ? entry.send : Buffer.from(entry.send).toString("latin1");
      if (q.length !== o.length) {
        mismatches.push(`${what}\n  QEMU: ${q.join(" | ")}\n  ours: ${o.join(" | ")}`);
        continue;
      }
      q.forEach((ql, i) => {
        const ol = o[i] as string;
        if (ql.includes('"error"') || !ql.includes('"return"')) {
          if (ql !== ol) mismatches.push(`${what}\n  QEMU: ${ql}\n  ours: ${ol}`);
          return;
        }
        const want = qemuInOurOrder(ql);
        const got = parseLossless(ol);
        try {
          assert.deepEqual(got, want);
          assert.deepEqual(keyOrder(got), keyOrder(want));
        } catch {
          mismatches.push(`${what}\n  QEMU (in order): ${JSON.stringify(plain(want))}\n  ours: ${ol}`);
        }
      });
    }
    assert.deepEqual(mismatches, [], `\n${mismatches.join("\n")}`);
  });

  it("a TCG QEMU (as without /dev/kvm) answers [] for provider kvm, and our client sees no stats files", async () => {
    // Its own QEMU with -accel tcg, so this runs on every machine.
    await using tcg = await startQemu(2, "tcg");
    const replies = await commands(tcg.socket, [
      '{"execute":"query-stats","arguments":{"target":"vm"}}',
      '{"execute":"query-stats","arguments":{"target":"vcpu"}}',
      '{"execute":"query-stats-schemas"}',
      '{"execute":"query-stats-schemas","arguments":{"provider":"kvm"}}',
    ]);
    assert.deepEqual(replies, Array(4).fill('{"return": []}'));
    await using s = await openSource(`qmp:${tcg.socket}`);
    assert.deepEqual(s.files, []);
  });

  it("info prints QEMU's HMP `info stats` text (in bucket order)", async () => {
    const cases: [string, Parameters<typeof infoStats>[1]][] = [
      ["info stats vm", { target: "vm" }],
      ["info stats vcpu", { target: "vcpu" }],
      ["info stats vcpu halt_wait_hist,exits kvm", { target: "vcpu", names: "halt_wait_hist,exits", provider: "kvm" }],
      ["info stats vm * kvm", { target: "vm", names: "*", provider: "kvm" }],
    ];
    const replies = await commands(
      qemu.socket,
      cases.map(([cmd]) => JSON.stringify({ execute: "human-monitor-command", arguments: { "command-line": cmd } })),
    );
    cases.forEach(([cmd, o], i) => {
      const text = (JSON.parse(replies[i] as string) as { return: string }).return;
      assert.equal(infoStats(files, o), hmpInOurOrder(text), cmd);
    });
    if (accel === "tcg") return; // no statistics to print through the CLI
    const r = await cli("info", `qmp:${ours}`, "--target", "vcpu", "--names", "exits");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^provider: kvm\n {4}exits \(cumulative\): \d+\n$/);
  });

  it("read, schema, check and snapshot work on qmp: like on a local source", { skip: kvmSkip }, async () => {
    const read = await cli("read", `qmp:${qemu.socket}`, "--json", "--target", "vcpu", "--names", "halt_wait_hist");
    assert.equal(read.code, 0, read.err);
    assert.equal((JSON.parse(read.out) as unknown[]).length, 4);
    const schema = await cli("schema", `qmp:${qemu.socket}`, "--json");
    assert.equal(schema.code, 0, schema.err);
    assert.deepEqual(JSON.parse(schema.out), schemaResults(files));
    const check = await cli("check", `qmp:${qemu.socket}`);
    assert.equal(check.code, 0, check.out + check.err);
    const snap = await cli("snapshot", `qmp:${qemu.socket}`, "--out", join(dir, "snap"));
    assert.equal(snap.code, 0, snap.err);
    assert.equal(snap.out.trim().split("\n").length, 5);
  });

  it("the qmp command prints QEMU's reply digit-exact", async () => {
    const r = await cli(
      "qmp",
      qemu.socket,
      "query-stats",
      '{"target":"vm","providers":[{"provider":"kvm","names":["pages_4k"]}]}',
      "--compact",
    );
    assert.equal(r.code, 0, r.err);
    if (accel === "kvm")
      assert.match(r.out, /^\{"return": \[\{"provider": "kvm", "stats": \[\{"name": "pages_4k", "value": \d+\}\]\}\]\}\n$/);
    else assert.equal(r.out, '{"return": []}\n');
    const bad = await cli("qmp", qemu.socket, "query-stats", '{"target":"bogus"}', "--compact");
    assert.equal(bad.code, 1);
    assert.equal(bad.out, '{"error": {"class": "GenericError", "desc": "Parameter \'target\' does not accept value \'bogus\'"}}\n');
  });
});
