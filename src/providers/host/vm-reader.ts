/**
 * @module providers/host/vm-reader
 * One VM's routes, chosen per target, best first: for vCPUs `fd` when the VMM holds every
 * vCPU's stats fd, for the VM `fd` when it holds the VM stats fd, then `qmp` for what is left
 * (the first usable monitor), then `debugfs`; `trace` in addition where perf_event_open works.
 * Every route not used has its one-line reason; a VM with none usable is still listed.
 */
import { SourceError } from "../../errors.js";
import type { StatsFile } from "../../model/stats-file.js";
import { errorLine, Polled } from "../poll.js";
import type { MemberStatus, PollOptions } from "../source.js";
import type { HostVm } from "./enumerate.js";
import { DebugfsRoute } from "./routes/debugfs.js";
import { openFdRoute } from "./routes/fd.js";
import { QmpRoute } from "./routes/qmp.js";
import type { RouteName, VmLabels, VmRoute } from "./routes/route.js";
import { TraceRoute } from "./routes/trace.js";

/** What {@link VmReader} needs to know from the host source's options. */
export interface VmReaderOptions {
  readonly routes: ReadonlySet<RouteName>;
  readonly greetingMs: number;
  readonly keep: boolean;
}

/** A route poll's bound when the caller gives none (host:'s default `timeout`). */
const DEFAULT_TIMEOUT_MS = 2000;

/** A member's state, as the union's member statuses say it. */
export type MemberState = MemberStatus["state"];

