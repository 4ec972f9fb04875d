/**
 * @module views/http/server
 * The HTTP exporter: `GET /metrics` (and HEAD) answers the exposition of its sources in the
 * format the client's `Accept` prefers, gzipped when asked; `/` is a short page naming it.
 * Read-only: every other method is 405 and nothing on this side can write or reset a value.
 * TLS and basic auth come from a web config (views/http/web-config).
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
import { printable } from "../../model/printable.js";
import type { StatsSource } from "../../providers/source.js";
import { acceptsGzip, negotiateFormat } from "../openmetrics/negotiate.js";
import type { PlanOptions } from "../openmetrics/plan.js";
import { CONTENT_TYPES } from "../openmetrics/render.js";
import { formatHttpAddress, type HttpAddress } from "./address.js";
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
}

/** Connections served at once by default: far below the usual fd limit, far above Prometheus's needs. */
export const DEFAULT_MAX_CONNECTIONS = 512;
/** At most one dropped-connection line per this many ms. */
const DROP_LOG_MS = 10_000;

/** A listening exporter. */
export class HttpExporter implements AsyncDisposable {
  readonly address: HttpAddress;
  readonly scheme: "http" | "https";
  readonly scraper: Scraper;
  readonly #server: Server;
  readonly #auth: BasicAuth;
  #closed: Promise<void> | undefined;

  private constructor(server: Server, address: HttpAddress, scheme: "http" | "https", scraper: Scraper, auth: BasicAuth) {
    this.#server = server;
    this.#auth = auth;
    this.address = address;
    this.scheme = scheme;
    this.scraper = scraper;
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
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      handle(req, res, scraper, auth, headers, tls?.requireCert === true).catch((e: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
          res.end(`statsfs: scrape failed: ${printable(e instanceof Error ? e.message : String(e))}\n`);
        } else res.destroy();
      });
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
      server.once("error", reject);
      server.listen(o.address.port, o.address.host, () => {
        server.off("error", reject);
        resolve();
      });
    });
    const a = server.address();
    const port = typeof a === "object" && a !== null ? a.port : o.address.port;
    return new HttpExporter(server, { host: o.address.host, port }, tls ? "https" : "http", scraper, auth);
  }

  /** Stops listening and drops every connection; idempotent. */
  close(): Promise<void> {
    this.#closed ??= new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    }).then(() => this.#auth.close());
    return this.#closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const PAGE = `<!doctype html><html><head><title>statsfs</title></head><body><h1>statsfs exporter</h1><p><a href="/metrics">/metrics</a></p></body></html>\n`;

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  scraper: Scraper,
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
  const path = (req.url ?? "/").split("?")[0];
  const method = req.method ?? "GET";
  if (path !== "/metrics" && path !== "/") {
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found: try /metrics\n");
    return;
  }
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD" }).end("read-only: GET or HEAD\n");
    return;
  }
  if (path === "/") {
    res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" }).end(method === "HEAD" ? undefined : PAGE);
    return;
  }
  const format = negotiateFormat(req.headers.accept);
  const gz = acceptsGzip(req.headers["accept-encoding"]);
  const body = await scraper.body(format, gz);
  if (res.destroyed) return;
  res.writeHead(200, {
    "Content-Type": CONTENT_TYPES[format],
    "Content-Length": body.length,
    Vary: "Accept, Accept-Encoding",
    "Cache-Control": "no-store",
    ...(gz ? { "Content-Encoding": "gzip" } : {}),
  });
  res.end(method === "HEAD" ? undefined : body);
}
