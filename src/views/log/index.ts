/**
 * @module views/log
 * `log`'s formats, each a pure function of a sample:
 *
 * - **plain** (kvm_stat -l): a banner of the column names, each followed by one space, then per
 *   sample `YYYY-mm-dd HH:MM:SS` (local time) and one ` %9d` delta per column; the banner
 *   is repeated every 20 printed lines.
 * - **csv** (kvm_stat -l -c): `timestamp,name1,name2,…` then `YYYY-mm-dd HH:MM:SS,d1,d2,…`;
 *   on stdout the header repeats every 20 lines as kvm_stat's does, in a file (-L) it is
 *   written only when the file is empty.
 * - **jsonl**: one JSON object per sample (see {@link jsonlRecord}).
 *
 * Columns are the sorted names of the selected statistics, each the sum over the selected
 * files of its change since the previous sample (counters, histogram sample counts; instant
 * and peak values change either way, so their deltas are signed). A file new in a sample adds
 * 0 (it has no previous values). When the set of columns changes (a new VM or producer with
 * other statistics) plain and csv start a new block: banner (csv: header line, in a file too)
 * and the line count restarts; the JSONL record simply carries the new names.
 */

import { type Amount, amountOf, amountText, counted, isZero, minus, plus } from "../../model/amount.js";
import type { StatDescriptor } from "../../model/descriptor.js";
import { StatType, StatUnit } from "../../model/flags.js";
import type { StatsSchema } from "../../model/stats-file.js";
import { isU64 } from "../../model/value.js";
import { viewPlan } from "../../sample/producer.js";
import type { Sample, SampledFile } from "../../sample/sampler.js";
import type { Selector } from "../../sample/select.js";

/** Which files and statistics a log shows. */
export interface LogFilter {
  readonly selector?: Selector | undefined;
  /** kvm_stat's -f (anchored at the start of a name). */
  readonly fields?: RegExp | undefined;
  /** kvm_stat's -p / -g: only files with this `pid` label. */
  readonly pid?: string | undefined;
  /** Statistics left out (kvm_stat's field set: {@link KVMSTAT_EXEMPT}). */
  readonly exempt?: ReadonlySet<string> | undefined;
}

/**
 * The time totals kvm_stat leaves out of its fields (its debugfs provider's exempt list: they
 * "mess up" event counts); their histograms (`*_hist`) stay.
 */
export const KVMSTAT_EXEMPT: ReadonlySet<string> = new Set(["halt_poll_fail_ns", "halt_poll_success_ns", "halt_wait_ns"]);

function fileWanted(f: SampledFile, o: LogFilter): boolean {
  if (o.selector && !o.selector.file(f.file)) return false;
  return o.pid === undefined || f.file.identity.labels.pid === o.pid;
}

function statWanted(name: string, o: LogFilter): boolean {
  if (o.exempt?.has(name)) return false;
  if (o.selector && !o.selector.name(name)) return false;
  return !o.fields || o.fields.test(name);
}

const isGauge = (d: StatDescriptor) => d.type === StatType.Instant || d.type === StatType.Peak || d.unit === StatUnit.Boolean;

/** A statistic's change since the previous sample (counters reset → the new value; gauges signed). */
export function statDelta(d: StatDescriptor, f: SampledFile): Amount | undefined {
  if (!f.prev) return undefined;
  const now = amountOf(d, f.data);
  const before = amountOf(d, f.prev);
  return isGauge(d) ? minus(now, before) : counted(now, before);
}

/** One column of a log line: a statistic's summed change and total, exact (model/amount). */
export interface FieldSum {
  delta: Amount;
  total: Amount;
}

/**
 * Summed deltas and totals per statistic name over the selected files, each value counted once
 * (sample/producer: a producer's merged files, not its per-process files; a subordinate's
 * value inside its parent's aggregate counts there; companions such as `v.max` are not summed).
 */
