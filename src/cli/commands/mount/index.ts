import { printable } from "../../../model/printable.js";
import { mountStatsfs } from "../../../views/fs/mount.js";
import { type Command, durationOption } from "../../command.js";
import { Exit, type Io } from "../../io.js";

/** Options of {@link mount}. */
export interface MountCommandOptions {
  readonly dir: string;
  readonly sources: readonly string[];
  readonly maxAgeMs?: number | undefined;
}

/** The sources used when none is named. */
export const DEFAULT_SOURCES: readonly string[] = ["host:"];

/** Mounts and serves until `io.signal` aborts. */
export async function mount(o: MountCommandOptions, io: Io): Promise<number> {
  const sources = o.sources.length ? o.sources : DEFAULT_SOURCES;
  const m = await mountStatsfs(o.dir, sources, {
    ...(o.maxAgeMs !== undefined ? { maxAgeMs: o.maxAgeMs } : {}),
    onNotice: (msg) => io.stderr.write(`${msg}\n`),
  });
  try {
    io.stderr.write(
      `statsfs: mounted ${printable(o.dir)} (FUSE ${m.kernelVersion}; ${sources.length} source${sources.length === 1 ? "" : "s"}, ${m.files} stats file${m.files === 1 ? "" : "s"}); Ctrl-C unmounts\n`,
    );
    const stop = new Promise<undefined>((resolve) => {
      if (io.signal.aborted) resolve(undefined);
      io.signal.addEventListener("abort", () => resolve(undefined), { once: true });
    });
    const why = await Promise.race([stop, m.ended]);
    if (why !== undefined) {
      io.stderr.write(`statsfs: ${printable(o.dir)}: the server stopped (${why})\n`);
      return Exit.Usage;
    }
    return Exit.Ok;
  } finally {
    await m.close();
  }
}

/** --max-age's bounds in milliseconds. */
const MAX_AGE = { min: 0, max: 3_600_000 };

export const command: Command = {
  name: "mount",
  summary: "mount the sources as a filesystem (FUSE): one file per statistic, like debugfs",
  help: `usage: statsfs mount DIR [SRC...] [--max-age MS]

  DIR           an existing empty directory (a stale statsfs mount there is cleaned first)
  SRC           sources to serve (default ${DEFAULT_SOURCES.join(" ")})
  --max-age MS  largest age of a value served (default 0: each read at offset 0 re-reads)

Layout: /kvm/<guest or pid>/ per VM (its statistics and the aggregates over its vCPUs),
vcpu-N/ inside; /statsfs/<source>/... per producer source; the provider directory aggregates
everything below it (sum; max for peaks and booleans). One file per statistic: the value in
decimal and a newline, 0/1 for booleans, one "[low, high) unit: count" line per histogram
bucket. Every directory with statistics has .schema (query-stats-schemas JSON) and .stats (the
stats file in the kernel's binary layout, readable with pread at any offset). "echo 0 > FILE"
resets a producer value declared writable (mode 0644); other writes fail with EINVAL, files
that cannot be reset are 0444 (EACCES). mkdir, rm, mv, chmod: EPERM. Needs root and /dev/fuse.
Runs until SIGINT/SIGTERM, then unmounts.`,
  options: { "max-age": { type: "string" } },
  positionals: [1, 64],
  run: (a, io) =>
    mount(
      { dir: a.positionals[0] as string, sources: a.positionals.slice(1), maxAgeMs: durationOption(a, "mount", "max-age", "ms", MAX_AGE) },
      io,
    ),
};
