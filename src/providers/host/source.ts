/**
 * @module providers/host/source
 * `host:`: every KVM VM on this host as one source. Each poll rescans /proc: a VM that exited
 * (or whose pid now names another process) is marked gone and its files leave the list, a new
 * one joins with its own routes, the others keep their files and values. One VM failing marks
 * only its own member (stale with last values, or failed); the source itself never fails
 * because of one VM. Members are `host:?pid=N`, with state ok/stale/failed/gone and a reason.
 */
import { AsyncClosable } from "../../closable.js";

import { SourceError } from "../../errors.js";
import { printable } from "../../model/printable.js";
import type { StatsFile } from "../../model/stats-file.js";
import { pollAll } from "../poll.js";
import { type MemberStatus, NO_CAPABILITIES, type PollOptions, type StatsSource } from "../source.js";
import { enumerateVms, type HostVm } from "./enumerate.js";
import type { RouteName } from "./routes/route.js";
import { type MemberState, VmReader } from "./vm-reader.js";

/** Options of {@link HostSource.open}. */
export interface HostSourceOptions {
  readonly pids?: ReadonlySet<number> | undefined;
  /** Only guests whose name matches. */
  readonly guest?: RegExp | undefined;
  readonly routes: ReadonlySet<RouteName>;
  readonly debugfs?: string | undefined;
  /** QMP greeting timeout (ms). */
  readonly greetingMs: number;
  /** Poll timeout per VM (ms). */
  readonly timeoutMs: number;
  /** Hold QMP connections between polls. */
  readonly keep: boolean;
  /** How candidate processes are found (see enumerate.ts). */
  readonly scan?: "auto" | "proc" | undefined;
  /** Leave out this process's own VMs. */
  readonly excludeSelf?: boolean;
}

/** What `statsfs ps` shows for one VM. */
export interface VmSummary {
  readonly pid: number;
  readonly guest?: string;
  readonly uuid?: string;
  readonly vcpus: number;
  readonly vmm: string;
  readonly routes: RouteName[];
  readonly detail?: string;
  readonly state: MemberState;
}

/** How many gone VMs stay in {@link HostSource.members}. */
const GONE_KEPT = 32;

export class HostSource extends AsyncClosable implements StatsSource {
  readonly uri: string;
  /** Polled asynchronously (QMP members); raw bytes and resets are not offered. */
  readonly capabilities = NO_CAPABILITIES;
  readonly o: HostSourceOptions;
  readonly #readers = new Map<string, VmReader>();
  #gone: { uri: string; reason: string; summary: VmSummary }[] = [];
  #files: StatsFile[] = [];
  #polling: Promise<void> | undefined;

  private constructor(uri: string, o: HostSourceOptions) {
    super();
    this.uri = uri;
    this.o = o;
  }

  /** Scans the host and opens every VM's routes. */
  static async open(uri: string, o: HostSourceOptions): Promise<HostSource> {
    const s = new HostSource(uri, o);
    await s.#rescan();
    return s;
  }

  get files(): readonly StatsFile[] {
    return this.#files;
  }

