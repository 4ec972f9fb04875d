/**
 * The drop-in promise, end to end: examples/prom-client-service.cjs (a small prom-client service:
 * labelled counter, histogram with custom buckets, gauge, default metrics) runs under `node` as
 * written, with `require("statsfs/prom-client")` (the CommonJS bundle), and once more with that
 * line changed back to `require("prom-client")`. Both serve /metrics; the service's own metrics
 * must be byte-identical, and the default metrics must have the same families (HELP and TYPE
 * lines) and label sets; only their time-dependent values may differ.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");
const EXAMPLE = join(ROOT, "examples/prom-client-service.cjs");
const REQUIRE = 'require("statsfs/prom-client")';

const children: ChildProcess[] = [];
const tmp = mkdtempSync(join(tmpdir(), "statsfs-promclient-"));
after(() => {
  for (const c of children) c.kill();
  rmSync(tmp, { recursive: true, force: true });
});

/** Starts `file` under node and returns its /metrics text and content type. */
async function scrape(file: string, env: NodeJS.ProcessEnv = {}): Promise<{ text: string; type: string }> {
  const child = spawn(process.execPath, [file], { stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } });
  children.push(child);
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(Number(out.trim()));
    });
    child.on("exit", (code) => reject(new Error(`${file} exited with ${code}`)));
  });
  // A first scrape starts the collectors (event-loop lag is set after it); the second is compared.
  await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  child.kill();
  return { text, type: res.headers.get("content-type") ?? "" };
}

/** Families of the default metrics whose label sets depend on what the process did when (GC kinds, handle types). */
const TIMING = /^(nodejs_gc_duration_seconds|nodejs_active_(handles|requests|resources))(_bucket|_sum|_count)?$/;

/** Sample lines as name{labels}, values cut, except for the app's own metrics. */
function shape(text: string): { meta: string[]; samples: string[]; app: string[] } {
  const meta: string[] = [];
  const samples: string[] = [];
  const app: string[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#")) meta.push(line);
    else if (line.startsWith("http_")) app.push(line);
    else if (line !== "") {
      const series = line.slice(0, line.lastIndexOf(" "));
      const name = series.replace(/\{.*$/, "");
      if (!TIMING.test(name)) samples.push(series);
    }
  }
  return { meta, samples, app };
}

describe("a prom-client service switched to statsfs/prom-client", () => {
  it("serves the same /metrics as with prom-client", async () => {
    const source = readFileSync(EXAMPLE, "utf8");
    assert.ok(source.includes(REQUIRE), "the example requires statsfs/prom-client");
    const original = join(tmp, "service-prom-client.cjs");
    writeFileSync(original, source.replace(REQUIRE, 'require("prom-client")'));
    const [theirs, mine] = await Promise.all([scrape(original, { NODE_PATH: join(ROOT, "node_modules") }), scrape(EXAMPLE)]);
    assert.equal(mine.type, theirs.type);
    const a = shape(theirs.text);
    const b = shape(mine.text);
    assert.deepEqual(b.app, a.app);
    assert.ok(b.app.length > 30, "the service's own metrics are there");
    assert.deepEqual(b.meta, a.meta);
    assert.deepEqual(b.samples, a.samples);
    assert.ok(b.meta.includes("# TYPE process_cpu_user_seconds_total counter"));
    assert.ok(b.samples.includes('process_resident_memory_bytes{service="demo"}'));
  });
});
