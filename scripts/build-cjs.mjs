#!/usr/bin/env node
// Builds the CommonJS bundle of statsfs/prom-client (dist/cjs/prom-client.cjs) with esbuild, so
// that `require("statsfs/prom-client")` works on Node 20 (which cannot require an ES module):
// src/prom-client and what it imports in one file (tdigest included), koffi left external.
// A step of its own, run by `npm run build` after tsc: `node scripts/build-cjs.mjs`.
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "cjs");
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, "scripts", "prom-client-entry.cjs")],
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["koffi"],
  outfile: join(out, "prom-client.cjs"),
  legalComments: "none",
  logLevel: "warning",
});
