/**
 * @module test/prometheus/prometheus
 * A real Prometheus (Debian's `prometheus`, 2.42) for the exporter tests: started on a free
 * port with a temporary storage directory and a 1 s scrape interval, queried over its HTTP API,
 * always killed. Skip policy: without `prometheus` on PATH the tests skip loudly, unless
 * STATSFS_REQUIRE_PROMETHEUS=1 (set by CI, which installs it) makes that a failure. Also starts
 * `statsfs serve --http` processes and reads the URL they announce.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";

/** A binary on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const p = join(dir, name);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  return undefined;
}

/** Why the Prometheus tests cannot run, or undefined. */
export function prometheusSkipReason(): string | undefined {
  if (onPath("prometheus") && onPath("promtool")) return undefined;
  const reason = "SKIPPED: prometheus/promtool are not installed (apt-get install prometheus), Prometheus tests cannot run";
  if (process.env.STATSFS_REQUIRE_PROMETHEUS === "1") throw new Error(`STATSFS_REQUIRE_PROMETHEUS=1 but ${reason}`);
  console.error(reason);
  return reason;
}

/** `promtool check metrics` over `text`: its output (empty when clean) and exit code. */
export function promtoolCheck(text: string): { code: number | null; output: string } {
  const r = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
  return { code: r.status, output: `${r.stdout}${r.stderr}` };
}

/** A free TCP port on 127.0.0.1 (for Prometheus, which cannot report the port it picked). */
export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const a = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  if (typeof a !== "object" || a === null) throw new Error("no port");
  return a.port;
}

/** One sample of a range vector: [seconds, value text]. */
export type Sample = [number, string];

/** A running Prometheus. */
export interface Prometheus extends AsyncDisposable {
  readonly url: string;
  readonly dir: string;
  /** An instant query (at `time` seconds, if given); returns `data.result`. */
  query(q: string, time?: number): Promise<{ metric: Record<string, string>; value?: Sample; values?: Sample[] }[]>;
  /** Active targets. */
  targets(): Promise<{ labels: Record<string, string>; health: string; lastError: string; scrapePool: string }[]>;
  /** Polls `check` every 250 ms until it returns a value (not undefined), for at most `ms`. */
  until<T>(what: string, check: () => Promise<T | undefined>, ms?: number): Promise<T>;
  stop(): Promise<void>;
}

/** Starts Prometheus with these scrape configs (global scrape interval 1 s). */
export async function startPrometheus(scrapeConfigs: unknown[]): Promise<Prometheus> {
  const dir = mkdtempSync(join(tmpdir(), "statsfs-prom-"));
  const config = { global: { scrape_interval: "1s", scrape_timeout: "1s", evaluation_interval: "1s" }, scrape_configs: scrapeConfigs };
  const configFile = join(dir, "prometheus.yml");
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const child: ChildProcess = spawn(
      "prometheus",
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, `data${attempt}`)}`,
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let log = "";
    child.stderr?.on("data", (b: Buffer) => {
      log = (log + b.toString()).slice(-4000);
    });
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
    };
    const deadline = Date.now() + 30_000;
    let ready = false;
    while (Date.now() < deadline && child.exitCode === null) {
      try {
        const r = await fetch(`${url}/-/ready`);
        if (r.ok) {
          ready = true;
          break;
        }
      } catch {
        // not yet
      }
      await sleep(200);
    }
    if (!ready) {
      await stop();
      lastError = new Error(`prometheus did not become ready on port ${port}: ${log.trim().split("\n").slice(-3).join(" | ")}`);
      continue;
    }
    const api = async (path: string, params: Record<string, string> = {}) => {
      const r = await fetch(`${url}${path}?${new URLSearchParams(params)}`);
      const j = (await r.json()) as { status: string; data: unknown; error?: string };
      if (j.status !== "success") throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${j.error}`);
      return j.data;
    };
    const p: Prometheus = {
      url,
      dir,
      query: async (q, time) =>
        ((await api("/api/v1/query", time === undefined ? { query: q } : { query: q, time: String(time) })) as { result: never }).result,
      targets: async () => ((await api("/api/v1/targets", { state: "active" })) as { activeTargets: never }).activeTargets,
      until: async (what, check, ms = 60_000) => {
        const end = Date.now() + ms;
        for (;;) {
          const v = await check();
          if (v !== undefined) return v;
          if (Date.now() > end) throw new Error(`prometheus: timed out waiting for ${what}`);
          await sleep(250);
        }
      },
      stop: async () => {
        await stop();
        rmSync(dir, { recursive: true, force: true });
      },
      [Symbol.asyncDispose]: () => p.stop(),
    };
    return p;
  }
  rmSync(dir, { recursive: true, force: true });
  throw lastError;
}

export const MAIN = fileURLToPath(new URL("../../src/cli/main.js", import.meta.url));

/** A `statsfs serve` child process. */
export interface Exporter extends AsyncDisposable {
  readonly url: string;
  /** host:port, as a Prometheus target. */
  readonly target: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

/** Starts `statsfs serve --http 127.0.0.1:0 ARGS…` and waits for the URL it announces. */
export async function startExporter(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Exporter> {
  const child = spawn(process.execPath, [MAIN, "serve", "--http", "127.0.0.1:0", ...args], { stdio: ["ignore", "ignore", "pipe"], env });
  let err = "";
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(t);
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`statsfs serve did not start: ${err}`)), 30_000);
    child.stderr?.on("data", (b: Buffer) => {
      err += b.toString();
      const m = /serving metrics on (\S+)/.exec(err);
      if (m) {
        clearTimeout(t);
        resolve(m[1] as string);
      }
    });
    child.once("exit", (code) => {
      clearTimeout(t);
      reject(new Error(`statsfs serve exited (${code}): ${err.trim()}`));
    });
  });
  const target = new URL(url).host;
  const e: Exporter = { url, target, process: child, stop, [Symbol.asyncDispose]: stop };
  return e;
}
