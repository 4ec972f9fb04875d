/**
 * @module views/http/scrape
 * One poll for every scrape that arrives while it is under way: a scrape joins the generation
 * in flight or starts the next one; each generation renders each format (and its gzip) once,
 * and every client of that generation is sent the same Buffer. A source whose poll fails is
 * left out of that generation (its last values are not served as current) and shows as
 * `statsfs_exporter_source_up{source="…"} 0`, as does a source that answers but names nothing
 * running (`shm:` with no live producer: {@link StatsSource.live}). `up` is per source, never
 * per file: a union has one line per member source (a failed member's files are left out), the
 * host's VMs one per VM that is not ok; the files of a service's processes have none (a dead
 * worker's series simply go away).
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

/** What one generation found about a source. */
interface SourceState {
  readonly uri: string;
  readonly ok: boolean;
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
    this.states = sources.flatMap((s, i) => sourceStates(s, results[i] === true));
    this.files = sources.flatMap((s, i) => (results[i] ? s.files : []));
  }
}

/** The members of a union, or undefined. */
function unionMembers(s: StatsSource): readonly StatsSource[] | undefined {
  return (s as { sources?: readonly StatsSource[] }).sources;
}

/** `up` lines of a source polled (ok) or not: one per source, union member or VM — never per file. */
function sourceStates(s: StatsSource, ok: boolean): SourceState[] {
  const members = unionMembers(s);
  if (members) {
    const status = new Map((s.members ?? []).map((m) => [m.uri, m.state]));
    return members.flatMap((m) => {
      const st = status.get(m.uri);
      return sourceStates(m, ok && st === "ok");
    });
  }
  const out: SourceState[] = [{ uri: s.uri, ok: ok && s.live !== false }];
  // Members that are sources themselves (the host's VMs, `host:?pid=N`), not files (a path).
  if (ok) for (const m of s.members ?? []) if (m.state !== "ok" && !m.uri.startsWith("/")) out.push({ uri: m.uri, ok: false });
  return out;
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
    let text = "";
    const name = "statsfs_exporter_source_up";
    const help = "1 when the source's last poll succeeded, 0 when it failed (its statistics are then left out)";
    text += om ? `# TYPE ${name} gauge\n# HELP ${name} ${escapeHelp(help, true)}\n` : `# HELP ${name} ${help}\n# TYPE ${name} gauge\n`;
    for (const s of gen.states) text += `${name}{source="${escapeLabelValue(s.uri)}"} ${s.ok ? 1 : 0}\n`;
    return Buffer.concat([body, Buffer.from(om ? `${text}# EOF\n` : text)]);
  }
}
