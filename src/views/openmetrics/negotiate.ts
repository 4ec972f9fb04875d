/**
 * @module views/openmetrics/negotiate
 * `Accept` and `Accept-Encoding` negotiation for a scrape: OpenMetrics 1.0.0 when the client
 * prefers it (Prometheus asks for `application/openmetrics-text;version=1.0.0` first), text
 * format 0.0.4 otherwise (also for `*\/*`, and when nothing offered matches, as client
 * libraries do); gzip when the client accepts it.
 */
import type { ExpositionFormat } from "./render.js";

interface Range {
  type: string;
  params: Map<string, string>;
  q: number;
}

function parseRanges(header: string): Range[] {
  const out: Range[] = [];
  for (const part of header.split(",")) {
    const [mt, ...ps] = part.split(";");
    const type = (mt ?? "").trim().toLowerCase();
    if (type === "") continue;
    const params = new Map<string, string>();
    let q = 1;
    for (const p of ps) {
      const eq = p.indexOf("=");
      if (eq < 0) continue;
      const k = p.slice(0, eq).trim().toLowerCase();
      const v = p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, "$1");
      if (k === "q") {
        const n = Number(v);
        q = Number.isFinite(n) ? Math.min(1, Math.max(0, n)) : 0;
      } else params.set(k, v);
    }
    out.push({ type, params, q });
  }
  return out;
}

/** The format to answer an `Accept` header with. */
export function negotiateFormat(accept: string | undefined): ExpositionFormat {
  if (accept === undefined || accept.trim() === "") return "text";
  let om = -1;
  let text = -1;
  for (const r of parseRanges(accept)) {
    const version = r.params.get("version");
    if (r.type === "application/openmetrics-text" && (version === undefined || version === "1.0.0" || version === "0.0.1")) {
      om = Math.max(om, r.q);
    } else if (r.type === "text/plain" && (version === undefined || version === "0.0.4")) text = Math.max(text, r.q);
    else if (r.type === "*/*" || r.type === "text/*") text = Math.max(text, r.q);
  }
  return om > 0 && om > text ? "openmetrics" : "text";
}

/** True when `Accept-Encoding` accepts gzip. */
export function acceptsGzip(acceptEncoding: string | undefined): boolean {
  if (acceptEncoding === undefined) return false;
  let gzip: number | undefined;
  let star: number | undefined;
  for (const r of parseRanges(acceptEncoding)) {
    if (r.type === "gzip" || r.type === "x-gzip") gzip = r.q;
    else if (r.type === "*") star = r.q;
  }
  return (gzip ?? star ?? 0) > 0;
}
