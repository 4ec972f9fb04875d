/**
 * @module cli/commands/schema
 * `statsfs schema SRC [--json] [--provider P]`: the descriptors of a source. With --json,
 * exactly QEMU's query-stats-schemas result.
 */

import { checkedSelector } from "../../../sample/select.js";
import { queryStatsSchemas, toJson } from "../../../views/qapi/index.js";
import { schemaTable } from "../../../views/text/schema.js";
import { type Command, flag, str } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { withSource } from "../../with-source.js";

/** Options of {@link schema}. */
export interface SchemaOptions {
  readonly source: string;
  readonly json?: boolean | undefined;
  readonly provider?: string | undefined;
}

/** Prints a source's schemas. */
export async function schema(o: SchemaOptions, io: Io): Promise<number> {
  return withSource(o.source, async (s) => {
    if (o.provider !== undefined) checkedSelector({ providers: [o.provider] }, s.files);
    io.stdout.write(o.json ? `${toJson(queryStatsSchemas(s.files, o.provider), 2)}\n` : schemaTable(s.files, o.provider));
    return Exit.Ok;
  });
}

export const command: Command = {
  name: "schema",
  summary: "print a source's statistics descriptors",
  help: `usage: statsfs schema SRC [--json] [--provider P]

  --json        QEMU query-stats-schemas JSON: [{"provider","target","stats":[{"name","type",
                "unit"?,"base"?,"exponent","bucket-size"?}]}]
  --provider P  only provider P`,
  options: { json: { type: "boolean" }, provider: { type: "string" } },
  positionals: [1, 1],
  run: (a, io) => schema({ source: a.positionals[0] as string, json: flag(a, "json"), provider: str(a, "provider") }, io),
};
