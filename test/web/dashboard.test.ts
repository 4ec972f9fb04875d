/**
 * The dashboard as a user sees it, in real Chromium (test/web/browser): a server with a
 * 256-vCPU simulated VM, 48 more VMs, a VM whose guest name is HTML, a source that fails on
 * demand and an in-process producer with label sets and a histogram. The page loads without a
 * console error; names are text; numbers move and equal the sampler's for the same sample;
 * a VM shows charts, its vCPUs and its histograms, by click and by deep link, with history for
 * a late page; a producer shows its values, label sets and histograms; a failed member is
 * noted with its time and reason; no request leaves the server; ten pages cost no more polls;
 * with basic auth nothing answers without credentials. Saves two screenshots (docs/ with
 * STATSFS_SCREENSHOTS=1).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import bcrypt from "bcryptjs";
import type { Browser, Page } from "playwright-core";
import { createSource, liveSource, Registry } from "../../src/producer/index.js";
import { openSource } from "../../src/providers/registry.js";
import type { PollOptions, StatsSource } from "../../src/providers/source.js";
import { delta, type Sample } from "../../src/sample/sampler.js";
import { HttpExporter, loadWebConfig } from "../../src/views/http/index.js";
import { percentText, rateText } from "../../src/views/web/format.js";
import { chromiumSkip, launch } from "./browser.js";

// The callbacks given to page.evaluate run in the page; Node's types have no DOM.
// biome-ignore lint/suspicious/noExplicitAny: the page's globals, typed there, not here
declare const document: any;
// biome-ignore lint/suspicious/noExplicitAny: as above
declare const window: any;
// biome-ignore lint/suspicious/noExplicitAny: as above
type HTMLCanvasElement = any;

const skip = chromiumSkip();
const REPO = join(import.meta.dirname, "../../..");
const HOSTILE = "<img src=x onerror=window.__pwned=1>";

/** A source that fails its polls while `broken` (a QEMU that lost its socket). */
class Breakable implements StatsSource {
  readonly uri: string;
  readonly capabilities = { pollSync: false, raw: false, reset: false };
  broken = false;
  readonly #inner: StatsSource;
  constructor(inner: StatsSource) {
    this.#inner = inner;
    this.uri = `${inner.uri}&breakable`;
  }
  get files() {
    return this.#inner.files;
  }
  async poll(o?: PollOptions): Promise<void> {
    if (this.broken) throw new Error("its monitor socket was closed (test)");
    await this.#inner.poll(o);
  }
  close(): Promise<void> {
    return this.#inner.close();
  }
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** What the fleet row of a VM must say at one sample, from the sampler's own deltas. */
interface Expect {
  readonly exits: bigint;
  readonly io: bigint;
  readonly waitNs: bigint;
  readonly vcpus: number;
  readonly seconds: number;
}

function expectations(s: Sample): Map<string, Expect> {
  const out = new Map<string, { exits: bigint; io: bigint; waitNs: bigint; vcpus: number }>();
  for (const f of s.files) {
    const { guest, vcpu } = f.file.identity.labels;
    if (guest === undefined || vcpu === undefined || f.file.identity.provider !== "kvm") continue;
    const e = out.get(guest) ?? { exits: 0n, io: 0n, waitNs: 0n, vcpus: 0 };
    const d = (n: string) => {
      const desc = f.file.schema.descriptors.find((x) => x.name === n);
      return desc ? BigInt(delta(desc, f) ?? 0n) : 0n;
    };
    e.exits += d("exits");
    e.io += d("io_exits");
    e.waitNs += d("halt_wait_ns");
    e.vcpus++;
    out.set(guest, e);
  }
  return new Map([...out].map(([k, v]) => [k, { ...v, seconds: s.seconds }]));
}

/** The fleet table as shown, with the sample it shows. */
async function fleetRows(page: Page): Promise<{ seq: number; rows: Map<string, { texts: string[]; titles: string[] }> }> {
  const r = await page.evaluate(() => ({
    seq: Number(document.body.dataset.seq),
    rows: [...(document.querySelectorAll("table.fleet")[0]?.querySelectorAll("tbody tr[data-key]") ?? [])].map((tr) => ({
      texts: [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""),
      titles: [...tr.querySelectorAll("td")].map((td) => td.getAttribute("title") ?? ""),
    })),
  }));
  return { seq: r.seq, rows: new Map(r.rows.map((x) => [x.texts[0] ?? "", x])) };
}

describe("the dashboard in Chromium", { skip }, () => {
  let browser: Browser;
  let ex: HttpExporter;
  let base: string;
  let breakable: Breakable;
  let timer: NodeJS.Timeout;
  const expected = new Map<number, Map<string, Expect>>();
  const requests: string[] = [];
  const shots = process.env.STATSFS_SCREENSHOTS === "1" ? join(REPO, "docs") : mkdtempSync(join(tmpdir(), "statsfs-web-"));

  before(async () => {
    const sources: StatsSource[] = [await openSource("sim:?vcpus=256&pid=7000&guest=db-primary&poll=1&hot=17")];
    for (let i = 1; i <= 48; i++)
      sources.push(await openSource(`sim:?vcpus=${1 + (i % 4)}&pid=${7000 + i}&guest=web-${String(i).padStart(2, "0")}&poll=1`));
    sources.push(await openSource(`sim:?vcpus=1&pid=7099&guest=${encodeURIComponent(HOSTILE)}`));
    breakable = new Breakable(await openSource("sim:?vcpus=2&pid=7098&guest=flaky"));
    sources.push(breakable);
    const reg = new Registry();
    const shop = createSource("shop");
    const v = shop.addValues({
      requests: { help: "requests served" },
      inflight: { type: "instant" },
      latency: { type: "log2-histogram", unit: "seconds", exponent: -9, buckets: 32 },
    });
    const cart = v.requests.labels({ route: "/cart" });
    const odd = v.requests.labels({ route: "<b>bold</b>" });
    reg.register(shop);
    let n = 0;
    timer = setInterval(() => {
      n++;
      v.requests.add(3);
      cart.inc();
      if (n % 3 === 0) odd.inc();
      v.inflight.set(n % 7);
      v.latency.record(50_000 + ((n * 7919) % 3_000_000));
    }, 20);
    sources.push(liveSource(reg));
    ex = await HttpExporter.listen({ address: { host: "127.0.0.1", port: 0 }, sources, dashboard: { eager: true } });
    base = ex.dashboardUrl;
    ex.dashboard?.feed.subscribe((s) => expected.set(s.seq, expectations(s)));
    browser = await launch();
  });

  after(async () => {
    clearInterval(timer);
    await browser?.close();
    await ex?.close();
    if (process.env.STATSFS_SCREENSHOTS !== "1") rmSync(shots, { recursive: true, force: true });
  });

  async function page(): Promise<{ page: Page; errors: string[] }> {
    // Tall enough that the fleet's window of rows holds all 51 VMs.
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 1600 } });
    const p = await ctx.newPage();
    const errors: string[] = [];
    p.on("console", (m) => {
      if (m.type() === "error") errors.push(m.text());
    });
    p.on("pageerror", (e) => errors.push(e.message));
    await p.route("**/*", (route) => {
      requests.push(route.request().url());
      return route.continue();
    });
    return { page: p, errors };
  }

  it("loads without a console error, shows every guest name as text, and its numbers move and equal the sampler's", async () => {
    const { page: p, errors } = await page();
    await p.goto(base);
    await p.waitForFunction(() => document.querySelectorAll("table.fleet tbody tr[data-key]").length >= 51);
    const names = await p.$$eval("table.fleet tbody tr td:first-child", (tds) => tds.map((td) => td.textContent));
    assert.ok(names.includes("db-primary") && names.includes("web-07") && names.includes("flaky"), names.join(","));
    assert.ok(names.includes(HOSTILE), "the hostile guest name is shown as its characters");
    assert.equal(await p.evaluate(() => (window as { __pwned?: number }).__pwned), undefined);
    assert.equal(await p.locator("img").count(), 0, "no element was made from a name");

    // Numbers move: the exact total of db-primary's exits grows from sample to sample.
    const first = await fleetRows(p);
    await p.waitForFunction((seq) => Number(document.body.dataset.seq) > seq, first.seq);
    const second = await fleetRows(p);
    const total = (t: string | undefined) => BigInt(/total (\d+)/.exec(t ?? "")?.[1] ?? "-1");
    assert.ok(total(second.rows.get("db-primary")?.titles[5]) > total(first.rows.get("db-primary")?.titles[5]));

    // The numbers shown are the sampler's for that same sample, digit for digit.
    for (const shown of [first, second]) {
      const want = expected.get(shown.seq);
      assert.ok(want, `the test saw sample ${shown.seq}`);
      let checked = 0;
      for (const [guest, e] of want) {
        const row = shown.rows.get(guest);
        if (!row || e.seconds <= 0) continue;
        assert.equal(row.texts[5], rateText(Number(e.exits) / e.seconds), `${guest} exits/s`);
        assert.ok(row.titles[5]?.startsWith(`${e.exits} exits in ${e.seconds.toFixed(3)} s`), `${guest}: ${row.titles[5]}`);
        assert.equal(row.texts[6], rateText(Number(e.io) / e.seconds), `${guest} io exits/s`);
        assert.equal(row.texts[8], percentText(((Number(e.waitNs) * 1e-9) / e.seconds / e.vcpus) * 100), `${guest} halt wait`);
        assert.equal(row.texts[2], String(e.vcpus));
        checked++;
      }
      assert.ok(checked >= 50, `checked ${checked} VMs`);
    }

    // Sorting and filtering keep the selection in the URL.
    await p.click("table.fleet th[data-col=name]");
    await p.fill("input[type=search]", "web-1");
    await p.waitForFunction(() => document.querySelector("table.fleet")?.dataset.shown === "10");
    assert.match(p.url(), /sort=name/);
    assert.match(p.url(), /q=web-1/);
    await p.fill("input[type=search]", "");
    await p.click("table.fleet th[data-col=exits]");
    await p.waitForFunction(() => document.querySelectorAll("table.fleet tbody tr[data-key]").length >= 51);
    await p.setViewportSize({ width: 1440, height: 900 });
    await p.waitForTimeout(1200);
    await p.screenshot({ path: join(shots, "dashboard-fleet.png") });
    assert.deepEqual(errors, []);
    await p.context().close();
  });

  it("a VM: its rates charted, its 256 vCPUs and its histograms, by click and by deep link, with history", async () => {
    const { page: p, errors } = await page();
    await p.goto(base);
    await p.waitForFunction(() => document.querySelectorAll("table.fleet tbody tr[data-key]").length >= 51);
    await p.click("table.fleet tbody tr:has-text('db-primary')");
    await p.waitForURL(/\?e=/);
    await p.setViewportSize({ width: 1440, height: 900 });
    await p.waitForFunction(
      () => document.querySelectorAll(".hist canvas.heat").length >= 3 && document.querySelectorAll(".uplot").length >= 3,
    );
    const titles = await p.$$eval(".entity h3", (hs) => hs.map((x) => x.textContent ?? ""));
    assert.ok(
      titles.some((t) => t.startsWith("Per vCPU (vCPU × time, 256 vCPUs)")),
      titles.join("\n"),
    );
    for (const h of ["halt_wait_hist", "halt_poll_success_hist", "halt_poll_fail_hist"])
      assert.ok(
        titles.some((t) => t.startsWith(`${h} (samples per interval by ns bucket)`)),
        h,
      );
    assert.ok(titles.some((t) => t.startsWith("Exits (/s, sum of 256 vCPUs)")));
    assert.ok(titles.some((t) => t.startsWith("Halt wait (% of vCPU time)")));
    // A chart is drawn: uPlot's canvas has painted pixels; the heatmaps too.
    const painted = await p.evaluate(() =>
      [...document.querySelectorAll(".uplot canvas, canvas.heat")].map((c: HTMLCanvasElement) => {
        const d = c.getContext("2d")?.getImageData(0, 0, c.width, c.height).data ?? new Uint8ClampedArray();
        let n = 0;
        for (let i = 3; i < d.length; i += 4) if ((d[i] ?? 0) > 0) n++;
        return n;
      }),
    );
    assert.ok(painted.length >= 7 && painted.every((n) => n > 500), painted.join(","));
    const quant = await p.$$eval(".hist .quantiles", (qs) => qs.map((q) => q.textContent ?? ""));
    assert.match(quant[0] ?? "", /p50 \[[^,]+, [^)]+\) {3}p90 \[/);
    // Deep link: a new page opened on the URL shows the same VM, with the server's history.
    const url = p.url();
    // For the README's picture, a minute of history; for the test, a moment.
    await p.waitForTimeout(process.env.STATSFS_SCREENSHOTS === "1" ? 60_000 : 1500);
    await p.screenshot({ path: join(shots, "dashboard-vm.png"), fullPage: true });
    const late = await page();
    await late.page.goto(url);
    await late.page.waitForFunction(() => Number(document.body.dataset.slots) >= 5, undefined, { timeout: 5000 });
    assert.equal(await late.page.textContent(".entity-head .ename"), "db-primary");
    assert.deepEqual([...errors, ...late.errors], []);
    await late.page.context().close();
    await p.context().close();
  });

  it("a producer source: its values, label sets (as text) and its histogram", async () => {
    const { page: p, errors } = await page();
    await p.goto(base);
    await p.waitForSelector("table.fleet >> nth=1 >> tbody tr:has-text('shop')");
    const row = await p.textContent("table.fleet >> nth=1 >> tbody tr:has-text('shop')");
    assert.match(row ?? "", /requests [\d.]+\/s · inflight \d · latency [\d.]+\/s/);
    await p.click("table.fleet >> nth=1 >> tbody tr:has-text('shop')");
    await p.waitForFunction(
      () => document.querySelectorAll(".hist canvas.heat").length >= 1 && document.querySelectorAll(".uplot").length >= 1,
    );
    const parts = await p.$$eval("table.stats tbody tr td:first-child", (tds) => tds.map((td) => td.textContent ?? ""));
    assert.ok(parts.includes('shop {route="/cart"}'), parts.join("|"));
    assert.ok(parts.includes('shop {route="<b>bold</b>"}'), parts.join("|"));
    assert.equal(await p.locator("table.stats b").count(), 0);
    const titles = await p.$$eval(".entity h3", (hs) => hs.map((x) => x.textContent ?? ""));
    assert.ok(
      titles.some((t) => t.startsWith("latency (samples per interval by ns bucket)")),
      titles.join("\n"),
    );
    assert.deepEqual(errors, []);
    await p.context().close();
  });

  it("notes a member that failed, with when and why, and shows it again when it answers", async () => {
    const { page: p, errors } = await page();
    await p.goto(`${base}?q=flaky`);
    await p.waitForFunction(() => document.querySelector("table.fleet tbody tr td:nth-child(5)")?.textContent === "ok");
    breakable.broken = true;
    await p.waitForFunction(() =>
      /^failed at \d\d:\d\d:\d\d: /.test(document.querySelector("table.fleet tbody tr td:nth-child(5)")?.textContent ?? ""),
    );
    const state = await p.textContent("table.fleet tbody tr td:nth-child(5)");
    assert.match(state ?? "", /^failed at \d\d:\d\d:\d\d: .*its monitor socket was closed \(test\)/);
    await p.click("table.fleet tbody tr[data-key]");
    await p.waitForSelector(".entity .note");
    assert.match((await p.textContent(".entity .note")) ?? "", /Its source failed at \d\d:\d\d:\d\d; the values shown are its last\./);
    breakable.broken = false;
    await p.waitForFunction(() => document.querySelector(".entity-head .badge")?.textContent === "ok");
    assert.deepEqual(errors, []);
    await p.context().close();
  });

  it("asks nothing of any other host, sends a CSP that allows nothing external, and is read-only", async () => {
    const host = new URL(base).host;
    assert.ok(requests.length > 10);
    assert.deepEqual(
      requests.filter((u) => new URL(u).host !== host),
      [],
    );
    const r = await fetch(base);
    const csp = r.headers.get("content-security-policy") ?? "";
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /connect-src 'self'/);
    for (const path of ["", "api/events", "api/history?e=x", "app.js"]) {
      for (const method of ["POST", "PUT", "DELETE", "PATCH"])
        assert.equal((await fetch(base + path, { method })).status, 405, `${method} /${path}`);
    }
    assert.equal((await fetch(base, { method: "HEAD" })).status, 200);
  });

  it("serves any number of pages from one poll and one serialized event per sample", async () => {
    const feed = ex.dashboard?.feed;
    const dash = ex.dashboard;
    assert.ok(feed && dash);
    const streams = await Promise.all(Array.from({ length: 10 }, () => fetch(`${base}api/events`)));
    const readers = streams.map((s) => s.body?.getReader());
    const polls0 = feed.polls;
    const seq0 = feed.latest?.seq ?? 0;
    const ser0 = dash.serialized;
    await new Promise((r) => setTimeout(r, 3500));
    const samples = (feed.latest?.seq ?? 0) - seq0;
    assert.ok(dash.pages >= 10);
    assert.ok(samples >= 2);
    assert.equal(feed.polls - polls0, samples, "one poll per sample, whatever the number of pages");
    assert.equal(dash.serialized - ser0, samples, "one fleet event serialized per sample");
    for (const r of readers) await r?.cancel();
  });
});

describe("the dashboard behind basic auth", { skip }, () => {
  it("answers nothing without credentials (401) and everything with them", async () => {
    const dir = mkdtempSync(join(tmpdir(), "statsfs-web-auth-"));
    try {
      const hash = bcrypt.hashSync("s3cret", 4).replace(/^\$2b\$/, "$2y$");
      writeFileSync(join(dir, "web.yml"), `basic_auth_users:\n  ops: ${hash}\n`);
      await using ex = await HttpExporter.listen({
        address: { host: "127.0.0.1", port: 0 },
        sources: [await openSource("sim:?vcpus=2&pid=7200&guest=private")],
        webConfig: loadWebConfig(join(dir, "web.yml")),
      });
      for (const path of ["", "app.js", "app.css", "api/events", "api/history?e=x"]) {
        const r = await fetch(ex.dashboardUrl + path);
        assert.equal(r.status, 401, `/${path}`);
        await r.body?.cancel();
      }
      const browser = await launch();
      try {
        const ctx = await browser.newContext({ httpCredentials: { username: "ops", password: "s3cret" } });
        const p = await ctx.newPage();
        await p.goto(ex.dashboardUrl);
        await p.waitForSelector("table.fleet tbody tr:has-text('private')");
      } finally {
        await browser.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
