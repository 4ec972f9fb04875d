/**
 * @module views/qapi/requests
 * query-stats selection exactly as QEMU 7.2 performs it, for the QMP server and `info stats`:
 * providers in turn; within a provider each StatsRequest separately (two requests for one
 * provider give two result sets, as in QEMU); `names: []` or `vcpus: []` select nothing; a
 * result with no statistic left is dropped; statistics keep schema order, objects keep file
 * order (QEMU returns both reversed — a documented difference). Unlike {@link selectStats}
 * (the CLI's filter: a union of names, ids accepted as paths), nothing here is lenient.
 */
import type { StatDescriptor } from "../../model/descriptor.js";
import { StatUnit } from "../../model/flags.js";
import type { StatsFile } from "../../model/stats-file.js";

/** One StatsRequest of query-stats. */
export interface QemuStatsRequest {
  readonly provider: string;
  /** Wanted names; undefined for all. */
  readonly names?: readonly string[] | undefined;
}

/** query-stats arguments (QAPI StatsFilter) after validation. */
export interface QemuStatsFilter {
  readonly target: string;
  readonly providers?: readonly QemuStatsRequest[] | undefined;
  /** Only with target vcpu: wanted qom-paths. */
  readonly vcpus?: readonly string[] | undefined;
}

/** One StatsResult to produce: a file and the statistics wanted from it. */
export interface QemuSelection {
  readonly file: StatsFile;
  readonly qomPath: string | undefined;
  readonly stats: readonly StatDescriptor[];
}

/**
 * The qom-path a file is served under: its identity's path; for a vCPU file without one,
 * `/` + its id (`/kvm-1234/vcpu-0`); none for other files (QEMU gives VM results no qom-path).
 */
export function qomPathOf(file: StatsFile): string | undefined {
  const { path, target, id } = file.identity;
  if (path !== undefined) return path;
  return target === "vcpu" ? `/${id}` : undefined;
}

/** Providers a request may name even when no file has them: QEMU 7.2's `kvm`, and ours. */
export const KNOWN_PROVIDERS: readonly string[] = ["kvm", "statsfs"];
/** Targets a request may name even when no file has them (QEMU 7.2's StatsTarget). */
export const KNOWN_TARGETS: readonly string[] = ["vm", "vcpu"];

/** The StatsProvider values accepted: the known ones plus every provider among the files. */
export function acceptedProviders(files: readonly StatsFile[]): Set<string> {
  const out = new Set(KNOWN_PROVIDERS);
  for (const f of files) out.add(f.identity.provider);
  return out;
}

/** The StatsTarget values accepted: the known ones plus every target among the files. */
export function acceptedTargets(files: readonly StatsFile[]): Set<string> {
  const out = new Set(KNOWN_TARGETS);
  for (const f of files) out.add(f.identity.target);
  return out;
}

/** Providers in order of first appearance among the files. */
export function providersOf(files: readonly StatsFile[]): string[] {
  return [...new Set(files.map((f) => f.identity.provider))];
}

/** query-stats selection (see the module comment). */
export function selectQemu(files: readonly StatsFile[], filter: QemuStatsFilter): QemuSelection[] {
  const out: QemuSelection[] = [];
  const { target, vcpus } = filter;
  if (target === "vcpu" && vcpus?.length === 0) return out;
  const wantPaths = target === "vcpu" && vcpus ? new Set(vcpus) : undefined;
  for (const provider of providersOf(files)) {
    const requests: readonly (QemuStatsRequest | undefined)[] = filter.providers ?? [undefined];
    for (const req of requests) {
      if (req && req.provider !== provider) continue;
      if (req?.names?.length === 0) continue;
      const names = req?.names ? new Set(req.names) : undefined;
      for (const file of files) {
        if (file.identity.provider !== provider || file.identity.target !== target) continue;
        const qomPath = qomPathOf(file);
        if (wantPaths && (qomPath === undefined || !wantPaths.has(qomPath))) continue;
        const stats = names ? file.schema.descriptors.filter((d) => names.has(d.name)) : file.schema.descriptors;
        if (stats.length === 0) continue;
        out.push({ file, qomPath, stats });
      }
    }
  }
  return out;
}

/** How QEMU shapes a statistic's value: boolean unit first, then one word, else a list. */
export function valueShape(d: StatDescriptor): "boolean" | "scalar" | "list" {
  if (d.unit === StatUnit.Boolean) return "boolean";
  return d.size === 1 ? "scalar" : "list";
}
