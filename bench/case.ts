/**
 * @module bench/case
 * One benchmark result: our figure beside the peers' figures, measured in the same run.
 */

/** A benchmark case, printed as one table row or one JSON line. */
export interface BenchCase {
  /** What was measured, e.g. "poll 256 vCPUs". */
  case: string;
  /** Unit of `ours` and the peers, e.g. "us/vcpu", "ns/op", "bytes/value". */
  unit: string;
  ours: number;
  /** Peer name → figure in the same unit. */
  peers: Record<string, number>;
  /** Goal or context, e.g. "goal <= 1.5 us/vcpu". */
  note?: string;
}
