/**
 * @module views/openmetrics/render
 * The exposition text of a plan's families over the files' current values, in Prometheus text
 * format 0.0.4 or OpenMetrics 1.0.0 (which ends with `# EOF`). Values are read from the data
 * words at render time; nothing is allocated per series but the output text.
 */
import type { StatsFile } from "../../model/stats-file.js";
import { buildPlan, type Family, type PlanOptions } from "./plan.js";

/** The two exposition formats. */
export type ExpositionFormat = "text" | "openmetrics";

/** Content-Type of each format. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

/** Renders families (values read now). */
export function renderFamilies(families: readonly Family[], format: ExpositionFormat): string {
  const om = format === "openmetrics";
  let out = "";
  for (const fam of families) {
    out += om ? fam.omHeader : fam.textHeader;
    for (const s of fam.series) {
      const data = s.file.data;
      if (s.kind === "scalar") {
        out += `${s.prefix}${s.fmt(data[s.word] ?? 0n)}\n`;
        continue;
      }
      let cum = 0n;
      const last = s.size - 1;
      for (let i = 0; i < last; i++) {
        cum += data[s.word + i] ?? 0n;
        out += `${s.buckets[i]}${cum}\n`;
      }
      cum += data[s.word + last] ?? 0n;
      out += `${s.buckets[last]}${cum}\n`;
      if (s.sum) {
        out += `${s.count}${cum}\n${s.sum.prefix}${s.sum.fmt(data[s.sum.word] ?? 0n)}\n`;
      } else if (!om) out += `${s.count}${cum}\n`;
    }
  }
  return om ? `${out}# EOF\n` : out;
}

/** The exposition of `files` (plan built for this call). */
export function renderExposition(files: readonly StatsFile[], format: ExpositionFormat, options?: PlanOptions): string {
  return renderFamilies(buildPlan(files, options), format);
}

/**
 * An exposition that keeps its plan while the list of files stays the same (by identity of
 * each file object), so a scrape only formats values.
 */
export class Exposition {
  readonly #options: PlanOptions;
  #files: readonly StatsFile[] = [];
  #families: Family[] = [];

  constructor(options: PlanOptions = {}) {
    this.#options = options;
  }

  /** The families for `files`, rebuilt only when the list changed. */
  families(files: readonly StatsFile[]): readonly Family[] {
    const prev = this.#files;
    let same = prev.length === files.length && prev.length > 0;
    for (let i = 0; same && i < files.length; i++) same = prev[i] === files[i];
    if (!same) {
      this.#families = buildPlan(files, this.#options);
      this.#files = [...files];
    }
    return this.#families;
  }

  /** Renders `files` in `format`. */
  render(files: readonly StatsFile[], format: ExpositionFormat): string {
    return renderFamilies(this.families(files), format);
  }
}
