/**
 * Real-peer tests of `host:` and `statsfs ps`: several real QEMUs (stopped with -S, so values
 * hold still) with different -name spellings and both monitor spellings, one without monitor;
 * statsfs VMs in child processes (route fd; one with 0 vCPUs; fake "QEMUs" whose monitor sends
 * garbage or never greets); a QEMU killed mid-poll; a monitor held by another client; a crafted
 * debugfs directory; tracepoint counts that must cover the guest's port-I/O exits. These need
 * /dev/kvm (host: finds VMs by the kvm-vm fds their processes hold); without it they skip
 * loudly, and what runs on every machine is the empty case: no VM, and a TCG QEMU (which holds
 * no KVM fd) is not taken for one.
 * @serial: perf stat's window must enclose ours; in the concurrent pass of a fresh-clone CI
 * perf, started under load, counted 139 exits to our 151.
 */
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { StatsFile } from "../../src/model/stats-file.js";
import { statValue } from "../../src/model/value.js";
import { describe as describeVm } from "../../src/providers/host/enumerate.js";
import { enumerateVms, HostSource, hostHasVms, hostOptions } from "../../src/providers/host/index.js";
import { openFdRoute } from "../../src/providers/host/routes/fd.js";
import { monitorBusy } from "../../src/providers/host/routes/qmp.js";
import { fdLinks } from "../../src/providers/proc.js";
import { openSource, parseSourceUri } from "../../src/providers/registry.js";
import { tracefsDir } from "../../src/providers/trace/tracefs.js";
import { QmpClient } from "../../src/qmp/client/client.js";
import { cli, kvmSkipReason } from "../helpers.js";
import { qemuKvmSkipReason, qemuSkipReason, startQemu } from "../qmp/qemu.js";
import { RawQmp } from "../qmp/raw.js";
import { type ChildVm, type Peer, startChildVm, startQemuWith, tempDir } from "./peers.js";

const skip = qemuKvmSkipReason();

/** Why tracepoint tests cannot run (no tracefs with KVM events); a failure with STATSFS_REQUIRE_TRACE=1. */
function traceSkipReason(): string | undefined {
  const k = kvmSkipReason();
  if (k !== undefined) return k;
  if (tracefsDir() !== undefined) return undefined;
  const reason = "SKIPPED: tracefs with KVM events is not mounted (mount -t tracefs none /sys/kernel/tracing), tracepoint tests cannot run";
  if (process.env.STATSFS_REQUIRE_TRACE === "1") throw new Error(`STATSFS_REQUIRE_TRACE=1 but ${reason}`);
  console.error(reason);
  return reason;
}

/** The `perf` tool, or undefined (skipped loudly; a failure with STATSFS_REQUIRE_PERF=1). */
function perfSkipReason(): string | undefined {
  try {
    execFileSync("perf", ["--version"], { stdio: "ignore" });
    return undefined;
  } catch {
    const reason = "SKIPPED: perf (Debian's linux-perf) is not installed, the kernel cross-check cannot run";
    if (process.env.STATSFS_REQUIRE_PERF === "1") throw new Error(`STATSFS_REQUIRE_PERF=1 but ${reason}`);
    console.error(reason);
    return reason;
  }
}

const traceSkip = traceSkipReason();
const UUID = "6b29fc40-ca47-1067-b31d-00dd010662da";
/** Guest names carry this run's tag, so that parallel runs of these tests never see each other's VMs. */
const TAG = `t${process.pid}`;

async function host(uri: string): Promise<HostSource> {
  const { rest, query } = parseSourceUri(uri);
  return HostSource.open(uri, hostOptions(uri, rest, query));
}

/** A file's values by statistic name, as QEMU's JSON would carry them (lists in bucket order). */
function byName(f: StatsFile): Map<string, unknown> {
  return new Map(f.schema.descriptors.map((d) => [d.name, statValue(d, f.data)]));
}

/** QEMU's own query-stats for `target`, per qom-path (or "vm"), histograms put back in bucket order. */
async function qemuStats(socket: string, target: string): Promise<Map<string, Map<string, unknown>>> {
  const c = await QmpClient.connect(socket, { timeoutMs: 5000 });
  try {
    const list = (await c.execute("query-stats", { target })) as {
      provider: string;
      "qom-path"?: string;
      stats: { name: string; value: unknown }[];
    }[];
    const out = new Map<string, Map<string, unknown>>();
    for (const r of list) {
      if (r.provider !== "kvm") continue;
      out.set(r["qom-path"] ?? "vm", new Map(r.stats.map((s) => [s.name, Array.isArray(s.value) ? [...s.value].reverse() : s.value])));
    }
    return out;
  } finally {
    await c.close();
  }
}

