/**
 * @module views/http/metrics
 * The one HTTP handler of an exposition, used by the exporter (`serve --http`, views/http/server)
 * and by `metricsHandler()` mounted in a Node service: GET or HEAD only (405 otherwise), the
 * format the client's `Accept` prefers, gzipped when asked, from the {@link Scraper}'s shared
 * poll; a scrape that fails is a 500 with one printable line.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { printable } from "../../model/printable.js";
import { acceptsGzip, negotiateFormat } from "../openmetrics/negotiate.js";
import { CONTENT_TYPES } from "../openmetrics/render.js";
import type { Scraper } from "./scrape.js";

/** Answers `req` with the exposition (the path is the caller's business). */
export async function serveMetrics(req: IncomingMessage, res: ServerResponse, scraper: Scraper): Promise<void> {
  const method = req.method ?? "GET";
  if (method !== "GET" && method !== "HEAD") {
    res.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD" }).end("read-only: GET or HEAD\n");
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

/** Ends a response whose handler threw: a 500 with one printable line, or drops the socket mid-body. */
export function scrapeFailed(res: ServerResponse, e: unknown): void {
  if (!res.headersSent && !res.destroyed) {
    res.writeHead(500, { "Content-Type": "text/plain; charset=utf-8" });
    res.end(`statsfs: scrape failed: ${printable(e instanceof Error ? e.message : String(e))}\n`);
  } else res.destroy();
}
