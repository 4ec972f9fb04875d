/**
 * @module cli/commands/serve/http
 * What `statsfs serve --http` starts: one exporter per address over the served sources, each
 * announced on stderr with its URL and its dashboard's. Started from the command line, the
 * dashboard samples from the start, so a page opened later has the last 15 minutes.
 */
import type { StatsSource } from "../../../providers/source.js";
import { DEFAULT_HTTP_PORT, type HttpAddress, parseHttpAddress } from "../../../views/http/address.js";
import { HttpExporter } from "../../../views/http/server.js";
import { loadWebConfig, type WebConfig } from "../../../views/http/web-config.js";
import type { PlanOptions } from "../../../views/openmetrics/plan.js";

export { DEFAULT_HTTP_PORT, HttpExporter };

/** Exporters to start, checked before any source is opened. */
export type HttpStarter = (
  sources: readonly StatsSource[],
  io: { readonly stderr: { write(text: string): unknown } },
) => Promise<HttpExporter[]>;

/** Checks `--http` addresses and `--web-config` (usage errors now), returns what starts them. */
export function prepareHttp(addresses: readonly string[], webConfigPath: string | undefined, plan: PlanOptions = {}): HttpStarter {
  const parsed = addresses.map(parseHttpAddress);
  const webConfig = webConfigPath === undefined ? undefined : loadWebConfig(webConfigPath);
  return (sources, io) => startHttp(parsed, webConfig, sources, io, plan);
}

async function startHttp(
  parsed: readonly HttpAddress[],
  webConfig: WebConfig | undefined,
  sources: readonly StatsSource[],
  io: { readonly stderr: { write(text: string): unknown } },
  plan: PlanOptions,
): Promise<HttpExporter[]> {
  const out: HttpExporter[] = [];
  try {
    for (const address of parsed) {
      const e = await HttpExporter.listen({
        address,
        sources,
        webConfig,
        plan,
        dashboard: { eager: true },
        log: (line) => io.stderr.write(`${line}\n`),
      });
      out.push(e);
      const files = sources.reduce((n, s) => n + s.files.length, 0);
      const auth = webConfig && webConfig.users.size > 0 ? ", basic auth" : "";
      io.stderr.write(
        `statsfs: serving metrics on ${e.url} and the dashboard on ${e.dashboardUrl} (${sources.length} source${sources.length === 1 ? "" : "s"}, ${files} stats file${files === 1 ? "" : "s"}${auth}); Ctrl-C stops\n`,
      );
    }
  } catch (e) {
    await Promise.all(out.map((x) => x.close()));
    throw e;
  }
  return out;
}
