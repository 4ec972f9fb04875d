/**
 * @module bench/producer/peers
 * The peers, set up the way their users set them up: prom-client with a private registry,
 * OpenTelemetry's SDK MeterProvider with a pull reader (no exporter, so nothing but the
 * instruments themselves is measured).
 */
import type { Attributes, Meter } from "@opentelemetry/api";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import client from "prom-client";

/** A metric reader that only collects on demand. */
class PullReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** An OpenTelemetry meter and the reader that collects it. */
export function otel(): { meter: Meter; reader: MetricReader; provider: MeterProvider } {
  const reader = new PullReader();
  const provider = new MeterProvider({ readers: [reader] });
  return { meter: provider.getMeter("bench"), reader, provider };
}

/** A fresh prom-client registry. */
export function prom(): client.Registry {
  return new client.Registry();
}

export { client };

/** Attributes objects built once (as a caller would keep them), one per label value. */
export function attrSets(n: number): Attributes[] {
  return Array.from({ length: n }, (_, i) => ({ route: `r${i}` }));
}