describe("host: where no process holds a KVM VM (every machine)", () => {
  it("a process without KVM fds is no VM: enumeration and host:?pid= are empty, polls work", async () => {
    assert.deepEqual(enumerateVms({ pids: new Set([process.pid]) }), []);
    await using h = await host(`host:?pid=${process.pid}`);
    assert.deepEqual(h.files, []);
    assert.deepEqual(h.summaries(), []);
    await h.poll();
    assert.deepEqual(h.files, []);
  });

  it("a QEMU running with -accel tcg holds no kvm-vm fd and is not listed", { skip: qemuSkipReason() }, async () => {
    await using q = await startQemu(1, "tcg");
    const pid = q.process.pid as number;
    const links = fdLinks(pid);
    assert.ok(typeof links !== "string", `QEMU's fds are readable: ${links}`);
    assert.ok(![...links.values()].some((l) => l.startsWith("anon_inode:kvm")), "a TCG QEMU holds no KVM fd");
    assert.deepEqual(enumerateVms({ pids: new Set([pid]) }), []);
    await using h = await host(`host:?pid=${pid}`);
    assert.deepEqual(h.summaries(), []);
  });
});

describe("host: every KVM VM on this host", { skip }, () => {
  const tmp = tempDir();
  const sock = (n: string) => join(tmp.dir, n);
  let q1: Peer;
  let q2: Peer;
  let q3: Peer;
  let q4: Peer;
  let still: ChildVm;
  let novcpu: ChildVm;
  const peers: Peer[] = [];

  before(async () => {
    q1 = await startQemuWith([
      "-smp",
      "2",
      "-name",
      `guest=alpha-${TAG},debug-threads=on`,
      "-uuid",
      UUID,
      "-qmp",
      `unix:${sock("q1.sock")},server=on,wait=off`,
    ]);
    q2 = await startQemuWith([
      "-smp",
      "1",
      "-name",
      `beta,,gamma-${TAG}`,
      "-chardev",
      `socket,id=m0,path=${sock("q2.sock")},server=on,wait=off`,
      "-mon",
      "chardev=m0,mode=control",
    ]);
    q3 = await startQemuWith(["-smp", "1", "-name", `plain-${TAG}`]);
    q4 = await startQemuWith(["-smp", "1", "-name", `guest=pretty-${TAG}`, "-qmp-pretty", `unix:${sock("q4.sock")},server,nowait`]);
    still = await startChildVm(["demo", "2", "0"]);
    novcpu = await startChildVm(["novcpu"]);
    peers.push(q1, q2, q3, q4, still, novcpu);
  });

  after(async () => {
    for (const p of peers) await p.stop();
    tmp.remove();
  });

  it("enumerates each VM: guest names in every spelling, uuid, vCPUs, monitors, vCPU threads", () => {
    assert.equal(hostHasVms(), true);
    const vms = new Map(enumerateVms({ pids: new Set(peers.map((p) => p.pid)) }).map((v) => [v.pid, v]));
    assert.equal(vms.size, peers.length);
    const a = vms.get(q1.pid);
    assert.equal(a?.guest, `alpha-${TAG}`);
    assert.equal(a?.uuid, UUID);
    assert.equal(a?.vcpuFds.size, 2);
    assert.equal(a?.vmm, "qemu-system-x86_64");
    assert.deepEqual(
      a?.monitors.map((m) => m.path),
      [sock("q1.sock")],
    );
    assert.equal(a?.vcpuThreads.size, 2, "debug-threads=on names the vCPU threads CPU N/KVM");
    assert.equal(vms.get(q2.pid)?.guest, `beta,gamma-${TAG}`);
    assert.deepEqual(
      vms.get(q2.pid)?.monitors.map((m) => [m.spec.via, m.path]),
      [["-chardev m0", sock("q2.sock")]],
    );
    assert.equal(vms.get(q3.pid)?.monitors.length, 0);
    assert.equal(vms.get(q4.pid)?.monitors[0]?.path, sock("q4.sock"));
    const s = vms.get(still.pid);
    assert.equal(s?.vcpuStatsFds.size, 2);
    assert.equal(s?.vmStatsFds.length, 1);
    assert.equal(vms.get(novcpu.pid)?.vcpuFds.size, 0);
    // Found alike through debugfs's directories and through every process's fds.
    const mine = new Set(peers.map((p) => p.pid));
    const viaProc = enumerateVms({ scan: "proc" }).filter((v) => mine.has(v.pid));
    const viaAuto = enumerateVms({ scan: "auto" }).filter((v) => mine.has(v.pid));
    assert.deepEqual(
      viaAuto.map((v) => v.key),
      viaProc.map((v) => v.key),
    );
    assert.equal(viaProc.length, peers.length);
  });

  it("a user who may not read other processes' /proc entries gets an empty list, not an error", (t) => {
    const as = ["--reuid=65534", "--regid=65534", "--clear-groups"];
    try {
      execFileSync("setpriv", [...as, "test", "-r", "dist/src/cli/main.js"], { stdio: "ignore" });
    } catch {
      t.skip("SKIPPED: setpriv missing, or the build is not readable by user nobody");
      return;
    }
    const out = execFileSync("setpriv", [...as, process.execPath, "dist/src/cli/main.js", "ps", "--json"], { encoding: "utf8" });
    const list = JSON.parse(out) as { pid: number }[];
    assert.ok(Array.isArray(list));
    assert.ok(!list.some((o) => peers.some((p) => p.pid === o.pid)), "root's VMs are not readable by nobody");
  });

  it("statsfs ps --json: one object per VM in the documented shape, with routes and reasons", async () => {
    const pids = peers.map((p) => p.pid).join(",");
    const r = await cli("ps", "--json", `host:?pid=${pids}`);
    assert.equal(r.code, 0, r.err);
    const list = JSON.parse(r.out) as Record<string, unknown>[];
    const by = new Map(list.map((o) => [o.pid as number, o]));
    assert.equal(list.length, peers.length);
    for (const o of list) {
      const keys = Object.keys(o);
      assert.deepEqual(
        keys,
        ["pid", "guest", "uuid", "vcpus", "vmm", "routes", "detail"].filter((k) => k in o),
      );
      assert.ok(Array.isArray(o.routes));
    }
    const a = by.get(q1.pid) as Record<string, unknown>;
    assert.equal(a.guest, `alpha-${TAG}`);
    assert.equal(a.uuid, UUID);
    assert.equal(a.vcpus, 2);
    assert.equal(a.vmm, "qemu-system-x86_64");
    assert.deepEqual(a.routes, ["qmp", "trace"]);
    assert.match(a.detail as string, /fd: QEMU 7\.2 holds no stats fds/);
    const plain = by.get(q3.pid) as Record<string, unknown>;
    assert.ok(!(plain.routes as string[]).includes("qmp") && !(plain.routes as string[]).includes("fd"));
    assert.match(plain.detail as string, /qmp: no monitor on its command line/);
    assert.match(plain.detail as string, /fd: .*holds no stats fds/);
    const s = by.get(still.pid) as Record<string, unknown>;
    assert.equal(s.vmm, "node");
    assert.equal(s.vcpus, 2);
    assert.equal(!("guest" in s) && !("uuid" in s), true);
    assert.deepEqual((s.routes as string[]).slice(0, 1), ["fd"]);
    const z = by.get(novcpu.pid) as Record<string, unknown>;
    assert.equal(z.vcpus, 0);
    assert.match(z.detail as string, /0 vCPUs/);
    assert.deepEqual((z.routes as string[]).slice(0, 1), ["fd"]);
    const text = await cli("ps", `host:?pid=${q1.pid}`);
    assert.match(text.out, /^PID +GUEST +UUID +VCPUS +VMM +ROUTES +DETAIL\n/);
    assert.match(text.out, new RegExp(`${q1.pid} +alpha-${TAG} +${UUID} +2 +qemu-system-x86_64 +qmp,trace`));
  });

  it("route qmp: the values equal QEMU's own query-stats for the same still VM (both monitor spellings)", async () => {
    for (const [q, name] of [
      [q1, "q1.sock"],
      [q2, "q2.sock"],
    ] as const) {
      await using h = await host(`host:?pid=${q.pid}&route=qmp`);
      await h.poll();
      const files = h.files;
      assert.ok(files.length >= 2);
      const want = { vm: await qemuStats(sock(name), "vm"), vcpu: await qemuStats(sock(name), "vcpu") };
      for (const f of files) {
        assert.equal(f.identity.labels.route, "qmp");
        assert.equal(f.identity.labels.pid, String(q.pid));
        assert.equal(f.identity.labels.vmm, "qemu-system-x86_64");
        const key = f.identity.target === "vm" ? "vm" : (f.identity.labels.qom_path as string);
        const theirs = want[f.identity.target as "vm" | "vcpu"].get(key);
        assert.ok(theirs, `QEMU has ${f.identity.target} ${key}`);
        const ours = byName(f);
        assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
        for (const [n, v] of theirs) assert.deepEqual(ours.get(n), v, `${f.identity.id} ${n}`);
      }
      assert.equal(files.filter((f) => f.identity.target === "vcpu").length, q === q1 ? 2 : 1);
      assert.ok(files.every((f) => f.identity.labels.guest === (q === q1 ? `alpha-${TAG}` : `beta,gamma-${TAG}`)));
    }
  });

  it("route fd: a statsfs VM's stats fds, taken with pidfd_getfd, equal what the VM process reads itself", async () => {
    await using h = await host(`host:?pid=${still.pid}&route=fd`);
    await h.poll();
    const theirs = await still.ask<{ id: string; data: string[] }[]>({ values: true }, "values");
    assert.equal(h.files.length, 3);
    for (const f of h.files) {
      assert.equal(f.identity.labels.route, "fd");
      const t = theirs.find((x) => x.id === f.identity.id);
      assert.ok(t, f.identity.id);
      assert.deepEqual([...f.data].map(String), t.data);
    }
    assert.deepEqual(
      h.files.map((f) => f.identity.labels.vcpu),
      [undefined, "0", "1"],
    );
  });

  it("routes fd and qmp of one still VM (a statsfs serve child) agree with each other and with its query-stats", async () => {
    const path = sock("serve.sock");
    const main = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));
    const serve = spawn(process.execPath, [main, "serve", "--qmp", `unix:${path}`, "kvm:demo?vcpus=2&run=0"], {
      stdio: ["ignore", "ignore", "ignore"],
    });
    try {
      const pid = serve.pid as number;
      const deadline = Date.now() + 20_000;
      while (!(existsSync(path) && enumerateVms({ pids: new Set([pid]) }).length === 1)) {
        assert.ok(Date.now() < deadline && serve.exitCode === null, "statsfs serve did not start");
        await sleep(20);
      }
      await using fd = await host(`host:?pid=${pid}&route=fd`);
      await using qmp = await host(`host:?pid=${pid}&route=qmp`);
      assert.deepEqual(fd.summaries()[0]?.routes, ["fd"]);
      assert.deepEqual(qmp.summaries()[0]?.routes, ["qmp"]);
      const ids = (h: HostSource) => h.files.map((f) => f.identity.id);
      assert.deepEqual(ids(fd), [`kvm-${pid}`, `kvm-${pid}/vcpu-0`, `kvm-${pid}/vcpu-1`]);
      assert.deepEqual(ids(qmp), ids(fd));
      for (const [i, f] of fd.files.entries()) assert.deepEqual(byName(qmp.files[i] as StatsFile), byName(f), f.identity.id);
      // And with the server's own query-stats (in order: our server does not reverse lists).
      const c = await QmpClient.connect(path, { timeoutMs: 5000 });
      try {
        const list = (await c.execute("query-stats", { target: "vcpu" })) as { stats: { name: string; value: unknown }[] }[];
        assert.equal(list.length, 2);
        list.forEach((r, i) => {
          const ours = byName(fd.files[i + 1] as StatsFile);
          for (const s of r.stats) assert.deepEqual(ours.get(s.name), s.value, `vcpu ${i} ${s.name}`);
        });
      } finally {
        await c.close();
      }
    } finally {
      serve.kill("SIGKILL");
    }
  });

  it("routes are chosen per target: a VMM that keeps only its vCPUs' stats fds (as QEMU >= 8.1) gives vCPUs by fd, the VM by qmp", async () => {
    const path = sock("like81.sock");
    const vmm = await startChildVm(["like81", "2", "-qmp", `unix:${path},server=on`], "qemu-system-x86_64");
    try {
      const vm = enumerateVms({ pids: new Set([vmm.pid]) })[0];
      assert.equal(vm?.vcpuStatsFds.size, 2);
      assert.equal(vm?.vmStatsFds.length, 0);
      await using h = await host(`host:?pid=${vmm.pid}&route=fd,qmp`);
      assert.deepEqual(h.summaries()[0]?.routes, ["fd", "qmp"]);
      assert.deepEqual(
        h.files.map((f) => [f.identity.id, f.identity.labels.route]),
        [
          [`kvm-${vmm.pid}/vcpu-0`, "fd"],
          [`kvm-${vmm.pid}/vcpu-1`, "fd"],
          [`kvm-${vmm.pid}`, "qmp"],
        ],
      );
      await h.poll();
      const theirs = await vmm.ask<{ id: string; data: string[] }[]>({ values: true }, "values");
      for (const f of h.files) assert.deepEqual([...f.data].map(String), theirs.find((t) => t.id === f.identity.id)?.data, f.identity.id);
    } finally {
      await vmm.stop();
    }
  });

  it("route fd refuses a reused pid and an fd number that no longer names the stats fd the scan saw", () => {
    const vm = enumerateVms({ pids: new Set([still.pid]) })[0];
    assert.ok(vm);
    const labels = { pid: String(vm.pid) };
    // The same pid with another start time is another process.
    assert.throws(() => openFdRoute({ ...vm, key: `${vm.pid}@1` }, labels, { vm: true, vcpus: true }), /exited \(or was reused\)/);
    // An fd number that now names something else (here: the VM fd) is not taken for a stats fd.
    const wrong = { ...vm, vcpuStatsFds: new Map([[0, vm.vmFds[0] as number]]) };
    assert.throws(() => openFdRoute(wrong, labels, { vm: false, vcpus: true }), /is no longer its vcpu 0 stats fd/);
    const ok = openFdRoute(vm, labels, { vm: true, vcpus: true });
    assert.equal(ok.files.length, 3);
    void ok.close();
  });

  it("a VMM that exits between reading its fds and the rest of the scan is left out, never an error", async () => {
    const gone = await startChildVm(["novcpu"]);
    const links = fdLinks(gone.pid);
    assert.ok(typeof links !== "string" && [...links.values()].includes("anon_inode:kvm-vm"));
    await gone.stop();
    assert.equal(describeVm(gone.pid, links, "/nonexistent"), undefined);
    assert.deepEqual(enumerateVms({ pids: new Set([gone.pid]) }), []);
    await using h = await host(`host:?pid=${gone.pid}`);
    assert.deepEqual(h.summaries(), []);
    await h.poll();
  });

  it("route trace: one file per VM, and one per vCPU where its threads are known (debug-threads=on)", async () => {
    await using h = await host(`host:?pid=${q1.pid}&route=trace`);
    assert.deepEqual(
      h.files.map((f) => [f.identity.id, f.identity.labels.vcpu, f.identity.labels.guest]),
      [
        [`trace-${q1.pid}`, undefined, `alpha-${TAG}`],
        [`trace-${q1.pid}/vcpu-0`, "0", `alpha-${TAG}`],
        [`trace-${q1.pid}/vcpu-1`, "1", `alpha-${TAG}`],
      ],
    );
    assert.ok(h.files[0]?.schema.descriptors.some((d) => d.name === "kvm_userspace_exit(IO)"));
  });

  it("route qmp holds the monitor only while a poll runs, unless keep=1", async () => {
    const path = sock("q2.sock");
    {
      await using h = await host(`host:?pid=${q2.pid}&route=qmp`);
      await h.poll();
      assert.equal(await freed(path), true, "free between polls");
    }
    const h = await host(`host:?pid=${q2.pid}&route=qmp&keep=1`);
    await h.poll();
    assert.equal(monitorBusy(path), true, "held with keep=1");
    await h.close();
    assert.equal(await freed(path), true, "released by close");
  });

  it("filters: guest glob, pid list, route list", async () => {
    {
      await using h = await host(`host:?guest=beta*-${TAG}&route=qmp`);
      assert.deepEqual(
        h.summaries().map((s) => s.pid),
        [q2.pid],
      );
    }
    {
      await using h = await host(`host:?pid=${q1.pid},${still.pid}&route=fd`);
      const s = new Map(h.summaries().map((x) => [x.pid, x]));
      assert.deepEqual(s.get(q1.pid)?.routes, []);
      assert.match(s.get(q1.pid)?.detail ?? "", /holds no stats fds/);
      assert.deepEqual(s.get(still.pid)?.routes, ["fd"]);
      assert.equal(h.members.find((m) => m.uri === `host:?pid=${q1.pid}`)?.state, "failed");
    }
    await assert.rejects(() => openSource("host:?route=nfs"), /unknown route "nfs"/);
    await assert.rejects(() => openSource("host:?pid=abc"), /pid must be a list/);
    await assert.rejects(() => openSource("host:?color=1"), /unknown option "color"/);
  });

  it("a monitor held by another client is reported busy without waiting, and joins once free", async () => {
    const { raw } = await RawQmp.open(sock("q4.sock"));
    let h: HostSource | undefined;
    try {
      h = await host(`host:?pid=${q4.pid}&route=qmp`);
      const [s] = h.summaries();
      assert.deepEqual(s?.routes, []);
      assert.match(s?.detail ?? "", /qmp: monitor .*q4\.sock busy/);
      await h.poll();
      assert.equal(h.files.length, 0);
    } finally {
      await raw.close();
    }
    assert.equal(await freed(sock("q4.sock")), true);
    await h.poll();
    assert.deepEqual(h.summaries()[0]?.routes, ["qmp"]);
    assert.equal(h.files.filter((f) => f.identity.target === "vcpu").length, 1);
    await h.close();
    await h.close();
  });

  it("a monitor that sends garbage or never greets affects only its own VM", async () => {
    const { dir, remove } = tempDir();
    const g = await startChildVm(["monitor", "garbage", "-qmp", `unix:${join(dir, "g.sock")},server=on`], "qemu-fake");
    const s = await startChildVm(["monitor", "silent", "-qmp", `unix:${join(dir, "s.sock")},server=on`], "qemu-fake");
    try {
      await using h = await host(`host:?pid=${g.pid},${s.pid},${q1.pid}&route=qmp&greeting=300`);
      await h.poll();
      const by = new Map(h.summaries().map((x) => [x.pid, x]));
      assert.match(by.get(g.pid)?.detail ?? "", /qmp: .*did not send a QMP greeting/);
      assert.match(by.get(s.pid)?.detail ?? "", /qmp: monitor .*busy: no greeting within 300 ms/);
      assert.deepEqual(by.get(g.pid)?.routes, []);
      assert.deepEqual(by.get(s.pid)?.routes, []);
      assert.deepEqual(by.get(q1.pid)?.routes, ["qmp"]);
      assert.ok(h.files.some((f) => f.identity.labels.pid === String(q1.pid)));
    } finally {
      await g.stop();
      await s.stop();
      remove();
    }
  });

  it("a QEMU that stops answering (SIGSTOP) mid-poll costs one bounded poll and is named as stopped", async () => {
    const q = await startQemuWith(["-smp", "1", "-name", `frozen-${TAG}`, "-qmp", `unix:${sock("frozen.sock")},server=on,wait=off`]);
    peers.push(q);
    await using h = await host(`host:?pid=${q.pid},${q2.pid}&route=qmp&greeting=300`);
    assert.equal(h.files.filter((f) => f.identity.labels.pid === String(q.pid)).length, 2);
    q.process.kill("SIGSTOP");
    while (readFileSync(`/proc/${q.pid}/stat`, "utf8").split(") ")[1]?.[0] !== "T") await sleep(5);
    try {
      await h.poll();
      const m = h.members.find((x) => x.uri === `host:?pid=${q.pid}`);
      assert.equal(m?.state, "failed");
      assert.match(m?.reason ?? "", /stopped \(SIGSTOP\)/);
      assert.equal(h.files.filter((f) => f.identity.labels.pid === String(q.pid)).length, 0);
      assert.ok(
        h.files.some((f) => f.identity.labels.pid === String(q2.pid)),
        "the other VM still answers",
      );
    } finally {
      q.process.kill("SIGCONT");
    }
    assert.equal(await freed(sock("frozen.sock")), true);
    await h.poll();
    assert.equal(h.members.find((x) => x.uri === `host:?pid=${q.pid}`)?.state, "ok");
    assert.equal(h.files.filter((f) => f.identity.labels.pid === String(q.pid)).length, 2);
  });

  it("VMs join and leave between polls; one killed mid-poll is marked gone, the others go on", async () => {
    await using h = await host(`host:?guest=*-${TAG}&route=qmp`);
    const before = h.summaries().map((s) => s.pid);
    assert.ok(before.includes(q1.pid) && before.includes(q2.pid));
    const late = await startQemuWith(["-smp", "1", "-name", `late-${TAG}`, "-qmp", `unix:${sock("late.sock")},server=on,wait=off`]);
    peers.push(late);
    await h.poll();
    assert.ok(
      h.summaries().some((s) => s.pid === late.pid && s.routes.includes("qmp")),
      "a new VM joins",
    );
    const q1Files = h.files.filter((f) => f.identity.labels.pid === String(q1.pid));
    assert.ok(h.files.some((f) => f.identity.labels.pid === String(late.pid)));
    const polling = h.poll();
    late.process.kill("SIGKILL");
    await polling; // never rejects because one VM went away
    await late.stop();
    await h.poll();
    assert.ok(!h.summaries().some((s) => s.pid === late.pid));
    assert.ok(!h.files.some((f) => f.identity.labels.pid === String(late.pid)));
    const m = h.members.find((x) => x.uri === `host:?pid=${late.pid}`);
    assert.equal(m?.state, "gone");
    assert.match(m?.reason ?? "", /exited/);
    assert.equal(h.gone.at(-1)?.pid, late.pid);
    // The others keep their very file objects (no reset).
    const after = h.files.filter((f) => f.identity.labels.pid === String(q1.pid));
    assert.equal(after.length, q1Files.length);
    assert.ok(after.every((f, i) => f === q1Files[i]));
  });

  it("route debugfs: a crafted directory in debugfs layout, through host: and debugfs:", async () => {
    const { dir, remove } = tempDir();
    try {
      const vm = enumerateVms({ pids: new Set([q3.pid]) })[0];
      assert.ok(vm);
      const d = join(dir, `${q3.pid}-${vm.vmFds[0]}`);
      mkdirSync(join(d, "vcpu0"), { recursive: true });
      writeFileSync(join(d, "exits"), "42\n");
      writeFileSync(join(d, "halt_exits"), "7\n");
      writeFileSync(join(d, "remote_tlb_flush"), "18446744073709551615\n");
      writeFileSync(join(d, "blocking"), "0\n");
      writeFileSync(join(d, "halt_wait_hist"), "3\n");
      writeFileSync(join(d, "mmu_rmaps_stat"), "table\n");
      writeFileSync(join(d, "vcpu0", "pid"), "0\n");
      await using h = await host(`host:?pid=${q3.pid}&route=debugfs&debugfs=${dir}`);
      assert.deepEqual(h.summaries()[0]?.routes, ["debugfs"]);
      const [f] = h.files;
      assert.ok(f);
      assert.equal(f.identity.id, `debugfs-${q3.pid}`);
      assert.equal(f.identity.labels.guest, `plain-${TAG}`);
      assert.equal(f.identity.labels.route, "debugfs");
      const v = byName(f);
      assert.deepEqual([...v.keys()], ["blocking", "exits", "halt_exits", "remote_tlb_flush"]);
      assert.equal(v.get("exits"), 42n);
      assert.equal(v.get("remote_tlb_flush"), 18446744073709551615n);
      assert.equal(v.get("blocking"), false, "kinds come from the kernel's own descriptors (blocking is boolean)");
      writeFileSync(join(d, "exits"), "43\n");
      await h.poll();
      assert.equal(byName(f).get("exits"), 43n);
      await using s = await openSource(`debugfs:${dir}`);
      assert.equal(s.files.length, 1);
      assert.equal(byName(s.files[0] as StatsFile).get("halt_exits"), 7n);
    } finally {
      remove();
    }
  });

  it("route debugfs on this host: where the counters refuse to open, says so in one line", async () => {
    const vm = enumerateVms({ pids: new Set([q3.pid]) })[0];
    if (!vm?.debugfsDirs.length) return; // debugfs not mounted: nothing to say
    await using h = await host(`host:?pid=${q3.pid}&route=debugfs`);
    const s = h.summaries()[0];
    if (s?.routes.includes("debugfs")) return; // debugfs opens here (no lockdown)
    assert.match(s?.detail ?? "", /debugfs: .*(locked down|refused)/);
    assert.ok(!(s?.detail ?? "").includes("\n"));
  });
});

