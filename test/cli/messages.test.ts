/**
 * Every message one clean line, every empty result explained (issue 15), as a new user meets
 * them: a port in use, an unknown guest, a log file that cannot open, a QMP path that is no
 * socket, misspelt options and schemes, empty selections, and sources with nothing to show — a
 * real QEMU without KVM (-accel tcg answers [] to query-stats-schemas), a host without that VM,
 * an empty debugfs directory, a producer source read for the default target vm. Nothing to
 * show exits 3 with one line saying what was found and why it is empty.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { createSource, Registry } from "../../src/producer/index.js";
import { cli } from "../helpers.js";
import { type Qemu, qemuSkipReason, startQemu } from "../qmp/qemu.js";

const dir = mkdtempSync(join(tmpdir(), "statsfs-msg-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One line on stderr, nothing on stdout. */
function oneLineError(r: { code: number; out: string; err: string }, code: number, re: RegExp): void {
  assert.equal(r.out, "", "nothing on stdout");
  assert.equal(r.err.split("\n").length, 2, `one line: ${r.err}`);
  assert.match(r.err.trimEnd(), re);
  assert.doesNotMatch(r.err, /internal error|Error:|EADDRINUSE|\bat .*\.js/);
  assert.equal(r.code, code, r.err);
}

describe("messages a new user meets", () => {
  it("serve --http on a port in use: a usage error naming the port, exit 2", async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, "127.0.0.1", () => r()));
    const port = (busy.address() as { port: number }).port;
    try {
      const r = await cli("serve", "--http", `127.0.0.1:${port}`, "sim:");
      oneLineError(r, 2, new RegExp(`^statsfs: --http 127\\.0\\.0\\.1:${port}: cannot listen: port ${port} is in use`));
    } finally {
      busy.close();
    }
  });

  it("-g with an unknown guest, -L in a missing directory: what and why, no kvm_stat 'Error:' prefix", async () => {
    oneLineError(
      await cli("top", "-1", "-g", "nosuch", "sim:?guest=web"),
      2,
      /^statsfs: -g nosuch: no guest by this name \(guests: web \(pid 0\)\)$/,
    );
    oneLineError(
      await cli("log", "-L", "/no/such/dir/f", "sim:", "--count", "1", "--interval", "10"),
      2,
      /^statsfs: -L \/no\/such\/dir\/f: cannot open for appending: ENOENT: no such file or directory$/,
    );
  });

  it("qmp:PATH that is a regular file or a directory: not a socket", async () => {
    const f = join(dir, "plain");
    writeFileSync(f, "x");
    oneLineError(await cli("read", `qmp:${f}`), 2, /cannot connect: not a socket \(a regular file\)/);
    oneLineError(await cli("read", `qmp:${dir}`), 2, /cannot connect: not a socket \(a directory\)/);
  });

  it("misspellings are answered with the closest: shm:?dri=, SIM:", async () => {
    oneLineError(
      await cli("read", "shm:x?dri=/tmp"),
      2,
      /unknown option "dri" \(did you mean "dir"\?\); shm: takes dir, instances, grace$/,
    );
    oneLineError(await cli("read", "SIM:"), 2, /unknown source scheme "SIM:"; did you mean "sim:"\?/);
  });

  it("--names '' and --vcpu '' would select everything: refused", async () => {
    for (const [opt, v] of [
      ["--names", ""],
      ["--names", ","],
      ["--vcpu", ""],
      ["--provider", ""],
    ] as const) {
      oneLineError(await cli("read", "sim:", `${opt}=${v}`), 2, new RegExp(`^statsfs: ${opt} "${v}": names no `));
    }
    oneLineError(await cli("info", "sim:", "--names="), 2, /^statsfs: info: --names "": names no statistic; give \* for all$/);
    oneLineError(await cli("top", "-1", "sim:", "--names="), 2, /names no statistic/);
  });

  it("info --names takes globs as read does ('*,*' is everything, not nothing)", async () => {
    const all = await cli("info", "sim:", "--names", "*,*");
    assert.equal(all.code, 0, all.err);
    assert.match(all.out, /^ {4}remote_tlb_flush \(cumulative\): \d+$/m);
    assert.match(all.out, /^ {4}pages_4k \(instant\): \d+$/m);
    const halt = await cli("info", "sim:", "--target", "vcpu", "--names", "halt_*");
    assert.deepEqual(
      [...halt.out.matchAll(/^ {4}(\w+) /gm)].map((m) => m[1]),
      ["halt_exits", "halt_successful_poll", "halt_wait_ns", "halt_wait_hist"],
    );
  });

  it("empty sources say why, exit 3: debugfs:EMPTYDIR, host: without that VM, trace: of a process without a VM", async () => {
    const empty = join(dir, "empty");
    mkdirSync(empty);
    oneLineError(await cli("read", `debugfs:${empty}`), 3, /no VM directories \(<pid>-<fd>\) in .*empty: no KVM VM runs/);
    oneLineError(await cli("read", "host:?pid=1"), 3, /^statsfs: host:\?pid=1: no KVM VM runs on this host with pid 1$/);
    oneLineError(await cli("read", `trace:${process.pid}`), 2, new RegExp(`process ${process.pid} \\(.*\\) runs no KVM VM`));
  });

  it("info of a producer source for the default target vm: which targets it has, exit 3", async () => {
    const shm = join(dir, "shm");
    mkdirSync(shm);
    const reg = new Registry();
    const src = createSource("app");
    src.addValues({ requests: {} });
    const r = reg.register(src, { export: { dir: shm } });
    try {
      const i = await cli("info", `shm:app?dir=${shm}`);
      oneLineError(i, 3, /has no stats files of target vm \(it has statsfs\/[^)]+\); give --target /);
    } finally {
      r.close();
    }
  });
});

