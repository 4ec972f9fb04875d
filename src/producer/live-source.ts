/**
 * @module producer/live-source
 * The in-process reader: a live source tree as a {@link StatsSource} — no files, no copies on
 * the write path. Each source is one stats file (`statsfs/<root>/<sub>…`, provider statsfs)
 * with its values and its subordinates' aggregates, recomputed at every poll; the file list is
 * rebuilt when the tree changed. Anything that serves a StatsSource (the CLI views, the QMP
 * server, exporters) serves it unchanged.
 */
import { DefinitionError, UsageError } from "../errors.js";
import type { StatsFile } from "../model/stats-file.js";
import { describe, quote } from "../model/text.js";
import { AggregatePlan, type NodeInput } from "../providers/aggregate/plan.js";
import { PlanSource } from "../providers/aggregate/plan-source.js";
import { defaultRegistry, Registry } from "./registry.js";
import { Source, treeVersion } from "./source.js";

/** A source as the aggregation engine sees it (one instance, its shards). */
export function nodeOf(s: Source): NodeInput {
  const store = s.store;
  return {
    path: s.path,
    instances: [
      {
        values: s.values,
        shards: store.shards.map((v) => v.u),
        zero: (word, size) => store.zero(word, size),
      },
    ],
    children: s.subordinates.map(nodeOf),
  };
}

/** A {@link SyncStatsSource} over live sources: a registry's (the default one's), or the trees given. */
export class LiveSource extends PlanSource {
  readonly uri: string;
  readonly #roots: (() => readonly Source[]) | undefined;
  readonly #fixed: readonly Source[];
  #version = -1;

  constructor(roots?: Source | readonly Source[] | Registry) {
    super();
    if (
      roots !== undefined &&
      !(roots instanceof Source || roots instanceof Registry || (Array.isArray(roots) && roots.every((r) => r instanceof Source)))
    ) {
      const what = Array.isArray(roots) ? `an array holding ${describe(roots.find((r) => !(r instanceof Source)))}` : describe(roots);
      throw new DefinitionError(`liveSource needs a Source, an array of Sources or a Registry, not ${what}`);
    }
    const registry = roots === undefined ? defaultRegistry : roots instanceof Registry ? roots : undefined;
    this.#fixed = registry || roots === undefined ? [] : Array.isArray(roots) ? [...(roots as readonly Source[])] : [roots as Source];
    this.#roots = registry ? () => registry.sources : undefined;
    this.uri = registry ? "live:" : `live:${this.#fixed.map((s) => s.path.join("/")).join(",")}`;
    this.pollSync();
  }

  get files(): readonly StatsFile[] {
    return this.plan.files;
  }

  #sources(): readonly Source[] {
    return (this.#roots ? this.#roots() : this.#fixed).filter((s) => !s.closed);
  }

  /** Rebuilds the file list if any tree changed, then recomputes every value. */
  protected refresh(): void {
    const v = treeVersion();
    if (v !== this.#version) {
      this.plan = new AggregatePlan(this.#sources().map(nodeOf));
      this.#version = v;
    }
    this.plan.evaluate();
  }
}

/**
 * An in-process {@link StatsSource} over the registered sources (of the default registry, or
 * of the registry given) or the given trees:
 * `statsfs` views, the QMP server and exporters read it like any other source.
 */
export function liveSource(roots?: Source | readonly Source[] | Registry): LiveSource {
  return new LiveSource(roots);
}

/**
 * Writes to a statistic of `source` as its readers see it (the proposal's write to a value
 * file): 0 resets the value, or every value behind an aggregate; anything else is refused.
 */
export function writeStat(source: Source, name: string, value: bigint | number): void {
  if (!(source instanceof Source)) throw new DefinitionError(`writeStat needs a Source, not ${describe(source)}`);
  const plan = new AggregatePlan([nodeOf(source)]);
  const file = plan.files.find((f) => f.identity.path === `/${source.path.join("/")}`);
  if (!file) throw new UsageError(`no statistic ${describe(name)} in source ${quote(source.path.join("/"))}`);
  plan.write(file, name, value);
}
