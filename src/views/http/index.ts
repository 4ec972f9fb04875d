/**
 * @module views/http
 * The Prometheus HTTP exporter of any sources: `/metrics` with Accept negotiation and gzip,
 * shared polls, TLS and basic auth from an exporter-toolkit web config.
 */
export { DEFAULT_HTTP_PORT, formatHttpAddress, type HttpAddress, parseHttpAddress } from "./address.js";
export { Scraper } from "./scrape.js";
export { HttpExporter, type HttpExporterOptions } from "./server.js";
export { BasicAuth, loadWebConfig, parseWebConfig, type TlsSettings, type WebConfig } from "./web-config.js";
