/**
 * The dashboard's server side without a browser (so it runs where Chromium is missing):
 * `statsfs web` prints the URL; the page's files come from the package with a CSP; the first
 * event a page gets names every entity; a page opened late gets the last samples as one binary
 * history answer, whose numbers are the sampler's; HEAD answers without a body.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bufferIo } from "../../src/cli/io.js";
import { runCli } from "../../src/cli/run.js";
import { openSource } from "../../src/providers/registry.js";
import { delta, type Sample } from "../../src/sample/sampler.js";
import { HttpExporter } from "../../src/views/http/index.js";
import type { FleetEvent, HistoryHeader } from "../../src/views/web/protocol.js";

/** The first `fleet` event of an event stream. */
async function firstFleet(url: string): Promise<FleetEvent> {
  const r = await fetch(url);
  assert.equal(r.headers.get("content-type"), "text/event-stream; charset=utf-8");
  const reader = r.body?.getReader();
  assert.ok(reader);
  let text = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    text += new TextDecoder().decode(value);
    const m = /event: fleet\ndata: (.*)\n\n/.exec(text);
    if (m?.[1]) {
      await reader.cancel();
      return JSON.parse(m[1]) as FleetEvent;
    }
  }
  throw new Error("no fleet event");
}

describe("the dashboard's server", () => {
  it("statsfs web prints the dashboard's URL, which serves the page with a CSP", async () => {
    const ac = new AbortController();
    const io = bufferIo(ac.signal);
    const run = runCli(["web", "--http", "127.0.0.1:0", "sim:?vcpus=2&guest=shown"], io);
    let url = "";
    for (let i = 0; i < 100 && !url; i++) {
      await new Promise((r) => setTimeout(r, 50));
      url = io.out().trim();
    }
    try {
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(url);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'none'/);
      assert.match(await page.text(), /<script type="module" src="\/app\.js"><\/script>/);
      const js = await fetch(`${url}app.js`, { headers: { "accept-encoding": "gzip" } });
      assert.equal(js.status, 200);
      assert.equal(js.headers.get("content-type"), "text/javascript; charset=utf-8");
      const ev = await firstFleet(`${url}api/events`);
      assert.deepEqual(
        ev.meta.map((m) => [m.name, m.kind, m.vcpus, m.state]),
        [["shown", "vm", 2, "ok"]],
      );
      assert.match(io.err(), /serving metrics on http:\/\/127\.0\.0\.1:\d+\/metrics and the dashboard on http:\/\/127\.0\.0\.1:\d+\//);
    } finally {
      ac.abort();
      assert.equal(await run, 0);
    }
  });

  it("keeps the last samples for a late page: one binary answer, the sampler's changes", async () => {
    const src = await openSource("sim:?vcpus=3&pid=42&guest=hist&poll=1");
    await using ex = await HttpExporter.listen({
      address: { host: "127.0.0.1", port: 0 },
      sources: [src],
      dashboard: { eager: true, intervalMs: 100 },
    });
    const feed = ex.dashboard?.feed;
    assert.ok(feed);
    const seen = new Map<number, { exits: number; bucket16: number }>();
    feed.subscribe((s: Sample) => {
      let exits = 0n;
      let b16 = 0n;
      for (const f of s.files) {
        const d = f.file.schema.descriptors.find((x) => x.name === "exits");
        if (d) exits += BigInt(delta(d, f) ?? 0n);
        const h = f.file.schema.descriptors.find((x) => x.name === "halt_wait_hist");
        if (h && f.prev) b16 += (f.data[(h.offset >>> 3) + 16] ?? 0n) - (f.prev[(h.offset >>> 3) + 16] ?? 0n);
      }
      seen.set(s.seq, { exits: Number(exits), bucket16: Number(b16) });
    });
    while ((feed.latest?.seq ?? 0) < 8) await new Promise((r) => setTimeout(r, 50));
    const key = "kvm\u001fguest=hist\u001fpid=42";
    const r = await fetch(`${ex.dashboardUrl}api/history?e=${encodeURIComponent(key)}`);
    assert.equal(r.status, 200);
    const buf = await r.arrayBuffer();
    const len = new DataView(buf).getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len))) as HistoryHeader;
    const base = 4 + len + ((8 - ((4 + len) % 8)) % 8);
    assert.ok(header.seqs.length >= 8, `${header.seqs.length} samples`);
    assert.deepEqual(header.rows, ["0", "1", "2"]);
    const exits = new Float64Array(buf, base + (header.series["vcpu:exits"] ?? -1), header.seqs.length);
    const hist = new Float32Array(buf, base + (header.buckets["vcpu:halt_wait_hist"] ?? -1), header.seqs.length * 32);
    let compared = 0;
    for (const [i, seq] of header.seqs.entries()) {
      const want = seen.get(seq);
      if (!want || i === 0) continue;
      assert.equal(exits[i], want.exits, `exits at sample ${seq}`);
      assert.equal(hist[i * 32 + 16], want.bucket16, `bucket 16 at sample ${seq}`);
      compared++;
    }
    assert.ok(compared >= 5);
    assert.ok(Object.keys(header.perFile).includes("exits"));
    assert.equal((await fetch(`${ex.dashboardUrl}api/history?e=nothing`)).status, 404);
    const head = await fetch(ex.dashboardUrl, { method: "HEAD" });
    assert.equal(head.status, 200);
    assert.equal((await head.arrayBuffer()).byteLength, 0);
  });

  it("holds a bounded number of pages: more are told to come back later", async () => {
    await using ex = await HttpExporter.listen({
      address: { host: "127.0.0.1", port: 0 },
      sources: [await openSource("sim:")],
      dashboard: { maxPages: 2 },
    });
    const open = [await fetch(`${ex.dashboardUrl}api/events`), await fetch(`${ex.dashboardUrl}api/events`)];
    assert.deepEqual(
      open.map((r) => r.status),
      [200, 200],
    );
    const third = await fetch(`${ex.dashboardUrl}api/events`);
    assert.equal(third.status, 503);
    assert.equal(third.headers.get("retry-after"), "10");
    for (const r of open) await r.body?.cancel();
  });

  it("an exporter without a dashboard answers / with the short page and /api with 404", async () => {
    await using ex = await HttpExporter.listen({
      address: { host: "127.0.0.1", port: 0 },
      sources: [await openSource("sim:")],
      dashboard: false,
    });
    assert.match(await (await fetch(ex.dashboardUrl)).text(), /statsfs exporter/);
    assert.equal((await fetch(`${ex.dashboardUrl}api/events`)).status, 404);
  });
});
