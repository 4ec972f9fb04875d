/**
 * Issue 16, items 7 and 8: what statsfs prints or exports from outside input never carries a raw
 * terminal escape (a member's path in `read shm:`'s warnings, label values and HELP text in the
 * exposition, which stays valid for promtool), and a user who can write a source directory does
 * not control the size of the output: 2,000 junk files give a few warning lines and a few
 * health series, not one per file.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { layOut } from "../../src/model/descriptor.js";
import { parseId, withLabels } from "../../src/model/identity.js";
import type { StatsFile } from "../../src/model/stats-file.js";
import { oneLine, printable, quote } from "../../src/model/text.js";
import { openSource } from "../../src/providers/registry.js";
import { HttpExporter } from "../../src/views/http/server.js";
import { renderExposition } from "../../src/views/openmetrics/index.js";
import { cli } from "../helpers.js";
import { prometheusSkipReason, promtoolCheck } from "../prometheus/prometheus.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-terminal-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** ESC sequences (clear screen, set the window title), BEL, a fake line, CSI, a line separator. */
const EVIL = "x\u001b[2J\u001b]0;owned\u0007\nfake line\r\u009b\u2028";

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/;

describe("one escaping function for text from outside", () => {
  it("printable, oneLine and quote escape alike (\\xNN), idempotently", () => {
    assert.equal(printable(EVIL), "x\\x1b[2J\\x1b]0;owned\\x07\\x0afake line\\x0d\\x9b\\u2028");
    assert.equal(printable(printable(EVIL)), printable(EVIL));
    assert.equal(oneLine(EVIL), printable(EVIL));
    assert.equal(quote('a"b\\c\nd'), '"a\\"b\\\\c\\x0ad"');
  });

  it("read shm: names a bad member's path escaped", async () => {
    const dir = join(tmp, "shm");
    mkdirSync(join(dir, "app"), { recursive: true });
    writeFileSync(join(dir, "app", `bad${EVIL.replace(/\//g, "")}.stats`), "junk");
    const r = await cli("read", `shm:app?dir=${encodeURIComponent(dir)}`);
    assert.doesNotMatch(r.err, RAW, JSON.stringify(r.err));
    assert.match(r.err, /bad.*\\x1b\[2J\\x1b\]0;owned\\x07\\x0afake line/);
  });

  it("label values and HELP from a file carry no raw escape, and stay valid for promtool", () => {
    const { descriptors, dataSize } = layOut([{ name: `exits${EVIL.replace(/\//g, "")}` }]);
    const f: StatsFile = {
      identity: withLabels(parseId("kvm-1/vcpu-0"), { guest: EVIL }),
      schema: { descriptors, dataSize, nameSize: 96 },
      data: BigUint64Array.from([7n]),
    };
    for (const format of ["text", "openmetrics"] as const) {
      const text = renderExposition([f], format);
      assert.doesNotMatch(text.replace(/\n/g, ""), RAW, `${format}: ${JSON.stringify(text)}`);
      assert.match(text, /guest="x\\\\x1b\[2J\\\\x1b\]0;owned\\\\x07\\\\x0afake line\\\\x0d\\\\x9b\\\\u2028"/, format);
      assert.match(text, /^# HELP .*exitsx\\\\x1b\[2J/m, format);
    }
    if (prometheusSkipReason() === undefined) assert.deepEqual(promtoolCheck(renderExposition([f], "text")), { code: 0, output: "" });
  });
});

describe("a writable source directory does not set the output's size", () => {
  const dir = join(tmp, "many");
  const N = 2000;
  mkdirSync(join(dir, "app"), { recursive: true });
  for (let i = 0; i < N; i++) writeFileSync(join(dir, "app", `junk${i}.stats`), "");

  it("read: a few warning lines, the rest counted", async () => {
    const r = await cli("read", `shm:app?dir=${encodeURIComponent(dir)}`);
    const lines = r.err.split("\n").filter((l) => l !== "");
    assert.ok(lines.length <= 8, `${lines.length} warning lines for ${N} bad files`);
    assert.match(r.err, new RegExp(`${N - 5} more members not ok \\(${N - 5} failed\\); ${N} of ${N} in all`));
  });

  it("the exporter: one up series per source, counts by state, a few members by name", async () => {
    await using s = await openSource(`shm:app?dir=${encodeURIComponent(dir)}`);
    await using ex = await HttpExporter.listen({ address: { host: "127.0.0.1", port: 0 }, sources: [s] });
    const text = await (await fetch(ex.url)).text();
    const health = text.split("\n").filter((l) => l.startsWith("statsfs_exporter_"));
    assert.ok(health.length <= 10, `${health.length} health lines for ${N} bad files`);
    // Only junk, no live producer: the source is down (one line), its bad files counted.
    assert.match(text, /^statsfs_exporter_source_up\{source="shm:app\?dir=[^"]*"\} 0$/m);
    assert.match(text, new RegExp(`^statsfs_exporter_source_members\\{source="[^"]*",state="failed"\\} ${N}$`, "m"));
    assert.equal(text.match(/^statsfs_exporter_source_member_up\{/gm)?.length, 3);
    if (prometheusSkipReason() === undefined) assert.deepEqual(promtoolCheck(text), { code: 0, output: "" });
  });
});
