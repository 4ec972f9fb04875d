/**
 * @module views/http/server
 * The HTTP exporter: `GET /metrics` (and HEAD) answers the exposition of its sources in the
 * format the client's `Accept` prefers, gzipped when asked; `/` is the live dashboard
 * (views/web: its page, `/api/events`, `/api/history`). Read-only: every other method is 405
 * and nothing on this side can write or reset a value. TLS and basic auth come from a web
 * config (views/http/web-config) and cover the dashboard and its data as they cover /metrics.
 *
 * Scrapes in flight together share one poll and one rendered Buffer (views/http/scrape).
 * A slow client only holds a reference to that Buffer; the socket is dropped after 30 s
 * without progress, and a TLS client that has not finished its handshake by then likewise.
 * At most 512 connections are open at once: more are closed at accept, with one warning line
 * (at most every 10 s). A client that disconnects costs nothing: its response is simply dropped.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { TLSSocket } from "node:tls";
import { AsyncClosable } from "../../closable.js";
import { UsageError } from "../../errors.js";
import type { StatsSource } from "../../providers/source.js";
import { socketReason } from "../../qmp/errors.js";
import type { PlanOptions } from "../openmetrics/plan.js";
import { Dashboard, type DashboardOptions } from "../web/dashboard.js";
import { formatHttpAddress, type HttpAddress } from "./address.js";
import { scrapeFailed, serveMetrics } from "./metrics.js";
import { Scraper } from "./scrape.js";
import { BasicAuth, type WebConfig } from "./web-config.js";

/** Options of {@link HttpExporter.listen}. */
export interface HttpExporterOptions {
  readonly address: HttpAddress;
  readonly sources: readonly StatsSource[];
  readonly webConfig?: WebConfig | undefined;
  readonly plan?: PlanOptions;
  /** Socket inactivity limit in ms, and the TLS handshake's limit (default 30000). */
  readonly idleTimeoutMs?: number;
  /** Most connections open at once (default {@link DEFAULT_MAX_CONNECTIONS}); more are dropped. */
  readonly maxConnections?: number;
  /** Where operational lines go (the dropped-connection warning); default nowhere. */
  readonly log?: ((line: string) => void) | undefined;
  /** The dashboard at `/` (default: on, sampling from its first page); false: none. */
  readonly dashboard?: DashboardOptions | false | undefined;
}

/** Connections served at once by default: far below the usual fd limit, far above Prometheus's needs. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** At most one dropped-connection line per this many ms. */
const DROP_LOG_MS = 10_000;

/** A listening exporter. */
export class HttpExporter extends AsyncClosable {
  readonly address: HttpAddress;
  readonly scheme: "http" | "https";
  readonly scraper: Scraper;
  /** The dashboard at `/`, unless turned off. */
  readonly dashboard: Dashboard | undefined;
  readonly #server: Server;
  readonly #auth: BasicAuth;

  private constructor(
    server: Server,
    address: HttpAddress,
    scheme: "http" | "https",
    scraper: Scraper,
    auth: BasicAuth,
    dashboard: Dashboard | undefined,
  ) {
    super();
    this.#server = server;
    this.#auth = auth;
    this.address = address;
    this.scheme = scheme;
    this.scraper = scraper;
    this.dashboard = dashboard;
  }

  /** The dashboard's URL. */
  get dashboardUrl(): string {
    return `${this.scheme}://${formatHttpAddress(this.address)}/`;
  }

  /** The metrics URL. */
  get url(): string {
    return `${this.scheme}://${formatHttpAddress(this.address)}/metrics`;
  }