export function fieldSums(sample: Sample, o: LogFilter = {}): Map<string, FieldSum> {
  const out = new Map<string, FieldSum>();
  const plan = viewPlan(sample.files.map((f) => f.file));
  const shown = new Set(plan.shown);
  for (const f of sample.files) {
    if (!shown.has(f.file) || !fileWanted(f, o)) continue;
    for (const d of f.file.schema.descriptors) {
      if (!statWanted(d.name, o) || !plan.tallied(f.file, d.name)) continue;
      let e = out.get(d.name);
      if (!e) {
        e = { delta: 0n, total: 0n };
        out.set(d.name, e);
      }
      e.delta = plus(e.delta, statDelta(d, f) ?? 0n);
      e.total = plus(e.total, amountOf(d, f.data));
    }
  }
  return out;
}

/** Sorted column names (Python's sorted(): by code point). */
export function columnsOf(sums: Map<string, unknown>): string[] {
  return [...sums.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

const two = (n: number) => (n < 10 ? `0${n}` : String(n));

/** `YYYY-mm-dd HH:MM:SS` in local time, as kvm_stat's datetime.now().strftime. */
export function logTimestamp(ms: number): string {
  const t = new Date(ms);
  return `${t.getFullYear()}-${two(t.getMonth() + 1)}-${two(t.getDate())} ${two(t.getHours())}:${two(t.getMinutes())}:${two(t.getSeconds())}`;
}

/** `%9d`: right-aligned in 9 columns, longer numbers kept whole (a double: its shortest exact digits). */
const pad9 = (v: Amount) => {
  const s = amountText(v);
  return s.length >= 9 ? s : " ".repeat(9 - s.length) + s;
};

/** A log format: its banner for some columns and the line of one sample. */
export interface LogFormat {
  readonly name: "plain" | "csv";
  banner(columns: readonly string[]): string;
  line(time: string, columns: readonly string[], sums: Map<string, { delta: Amount }>): string;
}

export const PLAIN: LogFormat = {
  name: "plain",
  banner: (columns) => columns.map((c) => `${c} `).join(""),
  line: (time, columns, sums) => time + columns.map((c) => ` ${pad9(sums.get(c)?.delta ?? 0n)}`).join(""),
};

export const CSV: LogFormat = {
  name: "csv",
  banner: (columns) => `timestamp${columns.map((c) => `,${c}`).join("")}`,
  line: (time, columns, sums) => time + columns.map((c) => `,${amountText(sums.get(c)?.delta ?? 0n)}`).join(""),
};

/** Where log lines go: stdout, or a file that can be reopened (SIGHUP) and asked if empty. */
export interface LogSink {
  write(text: string): void;
  /** True for a file (-L): a csv header is then written only to an empty file, never repeated. */
  readonly isFile: boolean;
  /** The file's size now (0 = empty); stdout: 0. */
  size(): number;
}

/** The banner rules of kvm_stat's log loop, plus a new block when the columns change. */
export class LogWriter {
  readonly #format: LogFormat;
  readonly #skipZero: boolean;
  #sink: LogSink;
  #columns: string[] | undefined;
  #line = 0;
  #bannerPrinted = false;
  static readonly REPEAT = 20;

  constructor(format: LogFormat, sink: LogSink, skipZero: boolean) {
    this.#format = format;
    this.#sink = sink;
    this.#skipZero = skipZero;
  }

  #banner(force: boolean): void {
    if (!this.#columns) return;
    // In a file, a csv header goes only into an empty file (unless the columns changed).
    if (!force && this.#sink.isFile && this.#format.name === "csv" && this.#sink.size() !== 0) return;
    this.#sink.write(`${this.#format.banner(this.#columns)}\n`);
  }

  /** Sets the columns (from the first read); writes the first banner. */
  start(columns: readonly string[]): void {
    this.#columns = [...columns];
    this.#banner(false);
    this.#bannerPrinted = true;
    this.#line = 0;
  }

  /** After SIGHUP: a new sink (the reopened file); banner rules start again. */
  reopen(sink: LogSink): void {
    this.#sink = sink;
    this.#bannerPrinted = true;
    this.#line = 0;
    this.#banner(false);
  }

  /** One sample's line; returns whether it was written (not skipped by -z). */
  sample(wall: number, sums: Map<string, { delta: Amount }>, columns: readonly string[]): boolean {
    if (!this.#columns || columns.join("\0") !== this.#columns.join("\0")) {
      const first = this.#columns === undefined;
      this.#columns = [...columns];
      this.#banner(!first);
      this.#bannerPrinted = true;
      this.#line = 0;
    }
    const cols = this.#columns;
    if (this.#line % LogWriter.REPEAT === 0 && !this.#bannerPrinted && !(this.#sink.isFile && this.#format.name === "csv")) {
      this.#banner(false);
      this.#bannerPrinted = true;
    }
    if (this.#skipZero && !cols.some((c) => !isZero(sums.get(c)?.delta ?? 0n))) return false;
    this.#sink.write(`${this.#format.line(logTimestamp(wall), cols, sums)}\n`);
    this.#line++;
    this.#bannerPrinted = false;
    return true;
  }
}

/** JSON text of each schema's names, made once per schema. */
const quoted = new WeakMap<StatsSchema, string[]>();

function quotedNames(schema: StatsSchema): string[] {
  let q = quoted.get(schema);
  if (!q) {
    q = schema.descriptors.map((d) => JSON.stringify(d.name));
    quoted.set(schema, q);
  }
  return q;
}

/** Per schema, what JSONL reads of each statistic: its `"name":` text, index, size, kind. */
interface PlanEntry {
  readonly d: StatDescriptor;
  readonly key: string;
  readonly at: number;
  readonly size: number;
  readonly gauge: boolean;
  readonly bool: boolean;
  /** u64 words (the kernel's encoding, histogram counts): read by the fast paths below. */
  readonly u64: boolean;
}

const plans = new WeakMap<StatsSchema, PlanEntry[]>();

function planOf(schema: StatsSchema): PlanEntry[] {
  let p = plans.get(schema);
  if (!p) {
    const names = quotedNames(schema);
    p = schema.descriptors.map((d, i) => ({
      d,
      key: `${names[i]}:`,
      at: d.offset >>> 3,
      size: d.size,
      gauge: isGauge(d),
      bool: d.unit === StatUnit.Boolean,
      u64: isU64(d),
    }));
    plans.set(schema, p);
  }
  return p;
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** Decimal digits of a bigint (through a double only where that is exact: faster). */
function digits(v: bigint): string {
  return v <= SAFE && v >= -SAFE ? String(Number(v)) : v.toString();
}

/** An amount as JSON: a number with every digit; a double that is not finite as the string "NaN", "+Inf" or "-Inf". */
function jsonAmount(a: Amount): string {
  const t = amountText(a);
  return typeof a === "number" && !Number.isFinite(a) ? `"${t}"` : t;
}

/** JSON text of each file's id and labels, made once per file identity. */
const heads = new WeakMap<object, string>();

function fileHead(f: SampledFile): string {
  const id = f.file.identity;
  let h = heads.get(id);
  if (h === undefined) {
    h = `{"id":${JSON.stringify(id.id)},"labels":${JSON.stringify(id.labels)}`;
    heads.set(id, h);
  }
  return h;
}

/**
 * One JSONL record: `{"time","seconds","files":[{"id","labels","delta":{…}|null,"total":{…}}],
 * "gone":[…],"members":[…]}`. `time` is ISO 8601 UTC with milliseconds; `total` is each
 * statistic's own value as `read` shows it (histograms: their sample count; booleans 0/1);
 * `delta` its change since the previous record (null for a file new in this record). Every
 * u64 is written as a JSON number with all its digits (never rounded through a double): use
 * a lossless parser (e.g. lossless-json, Python's json) for values above 2^53. `gone` lists
 * files that went away since the previous record (`id`, `labels`, `at`), `members` the
 * members of a union that are not ok (`uri`, `state`, `reason`); both only when non-empty.
 * Returns undefined when `skipZero` and every delta is 0.
 */
export function jsonlRecord(sample: Sample, o: LogFilter = {}, skipZero = false): string | undefined {
  let out = `{"time":"${new Date(sample.wall).toISOString()}","seconds":${Number(sample.seconds.toFixed(6))},"files":[`;
  let firstFile = true;
  let anyDelta = false;
  const filtered = o.fields !== undefined || (o.selector !== undefined && !o.selector.allNames);
  for (const f of sample.files) {
    if (!fileWanted(f, o)) continue;
    const plan = planOf(f.file.schema);
    const data = f.data;
    const prev = f.prev;
    // 32-bit halves: values below 2^53 are read as exact doubles, without a BigInt each.
    const w = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
    const pw = prev ? new Uint32Array(prev.buffer, prev.byteOffset, prev.length * 2) : undefined;
    let total = "";
    let delta = "";
    for (const p of plan) {
      if (filtered && !statWanted(p.d.name, o)) continue;
      const sep = total === "" ? p.key : `,${p.key}`;
      if (!p.u64 && !p.bool) {
        // s64 and f64: decoded by their encoding, exact (a double as its shortest digits).
        const now = amountOf(p.d, data);
        total += sep + jsonAmount(now);
        if (prev) {
          const before = amountOf(p.d, prev);
          const dv = p.gauge ? minus(now, before) : counted(now, before);
          if (!isZero(dv)) anyDelta = true;
          delta += sep + jsonAmount(dv);
        }
        continue;
      }
      if (p.size === 1) {
        const hi = w[2 * p.at + 1] as number;
        const phi = pw ? (pw[2 * p.at + 1] as number) : 0;
        if (hi < 0x200000 && phi < 0x200000) {
          let now = hi * 4294967296 + (w[2 * p.at] as number);
          let before = pw ? phi * 4294967296 + (pw[2 * p.at] as number) : 0;
          if (p.bool) {
            now = now !== 0 ? 1 : 0;
            before = before !== 0 ? 1 : 0;
          }
          total += sep + String(now);
          if (pw) {
            const dv = p.gauge || now >= before ? now - before : now;
            if (dv !== 0) anyDelta = true;
            delta += sep + String(dv);
          }
          continue;
        }
      }
      let now = p.size === 1 ? (data[p.at] ?? 0n) : (amountOf(p.d, data) as bigint);
      let before = prev ? (p.size === 1 ? (prev[p.at] ?? 0n) : (amountOf(p.d, prev) as bigint)) : 0n;
      if (p.bool) {
        now = now !== 0n ? 1n : 0n;
        before = before !== 0n ? 1n : 0n;
      }
      total += sep + digits(now);
      if (prev) {
        const dv = p.gauge || now >= before ? now - before : now;
        if (dv !== 0n) anyDelta = true;
        delta += sep + digits(dv);
      }
    }
    out += `${firstFile ? "" : ","}${fileHead(f)},"delta":${prev ? `{${delta}}` : "null"},"total":{${total}}}`;
    firstFile = false;
  }
  out += "]";
  if (sample.removed.length > 0) {
    out += `,"gone":[${sample.removed
      .map(
        (g) =>
          `{"id":${JSON.stringify(g.file.identity.id)},"labels":${JSON.stringify(g.file.identity.labels)},"at":"${new Date(g.goneAt).toISOString()}"}`,
      )
      .join(",")}]`;
  }
  const bad = sample.members.filter((m) => m.state !== "ok");
  if (bad.length > 0) out += `,"members":${JSON.stringify(bad)}`;
  if (skipZero && !anyDelta) return undefined;
  return `${out}}`;
}
