/**
 * @module cli/commands/web
 * `statsfs web [SRC…]`: the dashboard in one word — `serve --http` on 127.0.0.1 (default port
 * 9798, `--http` to choose), with the dashboard's URL printed on stdout for a browser (or a
 * script) to open. Sources default to every VM on the host, as for `serve --http`.
 */
import { DEFAULT_HTTP_PORT } from "../../../views/http/address.js";
import type { Command } from "../../command.js";
import { serve } from "../serve/index.js";

export const command: Command = {
  name: "web",
  summary: "the live dashboard in a browser: serve --http and print its URL",
  help: `usage: statsfs web [SRC...] [--http [HOST:]PORT] [--web-config FILE]

Serves the dashboard (and /metrics) like \`statsfs serve --http\`, and prints the dashboard's
URL on stdout. Without sources: every VM on this host (host:).

  --http [HOST:]PORT   where to listen (default 127.0.0.1:${DEFAULT_HTTP_PORT}; 0 = any free port)
  --web-config FILE    TLS and basic auth, in the Prometheus exporter toolkit's format

The page: every VM (guest, pid, vCPUs, route, state, exits/s, io and halt exits/s, share of
time in halt wait, halt-poll success) and every producer source, live; one VM's rates over the
last 15 minutes, its vCPUs as a heatmap and its histograms as bucket × time heatmaps with
p50/p90/p99. Read-only; nothing is fetched from anywhere but this server. Runs until
SIGINT/SIGTERM.`,
  options: {
    http: { type: "string" },
    "web-config": { type: "string" },
  },
  positionals: [0, 64],
  run: (a, io) => {
    const http = typeof a.values.http === "string" ? a.values.http : `127.0.0.1:${DEFAULT_HTTP_PORT}`;
    const webConfig = a.values["web-config"];
    return serve(
      {
        qmp: [],
        sources: a.positionals,
        http: [http],
        webConfig: typeof webConfig === "string" ? webConfig : undefined,
        listening: (exporters) => {
          for (const e of exporters) io.stdout.write(`${e.dashboardUrl}\n`);
        },
      },
      io,
    );
  },
};