  /** Starts listening. */
  static async listen(o: HttpExporterOptions): Promise<HttpExporter> {
    const scraper = new Scraper(o.sources, o.plan);
    const auth = new BasicAuth(o.webConfig?.users ?? new Map());
    const headers = o.webConfig?.headers ?? {};
    const tls = o.webConfig?.tls;
    const dashboard = o.dashboard === false ? undefined : new Dashboard(o.sources, o.dashboard ?? {});
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      handle(req, res, scraper, dashboard, auth, headers, tls?.requireCert === true).catch((e: unknown) => scrapeFailed(res, e));
    };
    const idle = o.idleTimeoutMs ?? 30_000;
    const common = { requestTimeout: 30_000, headersTimeout: Math.min(10_000, idle), keepAliveTimeout: Math.min(5_000, idle) };
    const server: Server = tls
      ? createHttpsServer(
          {
            ...common,
            // A client that never finishes the handshake is dropped like an idle one (Node's default is 120 s).
            handshakeTimeout: idle,
            cert: tls.cert,
            key: tls.key,
            ...(tls.ca ? { ca: tls.ca } : {}),
            requestCert: tls.requestCert,
            rejectUnauthorized: tls.rejectUnauthorized,
            minVersion: tls.minVersion,
            ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}),
          },
          handler,
        )
      : createHttpServer(common, handler);
    server.setTimeout(idle, (socket) => socket.destroy());
    server.maxConnections = o.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    let dropped = 0;
    let loggedAt = -Infinity;
    server.on("drop", () => {
      dropped++;
      const now = performance.now();
      if (now - loggedAt < DROP_LOG_MS) return;
      loggedAt = now;
      o.log?.(
        `statsfs: http: ${server.maxConnections} connections open (the limit): dropping new ones (${dropped} dropped so far); idle ones close after ${idle / 1000} s`,
      );
    });
    server.on("clientError", (_e, socket) => socket.destroy());
    server.on("tlsClientError", (_e, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      // A port in use or a host not on this machine is the caller's to fix: one line, exit 2.
      const failed = (e: NodeJS.ErrnoException) => {
        void dashboard?.close();
        void auth.close();
        const why = e.code === "EADDRINUSE" ? `port ${o.address.port} is in use (another program listens there)` : socketReason(e);
        reject(new UsageError(`--http ${formatHttpAddress(o.address)}: cannot listen: ${why}`));
      };
      server.once("error", failed);
      server.listen(o.address.port, o.address.host, () => {
        server.off("error", failed);
        resolve();
      });
    });
    const a = server.address();
    const port = typeof a === "object" && a !== null ? a.port : o.address.port;
    return new HttpExporter(server, { host: o.address.host, port }, tls ? "https" : "http", scraper, auth, dashboard);
  }

  /** Stops listening and drops every connection (close(), once). */
  protected async closing(): Promise<void> {
    await this.dashboard?.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
    await this.#auth.close();
  }
}

const PAGE = `<!doctype html><html><head><title>statsfs</title></head><body><h1>statsfs exporter</h1><p><a href="/metrics">/metrics</a></p></body></html>\n`;

/** Paths of the dashboard (its other files are asked of it). */
function isDashboardPath(path: string): boolean {
  return path === "/" || path === "/app.js" || path === "/app.css" || path === "/api/events" || path === "/api/history";
}

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  scraper: Scraper,
  dashboard: Dashboard | undefined,
  auth: BasicAuth,
  headers: Readonly<Record<string, string>>,
  requireCert: boolean,
): Promise<void> {
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (requireCert) {
    const cert = (req.socket as TLSSocket).getPeerCertificate?.();
    if (!cert || Object.keys(cert).length === 0) {
      res.writeHead(403, { "Content-Type": "text/plain; charset=utf-8" }).end("a client certificate is required\n");
      return;
    }
  }
  if (auth.enabled && !(await auth.check(req.headers.authorization))) {
    if (res.destroyed) return;
    res.writeHead(401, { "Content-Type": "text/plain; charset=utf-8", "WWW-Authenticate": 'Basic realm="statsfs"' }).end("Unauthorized\n");
    return;
  }
  const url = req.url ?? "/";
  const q = url.indexOf("?");
  const path = q < 0 ? url : url.slice(0, q);
  const method = req.method ?? "GET";
  const web = dashboard !== undefined && isDashboardPath(path);
  if (path !== "/metrics" && path !== "/" && !web) {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found: try /metrics\n");
    return;
  }
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD" }).end("read-only: GET or HEAD\n");
    return;
  }
  if (web && dashboard.handle(req, res, path, new URLSearchParams(q < 0 ? "" : url.slice(q + 1)))) return;
  if (path === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(method === "HEAD" ? undefined : PAGE);
    return;
  }
  await serveMetrics(req, res, scraper);
}