describe("a QEMU without KVM (-accel tcg) reports no statistics: said in one line, exit 3", { skip: qemuSkipReason() }, () => {
  let q: Qemu;
  before(async () => {
    q = await startQemu(1, "tcg");
  });
  after(() => q?.stop());

  for (const argv of [["read"], ["read", "--json"], ["schema"], ["schema", "--json"], ["info"], ["check"], ["top", "-1", "-s", "0.1"]]) {
    it(argv.join(" "), async () => {
      const r = await cli(...argv, `qmp:${q.socket}`);
      oneLineError(
        r,
        3,
        /^statsfs: QEMU \d+\.\d+\.\d+ at .*qmp\.sock reports no statistics \(provider kvm absent: is it running with -accel kvm\?\)$/,
      );
    });
  }

  it("top on it keeps running and says why its screen is empty", async () => {
    const r = await cli("top", `qmp:${q.socket}`, "--count", "1", "--interval", "10");
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^ nothing to show: QEMU .* reports no statistics \(provider kvm absent/m);
  });
});

describe("-f takes kvm_stat's Python regexes", () => {
  const fieldsOf = (out: string) => (out.split("\n")[0] ?? "").trim().split(" ");
  it("(?i), (?P<n>…), (?P=n), \\Z and (?#…) as Python means them", async () => {
    for (const [re, want] of [
      ["(?i)HALT_EXITS", ["halt_exits"]],
      ["(?P<k>halt)_(exits|wait_hist)\\Z", ["halt_exits", "halt_wait_hist"]],
      ["(?#the io ones)io_", ["io_exits"]],
      ["(?P<x>e)(?P=x)?xits\\Z", ["exits"]],
    ] as const) {
      const r = await cli("log", "sim:", "-f", re, "--count", "1", "--interval", "10");
      assert.equal(r.code, 0, `${re}: ${r.err}`);
      assert.deepEqual(fieldsOf(r.out), want, re);
    }
  });

  it("what JavaScript cannot do is refused in one line naming the construct", async () => {
    for (const [re, what] of [
      ["(?x)halt _exits", /\(\?x\) \(Python's verbose flag\) is not supported/],
      ["(?i:halt)", /\(\?i:…\) \(flags scoped to a group\) is not supported/],
      ["(?>halt)", /\(\?>…\) \(an atomic group\) is not supported/],
      ["halt_.*+", /\*\+ \(a possessive quantifier\) is not supported/],
    ] as const) {
      oneLineError(await cli("top", "sim:", "-f", re), 2, what);
    }
  });
});
