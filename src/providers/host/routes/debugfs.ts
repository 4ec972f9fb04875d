/**
 * @module providers/host/routes/debugfs
 * Route `debugfs`: a VM's debugfs `<pid>-<fd>` directory read as kvm_stat reads it (one file
 * per VM, its vCPUs' counters summed by the kernel). Unusable when any statistics file refuses
 * to open (lockdown=integrity refuses every writable one).
 */
import { DebugfsVmFile } from "../../debugfs/index.js";
import { RouteUnavailable, routeLabels, type VmLabels, type VmRoute } from "./route.js";

export class DebugfsRoute implements VmRoute {
  readonly route = "debugfs" as const;
  readonly files: readonly DebugfsVmFile[];
  private constructor(file: DebugfsVmFile) {
    this.files = [file];
  }

  /** Opens `dir`; throws {@link RouteUnavailable} when files refuse to open. */
  static async open(dir: string, labels: VmLabels): Promise<DebugfsRoute> {
    let f: DebugfsVmFile;
    try {
      f = await DebugfsVmFile.open(dir, routeLabels(labels, "debugfs"));
    } catch (e) {
      throw new RouteUnavailable(e instanceof Error ? e.message : String(e));
    }
    const problem = f.problem;
    if (problem !== undefined) {
      f.close();
      throw new RouteUnavailable(problem);
    }
    return new DebugfsRoute(f);
  }
  pollSync(): void {
    for (const f of this.files) f.poll();
  }
  async poll(): Promise<void> {
    this.pollSync();
  }
  async close(): Promise<void> {
    for (const f of this.files) f.close();
  }
}
