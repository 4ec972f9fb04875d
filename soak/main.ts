/**
 * @module soak/main
 * `npm run soak [-- options]`: a long run against a real `statsfs serve` process over a
 * simulated 32-vCPU VM — 64 QMP clients at 20 Hz each (query-stats vcpu and vm,
 * query-stats-schemas) — while a producer process writes its export file and shm: readers poll
 * it. Every reply is checked (its id, its shape, 32 vCPUs, counters that never go back,
 * schemas that never change); prints replies, errors, lost and wrong replies, and the RSS of
 * the server, the producer and this process at the start and at the end. Exit 1 unless there
 * are no errors, none lost or wrong, and the server's RSS grew by less than 10 %.
 *
 *   --seconds S   duration (default 600)
 *   --clients N   QMP clients (default 64)
 *   --hz N        requests per second per client (default 20)
 *   --vcpus N     vCPUs of the simulated VM (default 32)
 *   --readers N   shm: readers (default 4)
 *   --json        the summary as one JSON object
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { openSource } from "../src/providers/registry.js";
import type { StatsSource } from "../src/providers/source.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string" },
    clients: { type: "string" },
    hz: { type: "string" },
    vcpus: { type: "string" },
    readers: { type: "string" },
    json: { type: "boolean" },
  },
});
function int(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,7}$/.test(v) || Number(v) < 1) {
    console.error(`soak: --${name} must be a positive integer, got "${v}"`);
    process.exit(2);
  }
  return Number(v);
}
const SECONDS = int("seconds", values.seconds, 600);
const CLIENTS = int("clients", values.clients, 64);
const HZ = int("hz", values.hz, 20);
const VCPUS = int("vcpus", values.vcpus, 32);
const READERS = int("readers", values.readers, 4);
/** A request unanswered this long counts as lost. */
const LOST_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), "statsfs-soak-"));
const sock = join(dir, "soak.sock");
const shmDir = join(dir, "shm");
const MAIN = join(import.meta.dirname, "../src/cli/main.js");

const totals = { sent: 0, replies: 0, errors: 0, lost: 0, wrong: 0, skipped: 0, shmPolls: 0, shmErrors: 0, shmWrong: 0 };
const problems: string[] = [];
function problem(kind: "errors" | "wrong" | "lost" | "shmErrors" | "shmWrong", text: string): void {
  totals[kind]++;
  if (problems.length < 20) problems.push(`${kind}: ${text}`);
}

/** VmRSS of a process in bytes. */
function rss(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? Number.NaN) * 1024;
}

async function startServer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [MAIN, "serve", "--qmp", `unix:${sock}`, `sim:?vcpus=${VCPUS}`], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      if (err.includes("serving QMP")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`statsfs serve exited (${code}): ${err.trim()}`)));
  });
  return child;
}

