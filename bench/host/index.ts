/**
 * @module bench/host
 * One `host:` poll of one VM, by route, in the same run: `fd` (the VMM's stats fds taken once
 * with pidfd_getfd, then one pread each), `qmp` (query-stats over the VM's monitor: held
 * between polls, and as host: does by default, connected per poll), `trace` (one read(2) per
 * thread's perf group). Two VMs of VCPUS vCPUs, stopped: a statsfs VM in a `statsfs serve`
 * child process (it holds its stats fds and answers QMP, so fd and qmp are compared on the
 * same VM), and QEMU 7.2 -S (qmp, trace; it holds no stats fds). kvm_stat's debugfs route is
 * stated, not timed, where lockdown refuses its files. Also: a whole `host:` poll (rescan of
 * /proc included). µs per vCPU for the route polls, median of rounds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { enumerateVms, HostSource, hostOptions } from "../../src/providers/host/index.js";
import { DebugfsRoute } from "../../src/providers/host/routes/debugfs.js";
import { openFdRoute } from "../../src/providers/host/routes/fd.js";
import { QmpRoute, type QmpRouteOptions } from "../../src/providers/host/routes/qmp.js";
import type { VmRoute } from "../../src/providers/host/routes/route.js";
import { TraceRoute } from "../../src/providers/host/routes/trace.js";
import { kvmUnavailableReason } from "../../src/providers/kvm/kvm.js";
import { startQemuWith, tempDir } from "../../test/host/peers.js";
import { qemuBinary } from "../../test/qmp/qemu.js";
import type { BenchCase } from "../case.js";
import { compare, compareAsync, round3 } from "../harness.js";

const VCPUS = 8;
const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

function kill(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });
}

async function waitFor(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`${what} within 30 s`);
    await sleep(20);
  }
}

/**
 * The qmp route timed connected per poll, then held (one after the other: a held connection
 * makes the monitor look busy to the per-poll one, as it would with QEMU). ns per poll.
 */
async function qmpBoth(o: Omit<QmpRouteOptions, "keep">, batch: number): Promise<{ held: number; each: number }> {
  const each = await QmpRoute.open({ ...o, keep: false });
  const e = await compareAsync({ each: () => each.poll(5000) }, batch, 9);
  await each.close();
  await sleep(100);
  const held = await QmpRoute.open({ ...o, keep: true });
  const h = await compareAsync({ held: () => held.poll(5000) }, batch, 9);
  await held.close();
  await sleep(100);
  return { held: h.held ?? Number.NaN, each: e.each ?? Number.NaN };
}

const labels = (pid: number) => ({ pid: String(pid) });

export async function cases(): Promise<BenchCase[]> {
  const why = kvmUnavailableReason();
  if (why !== undefined) {
    console.error(`bench host: skipped (${why})`);
    return [];
  }
  const tmp = tempDir();
  let serve: ChildProcess | undefined;
  const routes: VmRoute[] = [];
  const stops: (() => Promise<void>)[] = [];
  try {
    const servePath = join(tmp.dir, "serve.sock");
    serve = spawn(process.execPath, [MAIN, "serve", "--qmp", `unix:${servePath}`, `kvm:demo?vcpus=${VCPUS}&run=0`], {
      stdio: ["ignore", "ignore", "inherit"],
    });
    const servePid = serve.pid as number;
    await waitFor(() => existsSync(servePath) && enumerateVms({ pids: new Set([servePid]) }).length === 1, "statsfs serve did not start");
    const vm = enumerateVms({ pids: new Set([servePid]) })[0];
    if (!vm) throw new Error("statsfs serve's VM not found");
    const fd = openFdRoute(vm, labels(servePid), { vm: true, vcpus: true });
    routes.push(fd);
    const qmpOpts = { path: servePath, pid: servePid, labels: labels(servePid), targets: new Set(["vm", "vcpu"]), greetingMs: 2000 };
    const trace = TraceRoute.open(vm, labels(servePid));
    routes.push(trace);
    const us = (ns: number | undefined) => round3((ns ?? Number.NaN) / 1000 / VCPUS);

    const sync = compare({ fd: () => fd.pollSync(), trace: () => trace.pollSync() }, 2000, 15);
    const asyncNs = await qmpBoth(qmpOpts, 20);
    const out: BenchCase[] = [
      {
        case: `host: poll one VM (statsfs VM, ${VCPUS} vCPUs + VM file), route fd`,
        unit: "us/vcpu",
        ours: us(sync.fd),
        peers: {
          "route qmp, same VM (statsfs serve), connection held": us(asyncNs.held),
          "route qmp, same VM, connected per poll (default)": us(asyncNs.each),
          [`route trace, same VM (${trace.counters.threadCount} threads)`]: us(sync.trace),
        },
        note: `goal fd <= 2 us/vcpu and >= 100x faster than qmp; ${trace.counters.schema.descriptors.length} counters/thread`,
      },
    ];

    if (qemuBinary()) {
      const qsock = join(tmp.dir, "qemu.sock");
      const q = await startQemuWith(["-smp", String(VCPUS), "-name", "guest=bench", "-qmp", `unix:${qsock},server=on,wait=off`]);
      stops.push(q.stop);
      const qvm = enumerateVms({ pids: new Set([q.pid]) })[0];
      if (!qvm) throw new Error("QEMU's VM not found");
      const qOpts = { path: qsock, pid: q.pid, labels: labels(q.pid), targets: new Set(["vm", "vcpu"]), greetingMs: 2000 };
      const qTrace = TraceRoute.open(qvm, labels(q.pid));
      routes.push(qTrace);
      const qa = await qmpBoth(qOpts, 10);
      const qs = compare({ trace: () => qTrace.pollSync(), fd: () => fd.pollSync() }, 2000, 15);
      let debugfs = "debugfs: no directory (not mounted)";
      const dir = qvm.debugfsDirs[0];
      if (dir !== undefined) {
        try {
          const d = await DebugfsRoute.open(dir, labels(q.pid));
          routes.push(d);
          debugfs = `debugfs route ${round3((compare({ d: () => d.pollSync() }, 200, 9).d ?? 0) / 1000)} us/poll`;
        } catch (e) {
          debugfs = `kvm_stat's debugfs route not timed: ${e instanceof Error ? e.message : String(e)}`;
        }
      }
      out.push({
        case: `host: poll one VM, QEMU 7.2 -smp ${VCPUS} -S (holds no stats fds), against route fd of the statsfs VM`,
        unit: "us/vcpu",
        ours: us(qs.fd),
        peers: {
          "QEMU route qmp, connection held (query-stats vm + vcpu)": us(qa.held),
          "QEMU route qmp, connected per poll (default)": us(qa.each),
          [`QEMU route trace (${qTrace.counters.threadCount} threads)`]: us(qs.trace),
        },
        note: debugfs,
      });
    }

    const h = await HostSource.open("host:", hostOptions("host:", "", new URLSearchParams()));
    try {
      const n = h.summaries().length;
      const ns = await compareAsync({ host: () => h.poll() }, 5, 5);
      out.push({
        case: `host: one whole poll (rescan of /proc, then every route of the ${n} VMs on this host)`,
        unit: "ms/poll",
        ours: round3((ns.host ?? Number.NaN) / 1e6),
        peers: {},
      });
    } finally {
      await h.close();
    }
    return out;
  } finally {
    for (const r of routes) await r.close();
    for (const s of stops) await s();
    await kill(serve);
    tmp.remove();
  }
}
