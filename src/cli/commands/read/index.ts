/**
 * @module cli/commands/read
 * `statsfs read SRC [--json] [--target T] [--names a,b]`: one snapshot of a source's values.
 * With --json, QEMU's query-stats result shape plus "target" and "id" per result.
 */

import { queryStats, type StatsFilter, toJson } from "../../../views/qapi/index.js";
import { valuesTable } from "../../../views/text/values.js";
import type { Command } from "../../command.js";
import { flag, list, str } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { withSource } from "../../with-source.js";

/** Options of {@link read}. */
export interface ReadOptions {
  readonly source: string;
  readonly json?: boolean | undefined;
  readonly target?: string | undefined;
  readonly names?: readonly string[] | undefined;
}

/** Reads one snapshot and prints it. */
export async function read(o: ReadOptions, io: Io): Promise<number> {
  const filter: StatsFilter = { target: o.target, names: o.names };
  return withSource(o.source, async (s) => {
    const results = queryStats(s.files, filter);
    io.stdout.write(o.json ? `${toJson(results, 2)}\n` : valuesTable(s.files, filter));
    return Exit.Ok;
  });
}

export const command: Command = {
  name: "read",
  summary: "print one snapshot of a source's values",
  help: `usage: statsfs read SRC [--json] [--target T] [--names a,b]

  --json        QEMU query-stats JSON: [{"provider","target","qom-path"?,"id","stats":[{"name","value"}]}]
                (u64 digit-exact, booleans true/false, histograms in bucket order 0..n-1)
  --target T    only stats files of target T (vm, vcpu, ...)
  --names a,b   only these statistics`,
  options: { json: { type: "boolean" }, target: { type: "string" }, names: { type: "string" } },
  positionals: [1, 1],
  run: (a, io) =>
    read({ source: a.positionals[0] as string, json: flag(a, "json"), target: str(a, "target"), names: list(a, "names") }, io),
};
