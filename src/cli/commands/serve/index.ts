/**
 * @module cli/commands/serve
 * `statsfs serve --qmp ADDR [SRC…]`: serves sources over QMP (query-stats, query-stats-schemas)
 * and/or `--http [HOST:]PORT` as a Prometheus exporter (views/http), until SIGINT/SIGTERM, then
 * closes every client and removes its socket. A source not there yet (SourceError) is served as
 * down until it appears (providers/pending). Of several sources, one that cannot be read (a file
 * past the decoder's bounds) is served as a failed member (providers/unopened: one stderr line,
 * reported as the union's failed member) and the others are served; a single such source still
 * refuses at start.
 */
import { SourceError, UsageError } from "../../../errors.js";
import { printable } from "../../../model/printable.js";
import { PendingSource } from "../../../providers/pending.js";
import { openSource, sourceSchemes } from "../../../providers/registry.js";
import type { StatsSource } from "../../../providers/source.js";
import { UnionSource } from "../../../providers/union.js";
import { UnopenedSource } from "../../../providers/unopened.js";
import { formatQmpAddress, parseQmpAddress, type QmpAddress } from "../../../qmp/address.js";
import { DEFAULT_MAX_MESSAGE, QmpServer } from "../../../views/qmp/server.js";
import { type Command, intOption } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { DEFAULT_HTTP_PORT, type HttpExporter, prepareHttp } from "./http.js";

/** Options of {@link serve}. */
export interface ServeOptions {
  /** Where to listen (at least one). */
  readonly qmp: readonly string[];
  /** Sources to serve (may be none: every query then returns []). */
  readonly sources: readonly string[];
  /** Largest request in bytes. */
  readonly maxMessageBytes?: number | undefined;
  /** Prometheus exporter addresses (`[HOST:]PORT`). */
  readonly http?: readonly string[];
  /** An exporter-toolkit web config for the HTTP side. */
  readonly webConfig?: string | undefined;
  /** Export a Node service's per-process series instead of their sums. */
  readonly perWorker?: boolean | undefined;
  /** Called once every server listens, with the HTTP exporters (`statsfs web` prints their URL). */
  readonly listening?: ((exporters: readonly HttpExporter[]) => void) | undefined;
}

/** Serves until `io.signal` aborts. */
export async function serve(o: ServeOptions, io: Io): Promise<number> {
  const http = o.http ?? [];
  if (o.qmp.length === 0 && http.length === 0) throw new UsageError("serve: --qmp ADDR or --http [HOST:]PORT is required");
  if (o.webConfig !== undefined && http.length === 0) throw new UsageError("serve: --web-config needs --http");
  const addresses: QmpAddress[] = o.qmp.map((a) => parseQmpAddress(a, `serve: --qmp ${a === "" ? '""' : printable(a)}`));
  if (o.perWorker && http.length === 0) throw new UsageError("serve: --per-worker needs --http");
  const startHttp = prepareHttp(http, o.webConfig, { perWorker: o.perWorker === true });
  // The exporter's default source is every VM on the host, where that provider exists.
  const uris = o.sources.length === 0 && http.length > 0 && sourceSchemes().includes("host") ? ["host:"] : o.sources;
  const sources: StatsSource[] = [];
  const servers: QmpServer[] = [];
  const exporters: HttpExporter[] = [];
  try {
    // Of several sources, one that cannot be read (a hostile file) is served as a failed member;
    // a usage error, a single such source, or none that opens still refuses at start.
    let firstError: unknown;
    for (const uri of uris) {
      try {
        sources.push(await openSource(uri));
      } catch (e) {
        // A source that is not there yet (a service not started, a QEMU not running) is served
        // as down and opened at the first poll that finds it; usage errors still stop here.
        if (e instanceof SourceError) {
          io.stderr.write(`statsfs: ${printable(e.message)}; serving it as down until it appears\n`);
          sources.push(new PendingSource(uri, openSource));
          continue;
        }
        if (uris.length === 1 || e instanceof UsageError) throw e;
        firstError ??= e;
        const u = new UnopenedSource(uri, e);
        sources.push(u);
        io.stderr.write(`statsfs: ${printable(uri)}: ${u.reason}; serving the other sources\n`);
      }
    }
    if (sources.every((x) => x instanceof UnopenedSource)) throw firstError;
    // Several sources are served as one union, as read and top show them: members stay apart
    // (a `member` label where their files would be confused), each with its own up line. The
    // QMP server and the exporter share it, and so its polls (providers/poll).
    const served = sources.length > 1 ? [new UnionSource(sources)] : sources;
    for (const a of addresses) servers.push(await QmpServer.listen(a, { sources: served, maxMessageBytes: o.maxMessageBytes }));
    exporters.push(...(await startHttp(served, io)));
    const files = sources.reduce((n, s) => n + s.files.length, 0);
    const where = servers.map((s) => formatQmpAddress(s.address)).join(", ");
    if (servers.length > 0)
      io.stderr.write(
        `statsfs: serving QMP on ${where} (${sources.length} source${sources.length === 1 ? "" : "s"}, ${files} stats file${files === 1 ? "" : "s"}); Ctrl-C stops\n`,
      );
    o.listening?.(exporters);
    if (!io.signal.aborted) await new Promise<void>((resolve) => io.signal.addEventListener("abort", () => resolve(), { once: true }));
    return Exit.Ok;
  } finally {
    await Promise.all(servers.map((s) => s.close()));
    await Promise.all(exporters.map((s) => s.close()));
    await Promise.all(sources.map((s) => s.close()));
  }
}

