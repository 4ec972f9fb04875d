/**
 * @module providers/trace
 * `trace:PID`: KVM exit tracepoint counts (kvm_userspace_exit and kvm_exit, by reason) of the
 * VM process PID's threads, as one stats file `trace-<PID>` of cumulative counters, counted
 * from when the source opens. See counters.ts.
 */
import { SourceError, UsageError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import { readInt } from "../../model/read-int.js";
import { LocalSource } from "../local-source.js";
import { checkQueryKeys } from "../query.js";
import { TraceCounters } from "./counters.js";

export { TraceCounters } from "./counters.js";

/** Opens `trace:PID`. */
export async function openTraceSource(uri: string, rest: string, q: URLSearchParams): Promise<LocalSource> {
  const where = printable(uri);
  checkQueryKeys(where, q, [], "trace:");
  const pid = readInt(rest, 1, 9_999_999_999);
  if (pid === undefined) throw new UsageError(`${where}: expected trace:PID`);
  const { threads } = await import("../proc.js");
  const tids = threads(pid).map((t) => t.tid);
  if (tids.length === 0) throw new SourceError("STATSFS_SOURCE", `${where}: no process ${pid}`);
  let c: TraceCounters;
  try {
    c = TraceCounters.open(pid, tids, { pid: String(pid), route: "trace" });
  } catch (e) {
    throw new SourceError("STATSFS_SOURCE", `${where}: ${e instanceof Error ? e.message : String(e)}`);
  }
  return new LocalSource(uri, [c]);
}
