/**
 * @module sample/select
 * The one selection every command that shows values shares (`read`, `info`, `top`, `log`,
 * `schema`): statistics by `--names` (exact names, globs such as `halt_*`, or `/regex/`),
 * files by `--target`, `--provider` and `--vcpu`. A selection that names something the source
 * does not have is a mistake, said in one line with the closest names that do exist — never
 * an empty result that looks like a quiet source.
 */
import { UsageError } from "../errors.js";
import { editDistance } from "../model/edit-distance.js";
import { globToRegExp, isGlob } from "../model/glob.js";
import { printable } from "../model/printable.js";
import type { StatsFile } from "../model/stats-file.js";

/** What the user asked to see. */
export interface Selection {
  /** Name patterns: exact, glob (`*`, `?`, `[…]`) or `/regex/flags`; any match selects. */
  readonly names?: readonly string[] | undefined;
  readonly target?: string | undefined;
  readonly providers?: readonly string[] | undefined;
  /** vCPU indexes (`0`, `2-5`); selects vCPU files with those indexes. */
  readonly vcpus?: readonly string[] | undefined;
}

/** One compiled name pattern. */
interface Pattern {
  readonly text: string;
  readonly exact: boolean;
  readonly test: (name: string) => boolean;
}

/** Compiles `--names` patterns; a bad regex is a usage error. */
export function compilePatterns(patterns: readonly string[]): Pattern[] {
  return patterns.map((text) => {
    const rx = /^\/(.*)\/([a-z]*)$/s.exec(text);
    if (rx) {
      try {
        const re = new RegExp(rx[1] as string, (rx[2] as string).replace(/[gy]/g, ""));
        return { text, exact: false, test: (n: string) => re.test(n) };
      } catch (e) {
        throw new UsageError(`--names ${printable(text)}: not a regular expression (${printable((e as Error).message)})`);
      }
    }
    if (isGlob(text)) {
      const re = globToRegExp(text);
      return { text, exact: false, test: (n: string) => re.test(n) };
    }
    return { text, exact: true, test: (n: string) => n === text };
  });
}

/** The closest of `known` to `word` (at most three, nearest first). */
export function closest(word: string, known: Iterable<string>): string[] {
  const scored = [...new Set(known)]
    .map((k) => ({ k, d: editDistance(word, k) - (k.includes(word) || word.includes(k) ? 2 : 0) }))
    .filter((x) => x.d <= Math.max(2, Math.floor(word.length / 2)))
    .sort((a, b) => a.d - b.d || a.k.localeCompare(b.k));
  return scored.slice(0, 3).map((x) => x.k);
}

function unknown(what: string, word: string, known: Iterable<string>): UsageError {
  const near = closest(word, known);
  const hint = near.length ? `; did you mean ${near.map((n) => `"${printable(n)}"`).join(", ")}?` : "";
  return new UsageError(`unknown ${what} "${printable(word)}"${hint}`);
}

function vcpuSet(specs: readonly string[]): Set<number> {
  const out = new Set<number>();
  for (const s of specs) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(s);
    if (!m) throw new UsageError(`--vcpu ${printable(s)}: expected a vCPU index or a range such as 2-5`);
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65536) throw new UsageError(`--vcpu ${printable(s)}: not a valid range`);
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

/** A checked, compiled selection: what to keep of each file. */
export interface Selector {
  /** Whether a file is selected (target, provider, vCPU). */
  file(f: StatsFile): boolean;
  /** Whether a statistic name is selected. */
  name(n: string): boolean;
  /** True when no name pattern was given. */
  readonly allNames: boolean;
}

/** Compiles a selection without checking it against any files. */
export function selector(sel: Selection): Selector {
  const patterns = sel.names && sel.names.length > 0 ? compilePatterns(sel.names) : undefined;
  const vcpus = sel.vcpus && sel.vcpus.length > 0 ? vcpuSet(sel.vcpus) : undefined;
  const providers = sel.providers && sel.providers.length > 0 ? new Set(sel.providers) : undefined;
  return {
    allNames: patterns === undefined,
    name: (n) => patterns === undefined || patterns.some((p) => p.test(n)),
    file: (f) => {
      const { target, provider, labels } = f.identity;
      if (sel.target !== undefined && target !== sel.target) return false;
      if (providers && !providers.has(provider)) return false;
      if (vcpus) return labels.vcpu !== undefined && vcpus.has(Number(labels.vcpu));
      return true;
    },
  };
}

/**
 * Compiles `sel` and checks it against `files`: an unknown target or provider, an exact name
 * no selected file has, or a pattern that matches nothing, is a UsageError naming the closest
 * existing ones. With no files at all nothing can be checked and nothing is refused.
 */
export function checkedSelector(sel: Selection, files: readonly StatsFile[]): Selector {
  const s = selector(sel);
  if (files.length === 0) return s;
  if (sel.target !== undefined && !files.some((f) => f.identity.target === sel.target)) {
    throw unknown("target", sel.target, new Set(files.map((f) => f.identity.target)));
  }
  for (const p of sel.providers ?? []) {
    if (!files.some((f) => f.identity.provider === p)) throw unknown("provider", p, new Set(files.map((f) => f.identity.provider)));
  }
  const chosen = files.filter((f) => s.file(f));
  if (sel.vcpus && sel.vcpus.length > 0 && chosen.length === 0) {
    const have = files.flatMap((f) => (f.identity.labels.vcpu === undefined ? [] : [f.identity.labels.vcpu]));
    throw new UsageError(
      `--vcpu ${printable(sel.vcpus.join(","))}: no such vCPU${have.length ? ` (vCPUs: ${summarize(have)})` : " (the source has no vCPU files)"}`,
    );
  }
  const names = new Set(chosen.flatMap((f) => f.schema.descriptors.map((d) => d.name)));
  for (const p of compilePatterns(sel.names ?? [])) {
    if (![...names].some((n) => p.test(n))) throw unknown("statistic", p.text, names);
  }
  return s;
}

function summarize(vcpus: readonly string[]): string {
  const n = [...new Set(vcpus.map(Number))].sort((a, b) => a - b);
  return n.length > 8 ? `${n[0]}-${n[n.length - 1]}` : n.join(",");
}
