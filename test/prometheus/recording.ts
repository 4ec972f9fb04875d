/**
 * @module test/prometheus/recording
 * A source that remembers what every poll read (the values the exporter then served), so a
 * test can tell which poll each Prometheus sample came from and check PromQL against it.
 */
import type { StatsFile } from "../../src/model/stats-file.js";
import type { PollOptions, StatsSource } from "../../src/providers/source.js";

/** One poll: every file's identity labels (as key) → a copy of its data. */
export type Poll = Map<string, { file: StatsFile; data: BigUint64Array }>;

/** Wraps `inner`; `polls` holds one entry per poll, in order. */
export function recording(inner: StatsSource): StatsSource & { polls: Poll[] } {
  const polls: Poll[] = [];
  const record = () => {
    const p: Poll = new Map();
    for (const f of inner.files) p.set(JSON.stringify(f.identity.labels), { file: f, data: f.data.slice() });
    polls.push(p);
  };
  const s: StatsSource & { polls: Poll[] } = {
    uri: inner.uri,
    capabilities: inner.capabilities,
    polls,
    get files() {
      return inner.files;
    },
    poll: async (o?: PollOptions) => {
      await inner.poll(o);
      record();
    },
    close: () => inner.close(),
    [Symbol.asyncDispose]: () => inner.close(),
  };
  if (inner.pollSync) {
    const sync = inner.pollSync.bind(inner);
    s.pollSync = () => {
      sync();
      record();
    };
  }
  return s;
}

/** A descriptor's words in a recorded poll's data. */
export function words(entry: { file: StatsFile; data: BigUint64Array }, name: string): bigint[] {
  const d = entry.file.schema.descriptors.find((x) => x.name === name);
  if (!d) throw new Error(`no statistic ${name}`);
  return Array.from(entry.data.subarray(d.offset / 8, d.offset / 8 + d.size));
}