  /** Why no VM's statistics are shown: none runs (or matches), or every one failed. */
  emptyReason(): string {
    const o = this.o;
    const routes = [...o.routes].join(",");
    const which = [o.pids ? `pid ${[...o.pids].join(",")}` : "", o.guest ? `guest ${printable(String(o.guest))}` : ""].filter(
      (x) => x !== "",
    );
    if (this.#readers.size === 0) {
      return `${printable(this.uri)}: no KVM VM runs on this host${which.length ? ` with ${which.join(" and ")}` : " (no process holds an anon_inode:kvm-vm fd)"}`;
    }
    const why = [...this.#readers.values()].map((r) => `${memberUri(r.vm)}: ${r.reason ?? r.state}`);
    return `${printable(this.uri)}: ${this.#readers.size} VM(s) found, none readable by route ${routes}: ${why.join("; ")}`;
  }

  /** Member statuses: one per VM (gone ones last). */
  get members(): MemberStatus[] {
    const out: MemberStatus[] = [];
    for (const r of this.#readers.values()) {
      const reason = r.state === "ok" ? undefined : r.reason;
      out.push(reason === undefined ? { uri: memberUri(r.vm), state: r.state } : { uri: memberUri(r.vm), state: r.state, reason });
    }
    for (const g of this.#gone) out.push({ uri: g.uri, state: "gone", reason: g.reason });
    return out;
  }

  /** One summary per VM, as `statsfs ps` prints them (gone VMs not included). */
  summaries(): VmSummary[] {
    return [...this.#readers.values()].map(summary);
  }

  /** The VMs that went away, most recent last. */
  get gone(): readonly VmSummary[] {
    return this.#gone.map((g) => g.summary);
  }

  /**
   * Rescans, then polls every VM in parallel. Each VM's poll is bounded by its own timeouts;
   * with `timeoutMs`, VMs still answering at the deadline are marked stale (last values kept)
   * and not asked again until they answer.
   */
  poll(options: PollOptions = {}): Promise<void> {
    if (this.closed) return Promise.reject(new SourceError("STATSFS_CLOSED", `${this.uri}: source is closed`));
    this.#polling ??= (async () => {
      try {
        await this.#rescan();
        await pollAll(
          [...this.#readers.values()].map((r) => r.polled),
          options.timeoutMs,
          { timeoutMs: options.timeoutMs ?? this.o.timeoutMs },
        );
        this.#collect();
      } finally {
        this.#polling = undefined;
      }
    })();
    return this.#polling;
  }

  #accept(vm: HostVm): boolean {
    if (this.o.excludeSelf && vm.pid === process.pid) return false;
    if (this.o.guest && !(vm.guest !== undefined && this.o.guest.test(vm.guest))) return false;
    return true;
  }

  async #rescan(): Promise<void> {
    const found = enumerateVms({ pids: this.o.pids, debugfs: this.o.debugfs, scan: this.o.scan }).filter((vm) => this.#accept(vm));
    const seen = new Set<string>();
    const fresh: HostVm[] = [];
    for (const vm of found) {
      seen.add(vm.key);
      const r = this.#readers.get(vm.key);
      if (r) r.update(vm);
      else fresh.push(vm);
    }
    for (const [key, r] of this.#readers) {
      if (seen.has(key)) continue;
      this.#readers.delete(key);
      const reason = `pid ${r.vm.pid} exited${found.some((v) => v.pid === r.vm.pid) ? " (pid reused by another VM)" : ""}`;
      r.polled.gone(reason);
      this.#gone.push({ uri: memberUri(r.vm), reason, summary: summary(r) });
      await r.close();
    }
    if (this.#gone.length > GONE_KEPT) this.#gone = this.#gone.slice(-GONE_KEPT);
    const opened = await Promise.all(
      fresh.map((vm) => VmReader.open(vm, { routes: this.o.routes, greetingMs: this.o.greetingMs, keep: this.o.keep })),
    );
    for (const r of opened) this.#readers.set(r.vm.key, r);
    this.#collect();
  }

  #collect(): void {
    const readers = [...this.#readers.values()].sort((a, b) => a.vm.pid - b.vm.pid);
    this.#files = readers.flatMap((r) => [...r.files]);
  }

  protected async closing(): Promise<void> {
    await this.#polling?.catch(() => undefined);
    for (const r of this.#readers.values()) await r.close();
    this.#readers.clear();
    this.#files = [];
  }
}

function memberUri(vm: HostVm): string {
  return `host:?pid=${vm.pid}`;
}

function summary(r: VmReader): VmSummary {
  const vm = r.vm;
  const s: { -readonly [K in keyof VmSummary]: VmSummary[K] } = {
    pid: vm.pid,
    vcpus: vm.vcpuFds.size,
    vmm: vm.vmm,
    routes: r.used,
    state: r.state,
  };
  if (vm.guest !== undefined) s.guest = vm.guest;
  if (vm.uuid !== undefined) s.uuid = vm.uuid;
  const d = r.detail;
  if (d !== undefined) s.detail = d;
  return s;
}
