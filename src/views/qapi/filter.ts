/**
 * @module views/qapi/filter
 * QEMU's StatsFilter (qapi/stats.json) applied to stats files: target, providers with optional
 * names, and vCPUs by path. Anything that matches nothing yields nothing, never an error.
 */
import type { StatDescriptor } from "../../model/descriptor.js";
import type { StatsFile } from "../../model/stats-file.js";
import type { Selector } from "../../sample/select.js";

/** One entry of StatsFilter.providers. */
export interface StatsRequest {
  readonly provider: string;
  readonly names?: readonly string[];
}

/** The arguments of query-stats. */
export interface StatsFilter {
  /** vm, vcpu, or a target a source defines; undefined matches every target (CLI only). */
  readonly target?: string | undefined;
  readonly providers?: readonly StatsRequest[] | undefined;
  /** Names wanted from every provider (CLI shorthand for providers[].names). */
  readonly names?: readonly string[] | undefined;
  /** vCPU paths (qom-path, or the id for files without one); only with target vcpu. */
  readonly vcpus?: readonly string[] | undefined;
  /** The CLI's selection (names by pattern, target, providers, vCPUs), applied after the rest. */
  readonly selector?: Selector | undefined;
}

/** A file's path as the vcpus filter sees it: its qom-path, else its id. */
export function filePath(f: StatsFile): string {
  return f.identity.path ?? f.identity.id;
}

/** The files a filter selects, each with the descriptors it wants (in schema order). */
export function selectStats(files: readonly StatsFile[], filter: StatsFilter): { file: StatsFile; stats: readonly StatDescriptor[] }[] {
  const out: { file: StatsFile; stats: readonly StatDescriptor[] }[] = [];
  const vcpus = filter.vcpus ? new Set(filter.vcpus) : undefined;
  for (const file of files) {
    const { provider, target } = file.identity;
    if (filter.target !== undefined && target !== filter.target) continue;
    if (vcpus && !vcpus.has(filePath(file))) continue;
    const sel = filter.selector;
    if (sel && !sel.file(file)) continue;
    let names: Set<string> | undefined;
    if (filter.providers) {
      const reqs = filter.providers.filter((r) => r.provider === provider);
      if (reqs.length === 0) continue;
      // Several requests for one provider: the union of their names; one without names wants all.
      if (reqs.every((r) => r.names)) names = new Set(reqs.flatMap((r) => r.names ?? []));
    }
    if (filter.names) names = names ? new Set(filter.names.filter((n) => names?.has(n))) : new Set(filter.names);
    let stats = names ? file.schema.descriptors.filter((d) => names?.has(d.name)) : file.schema.descriptors;
    if (sel && !sel.allNames) stats = stats.filter((d) => sel.name(d.name));
    if ((names || (sel && !sel.allNames)) && stats.length === 0) continue;
    out.push({ file, stats });
  }
  return out;
}