export const command: Command = {
  name: "serve",
  summary: "serve sources over QMP (query-stats, query-stats-schemas) like QEMU, or to Prometheus (--http)",
  help: `usage: statsfs serve [--qmp ADDR] [--http [HOST:]PORT [--web-config FILE]] [SRC...] [--max-message BYTES]

  --http [HOST:]PORT   a Prometheus exporter on http://HOST:PORT/metrics (repeatable); HOST
                       defaults to 127.0.0.1, PORT to ${DEFAULT_HTTP_PORT} ("HOST:" or ":"), 0 = any
                       free port; text format 0.0.4 or OpenMetrics 1.0.0 by Accept, gzip when
                       asked; and the live dashboard at http://HOST:PORT/ (statsfs web); read-only
  --per-worker         a Node service's series per process (label producer_instance) instead
                       of summed over its processes (read shm:NAME?instances=all to have
                       them for a service of one process too)
  --web-config FILE    TLS and basic auth for --http, in the Prometheus exporter toolkit's
                       format (tls_server_config, basic_auth_users with bcrypt hashes)
  --qmp ADDR           where to listen (repeatable):
                         unix:PATH (or PATH)  a Unix socket, created with mode 0600 and removed
                                              on exit; a stale socket is replaced, a live one is not
                                              (PATH: at most 107 bytes, in an existing directory)
                         tcp:HOST:PORT        TCP, only when asked for; tcp::PORT is 127.0.0.1
  --max-message BYTES  largest request accepted (default ${DEFAULT_MAX_MESSAGE}); larger ones get QEMU's
                       "JSON token size limit exceeded" and are skipped without being stored;
                       a request holds at most BYTES/32 tokens (QEMU's proportion: 32768 by
                       default, at least 4096), more get "JSON token count limit exceeded"

Speaks QMP as QEMU 7.2 does: greeting, qmp_capabilities, query-commands, query-version,
query-stats, query-stats-schemas, with QEMU's error classes and texts. Sources are polled on
each query. Providers: kvm, statsfs (a Node application's own sources), and any provider of
the sources; targets vm, vcpu, and any target the sources define. Differences from QEMU:
results in order (vCPU 0 first, statistics in schema order, histograms in bucket order; QEMU
reverses all three); vCPU files without a path get qom-path /<id> (/kvm-1234/vcpu-0); the
package string is "statsfs <version>". Runs until SIGINT/SIGTERM.`,
  options: {
    qmp: { type: "string", multiple: true },
    http: { type: "string", multiple: true },
    "web-config": { type: "string" },
    "per-worker": { type: "boolean" },
    "max-message": { type: "string" },
  },
  positionals: [0, 64],
  run: (a, io) => {
    const qmp = a.values.qmp;
    const http = a.values.http;
    const webConfig = a.values["web-config"];
    return serve(
      {
        qmp: Array.isArray(qmp) ? qmp : typeof qmp === "string" ? [qmp] : [],
        sources: a.positionals,
        http: Array.isArray(http) ? http : [],
        webConfig: typeof webConfig === "string" ? webConfig : undefined,
        perWorker: a.values["per-worker"] === true,
        maxMessageBytes: intOption(a, "serve", "max-message", 1024, 1 << 30),
      },
      io,
    );
  },
};