describe("host: tracepoint counts of a running guest", { skip: traceSkip }, () => {
  it("kvm_userspace_exit(IO) covers every port-I/O exit the VMM saw, and grows", async () => {
    await using vm = await startChildVm(["demo", "2", "1"]);
    await using h = await host(`host:?pid=${vm.pid}&route=trace`);
    assert.deepEqual(h.summaries()[0]?.routes, ["trace"], h.summaries()[0]?.detail);
    const [f] = h.files;
    assert.ok(f);
    assert.equal(f.identity.id, `trace-${vm.pid}`);
    assert.equal(f.identity.labels.route, "trace");
    const io = () => byName(f).get("kvm_userspace_exit(IO)") as bigint;
    await h.poll();
    const a1 = io();
    const c1 = BigInt(await vm.ask<string>({ io: true }, "io"));
    await sleep(300);
    const c2 = BigInt(await vm.ask<string>({ io: true }, "io"));
    await h.poll();
    const a2 = io();
    assert.ok(c2 > c1, "the guest does port I/O");
    // Every exit the VMM counted between c1 and c2 was traced before it reached user space,
    // so after a1 — except at most one in flight per vCPU.
    assert.ok(a2 - a1 + 2n >= c2 - c1, `traced ${a2 - a1}, VMM saw ${c2 - c1}`);
    // One group read per thread: the children by reason add up to the total.
    const v = byName(f);
    let sum = 0n;
    for (const [n, x] of v) if (n.startsWith("kvm_userspace_exit(")) sum += x as bigint;
    assert.equal(sum, v.get("kvm_userspace_exit"));
    // Where every vCPU thread is known (debugfs vcpuN/pid), each vCPU has its file; they add up to the VM's.
    const vcpus = h.files.filter((x) => x.identity.target === "vcpu");
    if (vcpus.length > 0) {
      assert.deepEqual(
        vcpus.map((x) => x.identity.id),
        [`trace-${vm.pid}/vcpu-0`, `trace-${vm.pid}/vcpu-1`],
      );
      const each = vcpus.map((x) => byName(x).get("kvm_userspace_exit") as bigint);
      assert.equal(
        each.reduce((a, b) => a + b, 0n),
        v.get("kvm_userspace_exit"),
      );
    }
  });

  it("agrees with the kernel's own count: perf stat over a window that encloses ours counts at least as many", {
    skip: perfSkipReason(),
  }, async () => {
    await using vm = await startChildVm(["demo", "2", "1"]);
    await using h = await host(`host:?pid=${vm.pid}&route=trace`);
    const [f] = h.files;
    assert.ok(f);
    const total = () => byName(f).get("kvm_userspace_exit") as bigint;
    const perf = spawn("perf", ["stat", "-x,", "-e", "kvm:kvm_userspace_exit", "-p", String(vm.pid)], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    let err = "";
    perf.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    try {
      // perf counts once it holds its perf_event fds on the VM's threads.
      const deadline = Date.now() + 10_000;
      while (!perfAttached(perf.pid as number)) {
        assert.ok(Date.now() < deadline && perf.exitCode === null, `perf did not attach: ${err}`);
        await sleep(10);
      }
      await h.poll();
      const a1 = total();
      await sleep(300);
      await h.poll();
      const a2 = total();
      const done = new Promise<void>((r) => perf.once("exit", () => r()));
      perf.kill("SIGINT");
      await done;
      const line = err.split("\n").find((l) => l.includes("kvm:kvm_userspace_exit"));
      assert.ok(line, `perf stat printed: ${err}`);
      const kernel = BigInt(line.split(",")[0] as string);
      assert.ok(a2 > a1, "the guest exits to user space");
      assert.ok(kernel >= a2 - a1, `perf stat ${kernel} over a window enclosing ours (${a2 - a1})`);
    } finally {
      perf.kill("SIGKILL");
    }
  });

  it("perf_event_open refused for lack of fds (EMFILE) affects only the trace route, in one line", async () => {
    await using vm = await startChildVm(["demo", "1", "0"]);
    // bash's ulimit -n sets the hard limit too, so raising RLIMIT_NOFILE cannot help here.
    const out = execFileSync(
      "bash",
      ["-c", `ulimit -n 90; exec "${process.execPath}" dist/src/cli/main.js ps --json "host:?pid=${vm.pid}"`],
      {
        encoding: "utf8",
      },
    );
    const [o] = JSON.parse(out) as { routes: string[]; detail?: string }[];
    assert.deepEqual(o?.routes, ["fd"]);
    assert.match(o?.detail ?? "", /trace: perf_event_open\(.*\): too many open files \(EMFILE\)/);
  });
});

/** Whether process `pid` holds perf_event fds. */
function perfAttached(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === "anon_inode:[perf_event]";
      } catch {
        return false;
      }
    });
  } catch {
    return false;
  }
}

/** Whether the monitor at `path` is free within 5 s (QEMU closes a client's end at its next main-loop turn). */
async function freed(path: string): Promise<boolean> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await sleep(10)) if (!monitorBusy(path)) return true;
  return false;
}
