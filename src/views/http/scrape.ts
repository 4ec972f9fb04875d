/**
 * @module views/http/scrape
 * One poll for every scrape that arrives while it is under way: a scrape joins the generation
 * in flight or starts the next one; each generation renders each format (and its gzip) once,
 * and every client of that generation is sent the same Buffer. A source whose poll fails is
 * left out of that generation (its last values are not served as current) and shows as
 * `statsfs_exporter_source_up{source="…"} 0`. A source made of members (a union, the host's VMs,
 * `shm:`'s or a directory's files) adds one `statsfs_exporter_source_members{source,state}` count
 * per state and names at most {@link MEMBER_EXAMPLES} members that are not ok
 * (`statsfs_exporter_source_member_up{source,member} 0`): a directory of 20,000 bad files costs a
 * few lines per scrape, not one per file.
 */
import { constants, gzip, gzipSync } from "node:zlib";
import type { StatsFile } from "../../model/stats-file.js";
import { isSyncSource, type StatsSource } from "../../providers/source.js";
import { escapeHelp, escapeLabelValue } from "../openmetrics/names.js";
import type { PlanOptions } from "../openmetrics/plan.js";
import { Exposition, type ExpositionFormat } from "../openmetrics/render.js";

/**
 * gzip at its fastest level (nginx's default too): exposition text is repetitive enough that
 * level 1 still shrinks it 6- to 14-fold, 2 to 3.5 times faster than the default level 6,
 * whose output is only 7-20% smaller (measured on the benchmarks' expositions).
 */
const GZIP = { level: constants.Z_BEST_SPEED };

/**
 * Bodies up to this size are compressed on the event loop (a fraction of a millisecond), where
 * a trip to the thread pool would cost more in wake-ups on a busy host; larger ones there.
 */
const GZIP_INLINE = 256 * 1024;

function compress(b: Buffer): Promise<Buffer> {
  if (b.length <= GZIP_INLINE) return Promise.resolve(gzipSync(b, GZIP));
  return new Promise<Buffer>((resolve, reject) => gzip(b, GZIP, (e, z) => (e ? reject(e) : resolve(z))));
}

/** Not-ok members shown by name per source at most (the rest are only counted). */
export const MEMBER_EXAMPLES = 3;
const MEMBER_STATES = ["ok", "stale", "failed", "gone"] as const;

/** What one generation found about a source. */
interface SourceState {
  readonly uri: string;
  readonly ok: boolean;
  /** Members by state, for a source made of members (its poll succeeded). */
  readonly counts?: Readonly<Record<(typeof MEMBER_STATES)[number], number>>;
  /** The first {@link MEMBER_EXAMPLES} members that are not ok. */
  readonly examples?: readonly string[];
}

function stateOf(s: StatsSource, ok: boolean): SourceState {
  if (!ok || !s.members) return { uri: s.uri, ok };
  const counts = { ok: 0, stale: 0, failed: 0, gone: 0 };
  const examples: string[] = [];
  for (const m of s.members) {
    counts[m.state]++;
    if (m.state !== "ok" && examples.length < MEMBER_EXAMPLES) examples.push(m.uri);
  }
  return { uri: s.uri, ok, counts, examples };
}

class Generation {
  settled = false;
  readonly done: Promise<void>;
  files: StatsFile[] = [];
  states: SourceState[] = [];
  readonly bodies = new Map<string, Promise<Buffer>>();

  constructor(sources: readonly StatsSource[], timeoutMs: number) {
    this.done = this.#poll(sources, timeoutMs).finally(() => {
      this.settled = true;
    });
  }

  async #poll(sources: readonly StatsSource[], timeoutMs: number): Promise<void> {
    const results = await Promise.all(
      sources.map(async (s) => {
        try {
          if (isSyncSource(s)) s.pollSync();
          else await s.poll({ timeoutMs });
          return true;
        } catch {
          return false;
        }
      }),
    );
    this.states = sources.map((s, i) => stateOf(s, results[i] === true));
    this.files = sources.flatMap((s, i) => (results[i] ? s.files : []));
  }
}

/** Shared polls and rendered bodies for an exporter's sources. */
export class Scraper {
  readonly #sources: readonly StatsSource[];
  readonly #exposition: Exposition;
  #gen: Generation | undefined;
  /** Polls started (for tests and the exporter's own statistics). */
  polls = 0;

  readonly #timeoutMs: number;

  /** `timeoutMs`: how long a poll waits for slow members (Prometheus's default scrape timeout is 10 s). */
  constructor(sources: readonly StatsSource[], options: PlanOptions = {}, timeoutMs = 8000) {
    this.#sources = sources;
    this.#timeoutMs = timeoutMs;
    this.#exposition = new Exposition(options);
  }

  /** The body for `format`, gzipped or not, from the generation in flight or a new one. */
  async body(format: ExpositionFormat, gzipped: boolean): Promise<Buffer> {
    let gen = this.#gen;
    if (!gen || gen.settled) {
      gen = new Generation(this.#sources, this.#timeoutMs);
      this.#gen = gen;
      this.polls++;
    }
    await gen.done;
    const key = `${format}:${gzipped}`;
    let body = gen.bodies.get(key);
    if (!body) {
      const plainKey = `${format}:false`;
      let plain = gen.bodies.get(plainKey);
      if (!plain) {
        plain = Promise.resolve(this.render(gen, format));
        gen.bodies.set(plainKey, plain);
      }
      body = gzipped ? plain.then(compress) : plain;
      gen.bodies.set(key, body);
    }
    return body;
  }

  private render(gen: Generation, format: ExpositionFormat): Buffer {
    const om = format === "openmetrics";
    let body = this.#exposition.renderBuffer(gen.files, format);
    if (om) body = body.subarray(0, body.length - "# EOF\n".length);
    const header = (name: string, help: string) =>
      om
        ? `# TYPE ${name} gauge\n# HELP ${name} ${escapeHelp(help, true)}\n`
        : `# HELP ${name} ${escapeHelp(help, false)}\n# TYPE ${name} gauge\n`;
    const src = (s: SourceState) => `source="${escapeLabelValue(s.uri)}"`;
    let text = header(
      "statsfs_exporter_source_up",
      "1 when the source's last poll succeeded, 0 when it failed (its statistics are then left out)",
    );
    for (const s of gen.states) text += `statsfs_exporter_source_up{${src(s)}} ${s.ok ? 1 : 0}\n`;
    const made = gen.states.filter((s) => s.counts);
    if (made.length > 0) {
      text += header(
        "statsfs_exporter_source_members",
        "Members of a source made of members (a union, host VMs, a directory's files) by state",
      );
      for (const s of made)
        for (const st of MEMBER_STATES) text += `statsfs_exporter_source_members{${src(s)},state="${st}"} ${s.counts?.[st] ?? 0}\n`;
      const shown = made.filter((s) => (s.examples?.length ?? 0) > 0);
      if (shown.length > 0) {
        text += header(
          "statsfs_exporter_source_member_up",
          `0 for a member that is not ok (the first ${MEMBER_EXAMPLES} of each source; the rest are counted)`,
        );
        for (const s of shown)
          for (const m of s.examples ?? []) text += `statsfs_exporter_source_member_up{${src(s)},member="${escapeLabelValue(m)}"} 0\n`;
      }
    }
    return Buffer.concat([body, Buffer.from(om ? `${text}# EOF\n` : text)]);
  }
}
