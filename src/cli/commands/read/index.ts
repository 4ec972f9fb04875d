/**
 * @module cli/commands/read
 * `statsfs read SRC… [--json] [selection]`: one snapshot of a source's values (several sources
 * are read as one union). With --json, QEMU's query-stats result shape plus "target", "id" and
 * "labels" per result. Members that are not ok are warned about on stderr, the first few by
 * name (escaped) and the rest counted.
 */

import type { Selection } from "../../../sample/select.js";
import { checkedSelector } from "../../../sample/select.js";
import { queryStats, type StatsFilter, toJson } from "../../../views/qapi/index.js";
import { memberWarnings } from "../../../views/text/members.js";
import { valuesTable } from "../../../views/text/values.js";
import type { Command } from "../../command.js";
import { flag } from "../../command.js";
import { requireFiles } from "../../empty.js";
import { Exit, type Io } from "../../io.js";
import { SELECTION_HELP, SELECTION_OPTIONS, selectionOf } from "../../selection.js";
import { withSource } from "../../with-source.js";

/** Options of {@link read}. */
export interface ReadOptions {
  readonly sources: readonly string[];
  readonly json?: boolean | undefined;
  readonly selection?: Selection | undefined;
}

/** Reads one snapshot and prints it. */
export async function read(o: ReadOptions, io: Io): Promise<number> {
  return withSource(o.sources, async (s) => {
    const warnings = memberWarnings(s.uri, s.members ?? []);
    // Members not ok already say why there is little or nothing; otherwise an empty source says why.
    if (warnings.length === 0) requireFiles(s);
    const filter: StatsFilter = { selector: checkedSelector(o.selection ?? {}, s.files) };
    for (const line of warnings) io.stderr.write(`${line}\n`);
    io.stdout.write(o.json ? `${toJson(queryStats(s.files, filter), 2)}\n` : valuesTable(s.files, filter));
    return Exit.Ok;
  });
}

export const command: Command = {
  name: "read",
  summary: "print one snapshot of a source's values",
  help: `usage: statsfs read SRC... [--json] [--names LIST] [--target T] [--provider LIST] [--vcpu LIST]

  --json           QEMU query-stats JSON: [{"provider","target","qom-path"?,"id","labels","stats":[{"name","value"}]}]
                   (u64 digit-exact, booleans true/false, histograms in bucket order 0..n-1)
${SELECTION_HELP}

Several sources are read as one: each keeps its own files, ids and labels. Histogram buckets
are shown by range in the statistic's unit, e.g. [256 ns, 512 ns)=3.`,
  options: { json: { type: "boolean" }, ...SELECTION_OPTIONS },
  positionals: [1, 64],
  run: (a, io) => read({ sources: a.positionals, json: flag(a, "json"), selection: selectionOf(a) }, io),
};
