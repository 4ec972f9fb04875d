/**
 * One grammar for source names (providers/spec): parsed once, built back with every value
 * encoded, options added without string surgery; and the bugs it fixes — a `+` (or `&`) in
 * clusterMetrics' `dir` no longer changes the directory, and `shm:` and `prune` say "did you
 * mean" for a mistyped option like every other source.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { routedSources } from "../../src/cli/kvmstat.js";
import { createSource, Registry } from "../../src/producer/index.js";
import { parseSourceUri } from "../../src/providers/registry.js";
import { formatSpec, sourceSpec, withQuery } from "../../src/providers/spec.js";
import { clusterMetrics } from "../../src/views/http/prometheus.js";
import { cli } from "../helpers.js";

const tmp = mkdtempSync(join(tmpdir(), "statsfs-spec-"));
after(() => rmSync(tmp, { recursive: true, force: true }));

describe("source specs", () => {
  it("parse, build back and add options; any value survives the round trip", () => {
    const spec = sourceSpec("shm", "app/http", { dir: "/tmp/a+b&c=d %e#f", instances: undefined });
    const text = formatSpec(spec);
    assert.equal(text, "shm:app/http?dir=/tmp/a%2Bb%26c%3Dd%20%25e%23f");
    const back = parseSourceUri(text);
    assert.deepEqual(
      [back.scheme, back.rest, back.query.get("dir"), back.query.has("instances")],
      ["shm", "app/http", "/tmp/a+b&c=d %e#f", false],
    );
    const routed = withQuery(parseSourceUri("host:?pid=5&route=fd"), { route: "trace" });
    assert.equal(formatSpec(routed), "host:?pid=5&route=trace");
    assert.deepEqual(routedSources(["host:?guest=my vm"], "debugfs"), ["host:?guest=my%20vm&route=debugfs"]);
    assert.equal(parseSourceUri(routedSources(["host:?guest=a+b"], "trace")[0] as string).query.get("guest"), "a b");
    assert.deepEqual(parseSourceUri("file:/x?y"), { scheme: "file", rest: "/x?y", query: new URLSearchParams() });
  });

  it("clusterMetrics reads a dir whose name holds + and &", async () => {
    const dir = join(tmp, "a+b&c");
    const reg = new Registry();
    const app = createSource("app");
    app.addValues({ jobs: {} }).jobs.add(7);
    const r = reg.register(app, { export: { dir, instance: "w1" } });
    try {
      assert.match(await clusterMetrics("app", { dir }), /^statsfs_app_jobs_total\{source="\/app"\} 7$/m);
    } finally {
      r.close();
    }
  });

  it("shm: and prune name the option meant, like every other source", async () => {
    const read = await cli("read", "shm:app?dri=/tmp");
    assert.deepEqual(
      [read.code, read.err],
      [2, 'statsfs: shm:app?dri=/tmp: unknown option "dri" (did you mean "dir"?); shm: takes dir, instances, grace\n'],
    );
    const prune = await cli("prune", "shm:app?dri=/tmp");
    assert.deepEqual(
      [prune.code, prune.err],
      [2, 'statsfs: shm:app?dri=/tmp: unknown option "dri" (did you mean "dir"?); prune takes dir\n'],
    );
  });
});
