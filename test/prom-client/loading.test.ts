/**
 * statsfs/prom-client loads both ways on Node 20: `require()` (the CommonJS bundle) and `import`
 * (the ES build), by the package's own exports map; one process loading both has one global
 * registry, so a metric made through either shows in the same exposition; the CommonJS
 * `contentType` is a live property as prom-client's.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";

const ROOT = join(import.meta.dirname, "../../..");

function node(args: string[]): string {
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 20_000 });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

describe("statsfs/prom-client: loading", () => {
  it("require() and import give one register", () => {
    const out = node([
      "--input-type=module",
      "-e",
      `import { createRequire } from "node:module";
       import * as esm from "statsfs/prom-client";
       const cjs = createRequire(process.cwd() + "/package.json")("statsfs/prom-client");
       new cjs.Counter({ name: "from_require_total", help: "r" }).inc(2);
       new esm.Gauge({ name: "from_import", help: "i" }).set(3);
       console.log(JSON.stringify({ same: cjs.register === esm.register, text: await esm.register.metrics() }));`,
    ]);
    const { same, text } = JSON.parse(out) as { same: boolean; text: string };
    assert.equal(same, true);
    assert.match(text, /^from_require_total 2$/m);
    assert.match(text, /^from_import 3$/m);
  });

  it("require() alone works from a CommonJS program, with a live contentType", () => {
    const out = node([
      "-e",
      `const client = require("statsfs/prom-client");
       const before = client.contentType;
       client.contentType = client.openMetricsContentType;
       console.log(JSON.stringify([before, client.register.contentType, typeof client.Counter, typeof client.AggregatorRegistry]));`,
    ]);
    assert.deepEqual(JSON.parse(out), [
      "text/plain; version=0.0.4; charset=utf-8",
      "application/openmetrics-text; version=1.0.0; charset=utf-8",
      "function",
      "function",
    ]);
  });
});