async function startProducer(): Promise<ChildProcess> {
  const child = fork(join(import.meta.dirname, "producer-child.js"), [shmDir], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
  await new Promise<void>((resolve, reject) => {
    child.once("message", () => resolve());
    child.once("exit", (code) => reject(new Error(`producer exited (${code})`)));
  });
  return child;
}

type Kind = "vcpu" | "vm" | "schemas";
const REQUEST: Record<Kind, string> = {
  vcpu: '{"execute": "query-stats", "arguments": {"target": "vcpu"}, "id": ID}\n',
  vm: '{"execute": "query-stats", "arguments": {"target": "vm"}, "id": ID}\n',
  schemas: '{"execute": "query-stats-schemas", "id": ID}\n',
};

/** One QMP client: one request in flight at most, one every 1/HZ s. */
class Client {
  readonly #socket: Socket;
  readonly #n: number;
  #buf = "";
  #greeted = false;
  #id = 0;
  #pending: { id: number; kind: Kind; at: number } | undefined;
  /** exits per vCPU from the last vcpu reply: counters never go back. */
  #exits: number[] = [];
  #schemas: string | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closing = false;
  ready: Promise<void>;

  constructor(n: number) {
    this.#n = n;
    this.#socket = connect(sock);
    this.#socket.setEncoding("utf8");
    this.#socket.on("error", (e) => {
      if (!this.#closing) problem("errors", `client ${n}: ${e.message}`);
    });
    this.#socket.on("close", () => {
      if (!this.#closing) problem("errors", `client ${n}: connection closed by the server`);
    });
    this.ready = new Promise<void>((resolve) => {
      this.#socket.on("data", (d: string) => {
        this.#buf += d;
        for (let nl = this.#buf.indexOf("\n"); nl >= 0; nl = this.#buf.indexOf("\n")) {
          const line = this.#buf.slice(0, nl);
          this.#buf = this.#buf.slice(nl + 1);
          if (!this.#greeted) {
            this.#greeted = true;
            this.#socket.write('{"execute": "qmp_capabilities", "id": 0}\n');
            continue;
          }
          if (line.includes('"id": 0}') && this.#id === 0) {
            resolve();
            continue;
          }
          this.#reply(line);
        }
      });
    });
  }

  start(): void {
    // Spread the clients over the period.
    const period = 1000 / HZ;
    setTimeout(
      () => {
        this.#timer = setInterval(() => this.#tick(), period);
      },
      (this.#n * period) / CLIENTS,
    );
  }

  #tick(): void {
    const now = performance.now();
    if (this.#pending) {
      if (now - this.#pending.at > LOST_MS) {
        problem("lost", `client ${this.#n}: no reply to request ${this.#pending.id} within ${LOST_MS / 1000} s`);
        this.#pending = undefined;
      } else {
        totals.skipped++;
        return;
      }
    }
    const id = ++this.#id;
    const r = id % 10;
    const kind: Kind = r < 7 ? "vcpu" : r < 9 ? "vm" : "schemas";
    this.#pending = { id, kind, at: now };
    totals.sent++;
    this.#socket.write(REQUEST[kind].replace("ID", String(id)));
  }

  #reply(line: string): void {
    const p = this.#pending;
    if (!p) {
      problem("wrong", `client ${this.#n}: a reply without a request`);
      return;
    }
    this.#pending = undefined;
    let msg: { return?: unknown; error?: { desc?: string }; id?: number };
    try {
      msg = JSON.parse(line);
    } catch {
      problem("wrong", `client ${this.#n}: reply is not JSON`);
      return;
    }
    if (msg.id !== p.id) {
      problem("wrong", `client ${this.#n}: reply id ${msg.id}, expected ${p.id}`);
      return;
    }
    if (msg.error) {
      problem("errors", `client ${this.#n}: ${msg.error.desc}`);
      return;
    }
    totals.replies++;
    const ret = msg.return;
    if (p.kind === "schemas") {
      const text = JSON.stringify(ret);
      this.#schemas ??= text;
      if (text !== this.#schemas) problem("wrong", `client ${this.#n}: the schemas changed`);
      return;
    }
    if (!Array.isArray(ret)) {
      problem("wrong", `client ${this.#n}: return is not a list`);
      return;
    }
    const want = p.kind === "vcpu" ? VCPUS : 1;
    if (ret.length !== want) {
      problem("wrong", `client ${this.#n}: ${ret.length} ${p.kind} results, expected ${want}`);
      return;
    }
    if (p.kind !== "vcpu") return;
    (ret as { stats?: { name: string; value: unknown }[] }[]).forEach((r, i) => {
      const exits = r.stats?.find((s) => s.name === "exits")?.value;
      if (typeof exits !== "number" || !Number.isSafeInteger(exits) || exits < 0) {
        problem("wrong", `client ${this.#n}: vCPU ${i} exits is ${exits}`);
        return;
      }
      const before = this.#exits[i];
      if (before !== undefined && exits < before)
        problem("wrong", `client ${this.#n}: vCPU ${i} exits went back from ${before} to ${exits}`);
      this.#exits[i] = exits;
    });
  }

  /** Stops sending; resolves when the last reply came or after `ms`. */
  async stop(ms: number): Promise<void> {
    clearInterval(this.#timer);
    const end = performance.now() + ms;
    while (this.#pending && performance.now() < end) await new Promise((r) => setTimeout(r, 20));
    if (this.#pending) problem("lost", `client ${this.#n}: no reply to request ${this.#pending.id} at the end`);
    this.#closing = true;
    this.#socket.destroy();
  }
}

/** An shm: reader polling at HZ; the producer's counter never goes back. */
function startReader(s: StatsSource): () => void {
  let last = -1n;
  const timer = setInterval(() => {
    try {
      s.pollSync?.();
      totals.shmPolls++;
      const f = s.files.find((x) => x.schema.descriptors.some((d) => d.name === "requests"));
      const d = f?.schema.descriptors.find((x) => x.name === "requests");
      if (!f || !d) {
        problem("shmWrong", "no requests counter");
        return;
      }
      const v = f.data[d.offset >>> 3] ?? 0n;
      if (v < last) problem("shmWrong", `requests went back from ${last} to ${v}`);
      last = v;
    } catch (e) {
      problem("shmErrors", e instanceof Error ? e.message : String(e));
    }
  }, 1000 / HZ);
  return () => clearInterval(timer);
}

const mib = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;
const server = await startServer();
const producer = await startProducer();
try {
  const clients = Array.from({ length: CLIENTS }, (_, i) => new Client(i));
  await Promise.all(clients.map((c) => c.ready));
  const readers: StatsSource[] = [];
  for (let i = 0; i < READERS; i++) readers.push(await openSource(`shm:soak?dir=${shmDir}`));
  const stopReaders = readers.map(startReader);
  for (const c of clients) c.start();

  // RSS at the start: after a warm-up under load (JIT, buffers), 5 % of the run, 2 to 30 s.
  const warm = Math.min(30, Math.max(2, SECONDS * 0.05));
  await new Promise((r) => setTimeout(r, warm * 1000));
  const start = { server: rss(server.pid as number), producer: rss(producer.pid as number), soak: process.memoryUsage().rss };
  const t0 = performance.now();
  const startCounts = { ...totals };
  if (!values.json)
    console.log(
      `soak: ${CLIENTS} clients x ${HZ} Hz, sim:?vcpus=${VCPUS}, ${READERS} shm: readers, ${SECONDS} s (RSS after ${warm} s warm-up)`,
    );
  let next = Math.ceil((warm + 10) / 10) * 10;
  while ((performance.now() - t0) / 1000 < SECONDS - warm) {
    await new Promise((r) => setTimeout(r, 1000));
    const el = (performance.now() - t0) / 1000 + warm;
    if (!values.json && el >= next) {
      next += 10;
      console.log(
        `  ${Math.round(el)} s: ${totals.replies} replies, ${totals.errors} errors, ${totals.lost} lost, ${totals.wrong} wrong; server RSS ${mib(rss(server.pid as number))}; shm polls ${totals.shmPolls}`,
      );
    }
  }
  await Promise.all(clients.map((c) => c.stop(LOST_MS)));
  for (const s of stopReaders) s();
  for (const r of readers) await r.close();
  const end = { server: rss(server.pid as number), producer: rss(producer.pid as number), soak: process.memoryUsage().rss };
  const secs = (performance.now() - t0) / 1000;
  const growth = (end.server - start.server) / start.server;
  const summary = {
    seconds: Number((secs + warm).toFixed(1)),
    clients: CLIENTS,
    hz: HZ,
    vcpus: VCPUS,
    sent: totals.sent,
    replies: totals.replies,
    repliesPerSecond: Math.round((totals.replies - startCounts.replies) / secs),
    errors: totals.errors,
    lost: totals.lost,
    wrong: totals.wrong,
    skippedTicks: totals.skipped,
    shmPolls: totals.shmPolls,
    shmErrors: totals.shmErrors,
    shmWrong: totals.shmWrong,
    rss: { start, end },
    serverRssGrowth: Number((growth * 100).toFixed(2)),
  };
  if (values.json) console.log(JSON.stringify(summary));
  else {
    console.log(
      `replies ${summary.replies} (${summary.repliesPerSecond}/s), errors ${summary.errors}, lost ${summary.lost}, wrong ${summary.wrong}, ticks skipped (reply still pending) ${summary.skippedTicks}`,
    );
    console.log(`shm: polls ${summary.shmPolls}, errors ${summary.shmErrors}, wrong ${summary.shmWrong}`);
    console.log(
      `RSS server ${mib(start.server)} -> ${mib(end.server)} (${summary.serverRssGrowth} %), producer ${mib(start.producer)} -> ${mib(end.producer)}, soak ${mib(start.soak)} -> ${mib(end.soak)}`,
    );
  }
  for (const p of problems) console.error(`  ${p}`);
  const ok = totals.errors + totals.lost + totals.wrong + totals.shmErrors + totals.shmWrong === 0 && growth < 0.1;
  process.exitCode = ok ? 0 : 1;
} finally {
  server.kill("SIGKILL");
  producer.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
}
process.exit(process.exitCode ?? 0);
