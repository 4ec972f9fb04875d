/**
 * @module prom-client/tdigest
 * Types of the `tdigest` package (Dunning's t-digest, the one prom-client's Summary uses), which
 * ships none: only what the Summary calls.
 */
declare module "tdigest" {
  export class TDigest {
    push(x: number): void;
    percentile(p: number): number | undefined;
    compress(): void;
    reset(): void;
    size(): number;
  }
}
