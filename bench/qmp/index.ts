/**
 * @module bench/qmp
 * `query-stats {"target":"vcpu"}` for 32 vCPUs: our server (a `statsfs serve` child process over
 * a 32-vCPU demo KVM VM, or the simulated VM where KVM is unavailable) against QEMU 7.2 with
 * -smp 32 -S, the same raw client for both, interleaved in one run. The client sends the
 * request and waits for the whole reply line; µs per call, median of rounds.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { kvmUnavailableReason } from "../../src/providers/kvm/kvm.js";
import { type Qemu, qemuBinary, startQemu } from "../../test/qmp/qemu.js";
import type { BenchCase } from "../case.js";
import { compareAsync, round3 } from "../harness.js";

const VCPUS = 32;
const REQUEST = '{"execute":"query-stats","arguments":{"target":"vcpu"}}\n';
const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** A minimal QMP client: one request at a time, resolves when the reply line is complete. */
class LineClient {
  readonly #socket: Socket;
  #waiting: ((bytes: number) => void) | undefined;
  #bytes = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on("data", (chunk: Buffer) => {
      this.#bytes += chunk.length;
      if (chunk[chunk.length - 1] === 10 && this.#waiting) {
        const done = this.#waiting;
        this.#waiting = undefined;
        const n = this.#bytes;
        this.#bytes = 0;
        done(n);
      }
    });
  }

  static async open(path: string): Promise<LineClient> {
    const socket = connect(path);
    await new Promise<void>((resolve, reject) => {
      socket.once("connect", () => resolve());
      socket.once("error", reject);
    });
    const c = new LineClient(socket);
    await c.#next(); // greeting
    await c.call('{"execute":"qmp_capabilities"}\n');
    return c;
  }

  #next(): Promise<number> {
    return new Promise((resolve) => {
      this.#waiting = resolve;
    });
  }

  /** Sends a request; resolves to the reply's size in bytes. */
  call(request: string = REQUEST): Promise<number> {
    const p = this.#next();
    this.#socket.write(request);
    return p;
  }

  close(): void {
    this.#socket.destroy();
  }
}

async function waitForSocket(path: string, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (!existsSync(path)) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    if (Date.now() > deadline) throw new Error(`${what} did not open ${path}`);
    await sleep(50);
  }
  await sleep(100);
}

function kill(child: ChildProcess | undefined, signal: NodeJS.Signals): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once("exit", () => resolve());
    child.kill(signal);
  });
}

export async function cases(): Promise<BenchCase[]> {
  const dir = mkdtempSync(join(tmpdir(), "statsfs-bench-qmp-"));
  const oursPath = join(dir, "ours.sock");
  const kvmWhy = kvmUnavailableReason();
  const source = kvmWhy === undefined ? `kvm:demo?vcpus=${VCPUS}&run=0` : `sim:?vcpus=${VCPUS}`;
  let server: ChildProcess | undefined;
  const qemus: Qemu[] = [];
  const sizes: number[] = [];
  const clients: LineClient[] = [];
  try {
    server = spawn(process.execPath, [MAIN, "serve", "--qmp", `unix:${oursPath}`, source], { stdio: ["ignore", "ignore", "inherit"] });
    await waitForSocket(oursPath, server, "statsfs serve");
    const ours = await LineClient.open(oursPath);
    clients.push(ours);
    const fns: Record<string, () => Promise<unknown>> = { ours: () => ours.call() };
    const bin = qemuBinary();
    let peerNote = "";
    if (bin && kvmWhy === undefined) {
      // QEMU with its vCPUs stopped (-S, as in the tests). A QEMU whose 32 vCPUs run (in
      // firmware) takes more per call (7.6 ms measured alone here) but also most of a core,
      // which would slow everything else measured in the same run, so it is left out.
      const qemu = await startQemu(VCPUS);
      qemus.push(qemu);
      const q = await LineClient.open(qemu.socket);
      clients.push(q);
      fns[`QEMU 7.2 -smp ${VCPUS} -S`] = () => q.call();
      sizes.push(await q.call());
      peerNote = `, reply ${await ours.call()} bytes ours / ${sizes[0]} bytes QEMU`;
    } else {
      console.error(`bench qmp: QEMU peer skipped (${bin ? kvmWhy : "qemu-system-x86_64 not installed"})`);
    }
    // Steady state: warm both peers (JIT, caches) before measuring.
    for (const fn of Object.values(fns)) for (let i = 0; i < 200; i++) await fn();
    const ns = await compareAsync(fns, 20, 15);
    const us = (x: number | undefined) => round3((x ?? Number.NaN) / 1000);
    const peers: Record<string, number> = {};
    for (const [k, v] of Object.entries(ns)) if (k !== "ours") peers[k] = us(v);
    return [
      {
        case: `QMP query-stats {"target":"vcpu"}, ${VCPUS} vCPUs (${source})`,
        unit: "us/call",
        ours: us(ns.ours),
        peers,
        note: `goal >= 10x faster than QEMU${peerNote}`,
      },
    ];
  } finally {
    for (const c of clients) c.close();
    await kill(server, "SIGTERM");
    for (const q of qemus) await q.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
