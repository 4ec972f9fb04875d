/**
 * @module providers/host/routes/route
 * One way of reading one VM's statistics (`fd`, `qmp`, `debugfs`, `trace`): its stats files,
 * a poll that throws one line on failure, and close.
 */
import { SourceError } from "../../../errors.js";
import type { StatsFile } from "../../../model/stats-file.js";

/** The route names, best first. */
export const ROUTES = ["fd", "qmp", "debugfs", "trace"] as const;
export type RouteName = (typeof ROUTES)[number];

/** An open route of one VM. */
export interface VmRoute {
  readonly route: RouteName;
  /** The stats files it yields (labels filled), updated in place by {@link poll}. */
  readonly files: readonly StatsFile[];
  /** Refreshes the files; rejects with a one-line error. Never waits longer than `timeoutMs`. */
  poll(timeoutMs: number): Promise<void>;
  /** Synchronous refresh, where no I/O wait is involved (fd, debugfs, trace). */
  pollSync?(): void;
  close(): Promise<void>;
}

/** The labels every file of a VM carries. */
export interface VmLabels {
  readonly pid: string;
  readonly guest?: string | undefined;
  readonly uuid?: string | undefined;
  readonly vmm?: string | undefined;
}

/** The labels of a VM's files on `route` (unknown ones left out). */
export function routeLabels(l: VmLabels, route: RouteName): Record<string, string> {
  const out: Record<string, string> = { pid: l.pid };
  if (l.guest !== undefined) out.guest = l.guest;
  if (l.uuid !== undefined) out.uuid = l.uuid;
  out.route = route;
  if (l.vmm !== undefined) out.vmm = l.vmm;
  return out;
}

/** A route could not open: why, in one line. */
export class RouteUnavailable extends SourceError {
  constructor(message: string) {
    super("STATSFS_SOURCE", message);
  }
}
