/**
 * @module cli/commands/snapshot
 * `statsfs snapshot SRC --out DIR`: every stats file of a source written as a binary file in
 * the kernel's layout, named from its id (`kvm-12/vcpu-0` → `kvm-12.vcpu-0.stats`).
 */
import { renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SourceError } from "../../../errors.js";
import { located } from "../../../providers/file/fd-file.js";
import { makeDirs } from "../../../sys/fs.js";
import { encodeFile, snapshotFileName } from "../../../views/binary/index.js";
import { type Command, str } from "../../command.js";
import { Exit, type Io } from "../../io.js";
import { withSource } from "../../with-source.js";

/**
 * Writes one file atomically: a hidden temporary name (readers of the directory skip dot
 * files), then rename. On failure the temporary file is removed and the error names the path.
 */
function writeAtomic(dir: string, name: string, bytes: Uint8Array): void {
  const tmp = join(dir, `.${name}.tmp-${process.pid}`);
  try {
    writeFileSync(tmp, bytes);
    renameSync(tmp, join(dir, name));
  } catch (e) {
    rmSync(tmp, { force: true });
    throw located(e, join(dir, name));
  }
}

/** Options of {@link snapshot}. */
export interface SnapshotOptions {
  readonly source: string;
  readonly out: string;
}

/** Writes each stats file of the source into `out`. */
export async function snapshot(o: SnapshotOptions, io: Io): Promise<number> {
  return withSource(o.source, async (s) => {
    try {
      makeDirs(o.out);
    } catch (e) {
      throw located(e, o.out);
    }
    const used = new Set<string>();
    for (const f of s.files) {
      const name = snapshotFileName(f.identity);
      if (used.has(name)) throw new SourceError("STATSFS_OUTPUT", `${o.out}: two stats files share the id "${f.identity.id}"`);
      used.add(name);
      writeAtomic(o.out, name, encodeFile(f));
      io.stdout.write(`${join(o.out, name)}\n`);
    }
    return Exit.Ok;
  });
}

export const command: Command = {
  name: "snapshot",
  summary: "save each stats file of a source as a binary file (kernel layout)",
  help: `usage: statsfs snapshot SRC --out DIR

  --out DIR   directory to write into (created if missing); one file per stats file,
              named from its id: kvm-12/vcpu-0 -> DIR/kvm-12.vcpu-0.stats`,
  options: { out: { type: "string", short: "o" } },
  positionals: [1, 1],
  run: async (a, io) => {
    const out = str(a, "out");
    if (out === undefined) {
      io.stderr.write("statsfs: snapshot: --out DIR is required\n");
      return Exit.Usage;
    }
    return snapshot({ source: a.positionals[0] as string, out }, io);
  },
};
