/**
 * `host:` as root never connects to a socket a process merely names on its command line: an
 * attacker holding a KVM VM fd names a root-only QMP socket (absolute, or relative to root's
 * cwd) in `-qmp unix:…,server=on`; root's scan must not connect (the root-only server sees no
 * connection) and `ps` says `qmp: monitor not held by the VM process`. A monitor swapped for a
 * symlink to the root-only socket after the scan is refused by SO_PEERCRED before a byte is
 * exchanged. A VM's relative monitor path resolves against its own cwd, never ours.
 */
import assert from "node:assert/strict";
import { chmodSync, mkdirSync, renameSync, symlinkSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { HostSource, hostOptions } from "../../src/providers/host/index.js";
import { parseSourceUri } from "../../src/providers/registry.js";
import { cli, kvmSkipReason } from "../helpers.js";
import { startChildVm, tempDir } from "./peers.js";

const skip = kvmSkipReason();

async function host(uri: string): Promise<HostSource> {
  const { rest, query } = parseSourceUri(uri);
  return HostSource.open(uri, hostOptions(uri, rest, query));
}

/** A root-only "QMP server": greets as QEMU does and records every connection and byte it gets. */
async function rootServer(path: string): Promise<{ server: Server; connections: number; bytes: number }> {
  const seen = { server: undefined as unknown as Server, connections: 0, bytes: 0 };
  seen.server = createServer((c) => {
    seen.connections++;
    c.on("error", () => undefined);
    c.on("data", (d: Buffer) => {
      seen.bytes += d.length;
    });
    c.write('{"QMP": {"version": {"qemu": {"micro": 0, "minor": 2, "major": 7}, "package": ""}, "capabilities": []}}\r\n');
  });
  await new Promise<void>((r) => seen.server.listen(path, () => r()));
  return seen;
}

describe("host: monitor sockets are used only when the VM process holds them", { skip }, () => {
  const tmp = tempDir();
  const rootOnly = join(tmp.dir, "root-only");
  const attackerDir = join(tmp.dir, "attacker");
  const priv = join(rootOnly, "priv.sock");
  let root: Awaited<ReturnType<typeof rootServer>>;
  const ourCwd = process.cwd();

  before(async () => {
    mkdirSync(rootOnly, { mode: 0o700 });
    chmodSync(rootOnly, 0o700);
    mkdirSync(attackerDir, { mode: 0o777 });
    chmodSync(attackerDir, 0o777);
    root = await rootServer(priv);
  });

  after(async () => {
    process.chdir(ourCwd);
    await new Promise<void>((r) => root.server.close(() => r()));
    tmp.remove();
  });

  it("an absolute root-only path on an attacker's command line is never connected to", async () => {
    const a = await startChildVm(["novcpu", "-qmp", `unix:${priv},server=on`], "qemu-fake", attackerDir);
    try {
      const before = root.connections;
      await using h = await host(`host:?pid=${a.pid}&route=qmp&greeting=300`);
      await h.poll();
      const s = h.summaries().find((x) => x.pid === a.pid);
      assert.match(s?.detail ?? "", /qmp: monitor not held by the VM process/);
      assert.deepEqual(s?.routes, []);
      const r = await cli("ps", "--json", `host:?pid=${a.pid}&route=qmp&greeting=300`);
      assert.equal(r.code, 0, r.err);
      const list = JSON.parse(r.out) as { pid: number; detail?: string }[];
      assert.match(list.find((o) => o.pid === a.pid)?.detail ?? "", /qmp: monitor not held by the VM process/);
      assert.equal(root.connections - before, 0, "root's server saw a connection");
    } finally {
      await a.stop();
    }
  });

  it("a relative path resolves against the VM process's cwd, never root's", async () => {
    // Root runs statsfs from the root-only directory, where priv.sock is its own server.
    process.chdir(rootOnly);
    const a = await startChildVm(["novcpu", "-qmp", "unix:priv.sock,server=on"], "qemu-fake", attackerDir);
    try {
      const before = root.connections;
      await using h = await host(`host:?pid=${a.pid}&route=qmp&greeting=300`);
      await h.poll();
      assert.match(h.summaries().find((x) => x.pid === a.pid)?.detail ?? "", /qmp: monitor not held by the VM process/);
      assert.equal(root.connections - before, 0, "root's server saw a connection");
    } finally {
      process.chdir(ourCwd);
      await a.stop();
    }
  });

  it("a VM's own relative monitor is reached through its cwd", async () => {
    const vmDir = join(tmp.dir, "vm");
    mkdirSync(vmDir);
    const v = await startChildVm(["like81", "1", "-qmp", "unix:mon.sock,server=on"], "qemu-fake", vmDir);
    try {
      await using h = await host(`host:?pid=${v.pid}&route=qmp&greeting=2000`);
      await h.poll();
      const s = h.summaries().find((x) => x.pid === v.pid);
      assert.deepEqual(s?.routes, ["qmp"], s?.detail);
      assert.ok(h.files.some((f) => f.identity.labels.pid === String(v.pid)));
    } finally {
      await v.stop();
    }
  });

  it("a monitor swapped for a symlink to a root-only socket after the scan is refused by SO_PEERCRED", async () => {
    const vmDir = join(tmp.dir, "swap");
    mkdirSync(vmDir);
    const mon = join(vmDir, "mon.sock");
    const v = await startChildVm(["like81", "1", "-qmp", `unix:${mon},server=on`], "qemu-fake", vmDir);
    try {
      await using h = await host(`host:?pid=${v.pid}&route=qmp&greeting=2000`);
      await h.poll();
      assert.deepEqual(h.summaries().find((x) => x.pid === v.pid)?.routes, ["qmp"]);
      // The VM's owner moves its socket away and puts a symlink to root's socket in its place.
      renameSync(mon, join(vmDir, "moved.sock"));
      symlinkSync(priv, mon);
      const bytes = root.bytes;
      await h.poll();
      const s = h.summaries().find((x) => x.pid === v.pid);
      assert.match(s?.detail ?? "", /qmp: .*monitor not held by the VM process/);
      assert.ok(!h.files.some((f) => f.identity.labels.pid === String(v.pid)));
      assert.equal(root.bytes - bytes, 0, "nothing was sent to root's server");
    } finally {
      await v.stop();
    }
  });
});
