/**
 * @module views/web/assets
 * The page's files, built into the package by `node scripts/build-web.mjs` (esbuild: one
 * script, one stylesheet, one HTML file) and served from memory with their gzip, an ETag and a
 * Content-Security-Policy that allows nothing from anywhere else.
 */

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

/** Where the build puts the page (dist/web beside dist/src). */
export const ASSET_DIR = new URL("../../../web/", import.meta.url);

/** Nothing external: scripts, styles, data and images from this server only; no frames, forms, plugins. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'none'; " +
  "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Headers of every dashboard answer. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "Content-Security-Policy": CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** One served file. */
export interface Asset {
  readonly type: string;
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly etag: string;
}

const FILES: Readonly<Record<string, { file: string; type: string }>> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
};

/** The page's files by URL path, or the one-line reason they are missing. */
export function loadAssets(dir: URL = ASSET_DIR): Map<string, Asset> | string {
  const out = new Map<string, Asset>();
  for (const [path, { file, type }] of Object.entries(FILES)) {
    let body: Buffer;
    try {
      body = readFileSync(new URL(file, dir));
    } catch {
      return `the dashboard is not built (no ${file} in the package's dist/web): run npm run build`;
    }
    const etag = `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`;
    out.set(path, { type, body, gzip: gzipSync(body), etag });
  }
  return out;
}
