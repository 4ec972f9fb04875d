#!/usr/bin/env node
// Builds the dashboard page into dist/web (index.html, app.js, app.css) with esbuild: the
// page's TypeScript (web/src) and uPlot in one minified script, its CSS and uPlot's in one
// stylesheet. Nothing is fetched at run time. Fails when the three files pass the 400 KB budget.
// A step of its own, so an incremental build can call it: `node scripts/build-web.mjs`.
import { copyFileSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "web");
const BUDGET = 400 * 1024;

mkdirSync(out, { recursive: true });
await build({
  entryPoints: { app: join(root, "web", "src", "main.ts") },
  bundle: true,
  // --dev: readable names (for profiling); the package ships the minified page.
  minify: !process.argv.includes("--dev"),
  format: "esm",
  target: "es2022",
  platform: "browser",
  outdir: out,
  legalComments: "none",
  logLevel: "warning",
});
await build({
  entryPoints: { app: join(root, "web", "style.css") },
  bundle: true,
  minify: true,
  outdir: out,
  logLevel: "warning",
});
copyFileSync(join(root, "web", "index.html"), join(out, "index.html"));
const sizes = ["index.html", "app.js", "app.css"].map((f) => statSync(join(out, f)).size);
const total = sizes.reduce((a, b) => a + b, 0);
if (process.argv.includes("--verbose")) console.log(`dist/web: ${total} bytes (html ${sizes[0]}, js ${sizes[1]}, css ${sizes[2]})`);
if (total > BUDGET) {
  console.error(`build-web: the page is ${total} bytes, over its ${BUDGET}-byte budget`);
  process.exit(1);
}
