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
 *
 * Sources are polled through the process's one {@link Polled} of each (providers/poll), under
 * {@link VIEW_DEADLINE_MS} like the QMP server's: a scrape and a QMP query arriving together
 * share one poll, and a source still polling at the deadline is left out of that generation
 * (stale). Each generation keeps every state with its reason ({@link Scraper.states}).
 *
 * A source made of members (the host's VMs, `shm:`'s or a directory's files) adds one
 * `statsfs_exporter_source_members{source,state}` count per state and names at most
 * {@link MEMBER_EXAMPLES} members that are not ok (`statsfs_exporter_source_member_up{source,member} 0`):
 * a directory of 20,000 bad files costs a few lines per scrape, not one per file.
 */
import { constants, gzip, gzipSync } from "node:zlib";
import type { StatsFile } from "../../model/stats-file.js";
import { pollAll, polled, VIEW_DEADLINE_MS } from "../../providers/poll.js";
import type { MemberStatus, StatsSource } from "../../providers/source.js";
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

/** What one generation found about the members of a source made of members. */
interface MembersSummary {
  readonly uri: string;
  /** Members by state. */
  readonly counts: Readonly<Record<(typeof MEMBER_STATES)[number], number>>;
  /** The first {@link MEMBER_EXAMPLES} members that are not ok. */
  readonly examples: readonly string[];
}

function summaryOf(s: StatsSource): MembersSummary | undefined {
  if (!s.members) return undefined;
  const counts = { ok: 0, stale: 0, failed: 0, gone: 0 };
  const examples: string[] = [];
  for (const m of s.members) {
    counts[m.state]++;
    if (m.state !== "ok" && examples.length < MEMBER_EXAMPLES) examples.push(m.uri);
  }
  return { uri: s.uri, counts, examples };
}

class Generation {
  settled = false;
  readonly done: Promise<void>;
  files: StatsFile[] = [];
  /** Each source's state, then its members that are not ok, with their reasons. */
  states: MemberStatus[] = [];
  /** Members by state of each source made of members whose poll succeeded. */
  readonly members: MembersSummary[] = [];
  readonly bodies = new Map<string, Promise<Buffer>>();

  constructor(sources: readonly StatsSource[], timeoutMs: number) {
    this.done = this.#poll(sources, timeoutMs).finally(() => {
      this.settled = true;
    });
  }

  async #poll(sources: readonly StatsSource[], timeoutMs: number): Promise<void> {
    const members = sources.map(polled);
    await pollAll(members, timeoutMs);
    // Plain loops: Array#flatMap costs ~0.1 ms per 500 files, a tenth of a scrape's rendering.
    const states: MemberStatus[] = [];
    const files: StatsFile[] = [];
    for (let i = 0; i < sources.length; i++) {
      const s = sources[i] as StatsSource;
      const m = members[i] as (typeof members)[number];
      for (const st of sourceStates(s, m.status(s.uri), this.members)) states.push(st);
      if (m.state === "ok") for (const f of s.files) files.push(f);
    }
    this.states = states;
    this.files = files;
  }
}

/** The members of a union, or undefined. */
function unionMembers(s: StatsSource): readonly StatsSource[] | undefined {
  return (s as { sources?: readonly StatsSource[] }).sources;
}

/**
 * `up` lines of a source with its poll's status: one per source or union member — never per
 * file or VM (those are summarised into `summaries`). A source that answers but names nothing
 * running (`live === false`) is down.
 */
function sourceStates(s: StatsSource, st: MemberStatus, summaries: MembersSummary[]): MemberStatus[] {
  const union = unionMembers(s);
  if (union) {
    const status = new Map((s.members ?? []).map((m) => [m.uri, m]));
    return union.flatMap((m) =>
      sourceStates(
        m,
        st.state === "ok" ? (status.get(m.uri) ?? { uri: m.uri, state: "failed", reason: "no status" }) : { ...st, uri: m.uri },
        summaries,
      ),
    );
  }
  if (st.state !== "ok") return [{ ...st, uri: s.uri }];
  const summary = summaryOf(s);
  if (summary) summaries.push(summary);
  return [s.live === false ? { uri: s.uri, state: "failed", reason: "nothing running" } : { ...st, uri: s.uri }];
}

/** Shared polls and rendered bodies for an exporter's sources. */
export class Scraper {
  readonly #sources: readonly StatsSource[];
  readonly #exposition: Exposition;
  #gen: Generation | undefined;
  /** Polls started (for tests and the exporter's own statistics). */
  polls = 0;

  readonly #timeoutMs: number;

  /** `timeoutMs`: how long a poll waits for slow sources (default the QMP server's too). */
  constructor(sources: readonly StatsSource[], options: PlanOptions = {}, timeoutMs = VIEW_DEADLINE_MS) {
    this.#sources = sources;
    this.#timeoutMs = timeoutMs;
    this.#exposition = new Exposition(options);
  }

  /** The states of the last generation's sources (and their members not ok), with reasons. */
  get states(): readonly MemberStatus[] {
    return this.#gen?.states ?? [];
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
      const plain = gen.bodies.get(`${format}:false`);
      if (!gzipped) body = Promise.resolve(this.render(gen, format, false));
      else if (plain) body = plain.then(compress);
      else {
        // Rendered into the exposition's reused buffer and compressed before anything else
        // renders (inline), or copied first for the thread pool: no plain body is kept.
        const text = this.render(gen, format, true);
        body = compress(text.length <= GZIP_INLINE ? text : Buffer.from(text));
      }
      gen.bodies.set(key, body);
    }
    return body;
  }

  /** The generation's exposition with the exporter's own lines; `scratch`: in the reused buffer. */
  private render(gen: Generation, format: ExpositionFormat, scratch: boolean): Buffer {
    const om = format === "openmetrics";
    const header = (name: string, help: string) =>
      om
        ? `# TYPE ${name} gauge\n# HELP ${name} ${escapeHelp(help, true)}\n`
        : `# HELP ${name} ${escapeHelp(help, false)}\n# TYPE ${name} gauge\n`;
    const src = (s: { readonly uri: string }) => `source="${escapeLabelValue(s.uri)}"`;
    let text = header(
      "statsfs_exporter_source_up",
      "1 when the source's last poll succeeded, 0 when it failed (its statistics are then left out)",
    );
    for (const s of gen.states) text += `statsfs_exporter_source_up{${src(s)}} ${s.state === "ok" ? 1 : 0}\n`;
    const made = gen.members;
    if (made.length > 0) {
      text += header(
        "statsfs_exporter_source_members",
        "Members of a source made of members (a union, host VMs, a directory's files) by state",
      );
      for (const s of made)
        for (const st of MEMBER_STATES) text += `statsfs_exporter_source_members{${src(s)},state="${st}"} ${s.counts[st]}\n`;
      const shown = made.filter((s) => s.examples.length > 0);
      if (shown.length > 0) {
        text += header(
          "statsfs_exporter_source_member_up",
          `0 for a member that is not ok (the first ${MEMBER_EXAMPLES} of each source; the rest are counted)`,
        );
        for (const s of shown)
          for (const m of s.examples) text += `statsfs_exporter_source_member_up{${src(s)},member="${escapeLabelValue(m)}"} 0\n`;
      }
    }
    return scratch ? this.#exposition.renderScratch(gen.files, format, text) : this.#exposition.renderBuffer(gen.files, format, text);
  }
}
