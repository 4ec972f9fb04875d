import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { COMMANDS } from "../../src/cli/commands/index.js";
import { GOLDEN } from "../codec/golden.test.js";
import { cli } from "../helpers.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const golden = join(dir, "golden.stats");
writeFileSync(golden, GOLDEN);

describe("CLI contract", () => {
  it("read --json: query-stats shape, u64 digit-exact, histograms in bucket order", async () => {
    const r = await cli("read", `file:${golden}`, "--json");
    assert.equal(r.code, 0, r.err);
    assert.equal(
      r.out.replace(/\s+/g, ""),
      '[{"provider":"kvm","target":"vm","id":"kvm-1","labels":{"provider":"kvm","target":"vm","pid":"1"},"stats":[{"name":"exits","value":72623859790382856},{"name":"wait_hist","value":[1,18446744073709551615]}]}]',
    );
  });

  it("read --names and --target filter; a target or name the source lacks is an error", async () => {
    const r = await cli("read", golden, "--json", "--names", "wait_hist");
    assert.match(r.out, /"wait_hist"/);
    assert.doesNotMatch(r.out, /"exits"/);
    const none = await cli("read", golden, "--json", "--target", "vcpu");
    assert.equal(none.code, 2);
    assert.equal(none.err, 'statsfs: unknown target "vcpu"\n');
    assert.equal(none.out, "");
  });

  it("typos in a selection are one clear line naming the closest existing names, exit 2", async () => {
    const cases: [string[], string][] = [
      [["read", "sim:", "--names", "exitz"], 'statsfs: unknown statistic "exitz"; did you mean "exits"'],
      [["read", "sim:", "--target", "vpcu"], 'statsfs: unknown target "vpcu"; did you mean "vcpu"?'],
      [["read", "sim:", "--provider", "kvn"], 'statsfs: unknown provider "kvn"; did you mean "kvm"?'],
      [["schema", "sim:", "--provider", "nope"], 'statsfs: unknown provider "nope"'],
      [
        ["info", "sim:", "--target", "vcpu", "--names", "halt_wait_nss"],
        'statsfs: unknown statistic "halt_wait_nss"; did you mean "halt_wait_ns"',
      ],
      [["top", "sim:", "--count", "1", "--names", "/^nothing$/"], 'statsfs: unknown statistic "/^nothing$/"'],
      [["read", "sim:", "--vcpu", "7"], "statsfs: --vcpu 7: no such vCPU (vCPUs: 0,1)"],
      [["read", "sim:", "--names", "/(/"], "statsfs: --names /(/: not a regular expression"],
    ];
    for (const [args, want] of cases) {
      const r = await cli(...args);
      assert.equal(r.code, 2, args.join(" "));
      assert.ok(r.err.startsWith(want), `${args.join(" ")}: ${r.err}`);
      assert.equal(r.err.split("\n").length, 2, "one line");
    }
  });

  it("--names takes exact names, globs and /regex/; --vcpu picks vCPU files", async () => {
    const r = await cli("read", "sim:?vcpus=3", "--json", "--names", "halt_*,/^exits$/", "--vcpu", "1-2");
    assert.equal(r.code, 0, r.err);
    const results = JSON.parse(r.out) as { id: string; stats: { name: string }[] }[];
    assert.deepEqual(
      results.map((x) => x.id),
      ["kvm-0/vcpu-1", "kvm-0/vcpu-2"],
    );
    for (const x of results) {
      assert.ok(
        x.stats.every((st) => st.name === "exits" || st.name.startsWith("halt_")),
        JSON.stringify(x.stats.map((st) => st.name)),
      );
      assert.ok(x.stats.some((st) => st.name === "exits"));
    }
  });

  it("read text shows non-zero buckets and units", async () => {
    const r = await cli("read", golden);
    assert.match(r.out, /wait_hist\s+log2-histogram\s+\[0 ns, 1 ns\)=1 \[1 ns, ∞\)=18446744073709551615\s+ns buckets/);
  });

  it("schema --json: query-stats-schemas shape", async () => {
    const r = await cli("schema", golden, "--json");
    assert.deepEqual(JSON.parse(r.out), [
      {
        provider: "kvm",
        target: "vm",
        stats: [
          { name: "exits", type: "cumulative", exponent: 0 },
          { name: "wait_hist", type: "log2-histogram", unit: "seconds", base: 10, exponent: -9 },
        ],
      },
    ]);
  });

  it("schema --json: bucket-size only for linear histograms, base 2 for pow2", async () => {
    const r = await cli("schema", "sim:", "--json");
    const stats = JSON.parse(r.out).flatMap((s: { stats: unknown[] }) => s.stats);
    assert.ok(stats.every((s: Record<string, unknown>) => !("bucket-size" in s)));
    assert.ok(stats.some((s: Record<string, unknown>) => s.unit === "boolean" && !("base" in s)));
  });

  it("snapshot writes one file per stats file; read of them gives the same values", async () => {
    const out = join(dir, "snap");
    const r = await cli("snapshot", "sim:?vcpus=3", "--out", out);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(readdirSync(out).sort(), ["kvm-0.stats", "kvm-0.vcpu-0.stats", "kvm-0.vcpu-1.stats", "kvm-0.vcpu-2.stats"]);
    const back = JSON.parse((await cli("read", out, "--json")).out);
    // sim: moves on each poll, so compare the snapshot with itself re-encoded.
    const again = join(dir, "snap2");
    await cli("snapshot", out, "--out", again);
    assert.deepEqual(JSON.parse((await cli("read", again, "--json")).out), back);
    assert.equal(back.length, 4);
    assert.equal(back[1].id, "kvm-0/vcpu-0");
    assert.equal(back[1].target, "vcpu");
  });

  it("check: exit 0 clean, 1 with violations, listing stat and rule", async () => {
    assert.equal((await cli("check", golden)).code, 0);
    const bad = GOLDEN.slice();
    bad[40] = 0x07; // exits: type 7
    writeFileSync(join(dir, "bad.stats"), bad);
    const r = await cli("check", join(dir, "bad.stats"));
    assert.equal(r.code, 1);
    assert.match(r.out, /bad\.stats: exits: type-max: type 7 is above the maximum 4/);
    assert.match(r.out, /1 violation$/m);
  });

  it("check reports a file the decoder rejects instead of failing", async () => {
    writeFileSync(join(dir, "short.stats"), GOLDEN.subarray(0, 100));
    const r = await cli("check", join(dir, "short.stats"));
    assert.equal(r.code, 1);
    assert.match(r.out, /desc-read/);
  });

  it("every command has --help (exit 0)", async () => {
    for (const c of COMMANDS) {
      const r = await cli(c.name, "--help");
      assert.equal(r.code, 0, c.name);
      assert.match(r.out, new RegExp(`^usage: statsfs ${c.name}`), c.name);
    }
  });

  const ERRORS: [string[], RegExp][] = [
    [["read"], /^statsfs: read: expected 1 to 64 argument\(s\), got 0/],
    [["schema", "a", "b"], /expected 1 argument/],
    [["read", "x", "--bogus"], /^statsfs: read: Unknown option '--bogus'$/],
    [["nope"], /^statsfs: unknown command "nope"/],
    [["read", "/nonexistent/file"], /^statsfs: \/nonexistent\/file: no such file or directory/],
    [["read", "fd:x"], /fd must be a non-negative integer/],
    [["read", "sim:?vcpus=0"], /vcpus must be an integer from 1 to 1024/],
    [["read", "kvm:other"], /unknown KVM source "other"/],
    [["snapshot", "sim:"], /--out DIR is required/],
    [["top", "sim:", "--count", "0"], /--count must be an integer from 1 to/],
    [
      ["top", "sim:", "--interval", "3000000000"],
      /--interval must be a number of milliseconds from 1 to 3600000, or a duration such as 2s/,
    ],
  ];
  for (const [argv, msg] of ERRORS) {
    it(`usage error: statsfs ${argv.join(" ")}`, async () => {
      const r = await cli(...argv);
      assert.equal(r.code, 2);
      assert.match(r.err.trimEnd(), msg);
      assert.equal(r.err.trimEnd().split("\n").length, 1, "one line");
      assert.doesNotMatch(r.err, /\n\s+at /, "no stack trace");
    });
  }

  it("a malformed file is one line with field and offset, exit 2", async () => {
    writeFileSync(join(dir, "trunc.stats"), GOLDEN.subarray(0, 20));
    const r = await cli("read", join(dir, "trunc.stats"));
    assert.equal(r.code, 2);
    assert.match(r.err, /trunc\.stats: premature EOF: header needs 24 bytes, file ends after 20 \(header at byte 20\)\n$/);
  });
});