/** One VM with its open routes. */
export class VmReader {
  vm: HostVm;
  readonly labels: VmLabels;
  readonly routes: VmRoute[] = [];
  /** Reasons a route is not used, by route. */
  readonly reasons = new Map<RouteName, string>();
  /** Its state (ok/stale/failed/gone) and reason: the last poll's failure (stale), or why nothing is readable (failed), or why gone. */
  readonly polled: Polled = new Polled({ poll: (o) => this.#pollRoutes(o) });
  /** The last poll's route errors (those routes' files are left out meanwhile). */
  pollErrors: string[] = [];
  /** QEMU's version, when a greeting told it. */
  version: { major: number; minor: number; micro: number } | undefined;
  #files: StatsFile[] = [];
  readonly #o: VmReaderOptions;
  /** Targets still without a route. */
  #needVm = true;
  #needVcpu = true;

  private constructor(vm: HostVm, o: VmReaderOptions) {
    this.vm = vm;
    this.#o = o;
    this.#needVcpu = vm.vcpuFds.size > 0;
    this.labels = { pid: String(vm.pid), guest: vm.guest, uuid: vm.uuid, vmm: vm.vmm };
  }

  get files(): readonly StatsFile[] {
    return this.#files;
  }

  get state(): MemberState {
    return this.polled.state;
  }

  get reason(): string | undefined {
    return this.polled.reason;
  }

  /** Route names in use. */
  get used(): RouteName[] {
    return this.routes.map((r) => r.route);
  }

  /** One line: why routes are missing (and notes), or undefined when all is well. */
  get detail(): string | undefined {
    const parts: string[] = [];
    if (this.vm.vcpuFds.size === 0) parts.push("0 vCPUs");
    const used = new Set(this.used);
    for (const [r, why] of this.reasons) if (!used.has(r)) parts.push(`${r}: ${why}`);
    for (const n of this.vm.notes) parts.push(n);
    if (this.reason !== undefined && this.state !== "ok") parts.push(this.reason);
    else parts.push(...this.pollErrors);
    return parts.length > 0 ? parts.join("; ") : undefined;
  }

  /** Opens the routes for `vm` (never throws: reasons are kept instead). */
  static async open(vm: HostVm, o: VmReaderOptions): Promise<VmReader> {
    const r = new VmReader(vm, o);
    await r.#open(true);
    r.#files = r.routes.flatMap((x) => [...x.files]);
    if (r.routes.length === 0) r.polled.fail("no usable route");
    return r;
  }

  /** Opens routes for the targets still without one (and trace, the first time). */
  async #open(first: boolean): Promise<void> {
    const vm = this.vm;
    const o = this.#o;
    const allow = o.routes;
    let needVm = this.#needVm;
    let needVcpu = this.#needVcpu;
    if (allow.has("fd") && first) {
      const vcpus = needVcpu && vm.vcpuStatsFds.size > 0 && [...vm.vcpuFds.keys()].every((i) => vm.vcpuStatsFds.has(i));
      const vmFd = vm.vmStatsFds.length > 0;
      if (vcpus || vmFd) {
        try {
          this.routes.push(openFdRoute(vm, this.labels, { vm: vmFd, vcpus }));
          if (vmFd) needVm = false;
          if (vcpus) needVcpu = false;
        } catch (e) {
          this.reasons.set("fd", errorLine(e));
        }
      }
      if (!this.reasons.has("fd") && (needVm || needVcpu)) {
        const held = vm.vmStatsFds.length + vm.vcpuStatsFds.size;
        this.reasons.set(
          "fd",
          held === 0 ? `${vm.vmm} holds no stats fds` : `${vm.vmm} holds ${needVm ? "no VM stats fd" : "stats fds for only some vCPUs"}`,
        );
      }
    }
    if (allow.has("qmp") && (needVm || needVcpu)) {
      const usable = vm.monitors.filter((m) => m.path !== undefined);
      const problems = vm.monitors.filter((m) => m.problem !== undefined).map((m) => m.problem as string);
      if (usable.length === 0) {
        this.reasons.set("qmp", problems.length > 0 ? problems.join(", ") : "no monitor on its command line");
      }
      for (const m of usable) {
        const targets = new Set<string>();
        if (needVm) targets.add("vm");
        if (needVcpu) targets.add("vcpu");
        try {
          const route = await QmpRoute.open({
            path: m.path as string,
            connect: m.connect,
            pid: vm.pid,
            labels: this.labels,
            targets,
            greetingMs: o.greetingMs,
            keep: o.keep,
          });
          this.version = route.version;
          this.routes.push(route);
          needVm = false;
          needVcpu = false;
          this.reasons.delete("qmp");
          break;
        } catch (e) {
          this.reasons.set("qmp", errorLine(e));
        }
      }
    }
    if (this.reasons.has("fd") && this.version && /holds no stats fds/.test(this.reasons.get("fd") as string)) {
      const v = this.version;
      const old = v.major < 8 || (v.major === 8 && v.minor < 1);
      this.reasons.set("fd", `QEMU ${v.major}.${v.minor} holds no stats fds${old ? " (QEMU >= 8.1 keeps vCPU stats fds open)" : ""}`);
    }
    if (allow.has("debugfs") && first && (needVm || needVcpu)) {
      const dir = vm.debugfsDirs[0];
      if (dir === undefined) this.reasons.set("debugfs", "no debugfs directory (debugfs not mounted?)");
      else {
        try {
          this.routes.push(await DebugfsRoute.open(dir, this.labels));
          needVm = false;
          needVcpu = false;
        } catch (e) {
          this.reasons.set("debugfs", errorLine(e));
        }
      }
    }
    if (allow.has("trace") && first) {
      try {
        this.routes.push(TraceRoute.open(vm, this.labels));
      } catch (e) {
        this.reasons.set("trace", errorLine(e));
      }
    }
    this.#needVm = needVm;
    this.#needVcpu = needVcpu;
  }

  /** Takes a rescan's view of the same process (new threads for trace). */
  update(vm: HostVm): void {
    this.vm = vm;
    for (const r of this.routes) {
      if (r instanceof TraceRoute) {
        try {
          r.update(vm);
        } catch (e) {
          this.reasons.set("trace", errorLine(e));
        }
      }
    }
  }

  /**
   * Polls every route, through {@link polled} (a poll in flight is joined). A failing route's
   * files leave the list until it answers again (its error goes into {@link detail}); the VM is
   * failed when every route fails.
   */
  poll(timeoutMs: number): Promise<void> {
    return this.polled.poll({ timeoutMs });
  }

  async #pollRoutes(options: PollOptions = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    // A target without a route (a busy monitor, say) is tried again, bounded by the greeting timeout.
    if ((this.#needVm || this.#needVcpu) && this.#o.routes.has("qmp") && this.vm.monitors.some((m) => m.path !== undefined)) {
      await this.#open(false);
    }
    if (this.routes.length === 0) {
      this.#files = [];
      throw new SourceError("STATSFS_SOURCE", "no usable route");
    }
    const errors: string[] = [];
    const working: VmRoute[] = [];
    for (const r of this.routes) {
      try {
        if (r.pollSync) r.pollSync();
        else await r.poll(timeoutMs);
        working.push(r);
      } catch (e) {
        errors.push(`${r.route}: ${errorLine(e)}`);
      }
    }
    this.#files = working.flatMap((x) => [...x.files]);
    this.pollErrors = errors;
    if (working.length === 0) throw new SourceError("STATSFS_SOURCE", errors.join("; "));
  }

  /** Synchronous poll of the routes that can (all but qmp). */
  pollSync(): void {
    for (const r of this.routes) r.pollSync?.();
  }

  async close(): Promise<void> {
    for (const r of this.routes.splice(0)) await r.close();
  }
}
