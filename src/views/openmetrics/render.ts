/**
 * @module views/openmetrics/render
 * The exposition text of a plan's families over the files' current values, in Prometheus text
 * format 0.0.4 or OpenMetrics 1.0.0 (which ends with `# EOF`). Values are read from the data
 * words at render time and written straight into one Buffer: series prefixes are encoded once
 * per plan, integers below 2^53 and u64s scaled by 10^−k (`_ns` as seconds) below 2^52 are
 * printed digit by digit from the data's u32 words (no bigint, no string), anything else
 * through its exact text.
 */
import type { StatsIdentity } from "../../model/identity.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import { buildPlan, type Family, type PlanOptions } from "./plan.js";

/** The two exposition formats. */
export type ExpositionFormat = "text" | "openmetrics";

/** Content-Type of each format. */
export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: "text/plain; version=0.0.4; charset=utf-8",
  openmetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8",
};

const EOF_LINE = Buffer.from("# EOF\n");
const TWO53 = 2n ** 53n;

/**
 * Prefix bytes of a plan, kept in one arena; each piece is a view of it made once per plan (a
 * scrape copies views with `set`, which allocates nothing, where `Buffer#copy` makes one per call).
 */
interface Encoded {
  /** Per family: its header (text 0.0.4), then per series its pieces (see below). */
  readonly text: Uint8Array[][];
  /** The same with the OpenMetrics header. */
  readonly om: Uint8Array[][];
  readonly families: readonly Family[];
  /** How many scalar series the families hold (the size of {@link Out.placed}). */
  readonly scalars: number;
}

function encode(families: readonly Family[]): Encoded {
  const strings: string[] = [];
  const text: number[][] = [];
  const om: number[][] = [];
  const put = (s: string): number => strings.push(s) - 1;
  for (const fam of families) {
    const th = put(fam.textHeader);
    const oh = put(fam.omHeader);
    // Per series: scalar → [prefix]; histogram → [bucket prefixes…, count, sum?].
    const pieces: number[] = [];
    for (const s of fam.series) {
      if (s.kind === "scalar") pieces.push(put(s.prefix));
      else {
        for (const b of s.buckets) pieces.push(put(b));
        pieces.push(put(s.count));
        if (s.sum) pieces.push(put(s.sum.prefix));
      }
    }
    text.push([th, ...pieces]);
    om.push([oh, ...pieces]);
  }
  const bytes = strings.map((s) => Buffer.from(s, "utf8"));
  const arena = Buffer.concat(bytes);
  const views: Uint8Array[] = [];
  let at = 0;
  for (const b of bytes) {
    views.push(new Uint8Array(arena.buffer, arena.byteOffset + at, b.length));
    at += b.length;
  }
  const viewsOf = (ids: number[]) => ids.map((i) => views[i] as Uint8Array);
  let scalars = 0;
  for (const fam of families) for (const s of fam.series) if (s.kind === "scalar") scalars++;
  return { text: text.map(viewsOf), om: om.map(viewsOf), families, scalars };
}

/** A growing output buffer. */
class Out {
  buf: Buffer;
  pos = 0;
  /**
   * Kept by a reused buffer: where the last render into it put each scalar series' prefix
   * through the integer fast path (-1: elsewhere or not written), for the plan `placedFor`.
   */
  placed: Int32Array | undefined;
  placedFor: Encoded | undefined;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(Math.max(4096, size));
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }
  copy(piece: Uint8Array): void {
    const n = piece.length;
    this.ensure(n + 24);
    this.buf.set(piece, this.pos);
    this.pos += n;
  }
  ascii(s: string): void {
    this.ensure(s.length + 1);
    this.pos += this.buf.write(s, this.pos, "latin1");
  }
  utf8(s: string): void {
    this.ensure(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos, "utf8");
  }
  /** A u64 in decimal and a newline. */
  u64(v: bigint): void {
    if (v >= TWO53) {
      this.ascii(v.toString());
      this.buf[this.pos++] = 10;
      return;
    }
    this.num(Number(v));
  }

  /** A non-negative integer below 2^53 in decimal and a newline. */
  num(x: number): void {
    this.pos = writeDigits(this.buf, this.pos, x);
  }
}

/**
 * Writes `x` (a non-negative integer below 2^53) in decimal and a newline at `at` (room for 17
 * bytes is the caller's); returns the position after the newline.
 */
function writeDigits(buf: Buffer, at: number, x: number): number {
  const p = writeInt(buf, at, x);
  buf[p] = 10;
  return p + 1;
}

/** Writes `x` (a non-negative integer below 2^53) in decimal at `at`; returns the position after it. */
function writeInt(buf: Buffer, at: number, x: number): number {
  let n = x;
  let p = at;
  // n / 10 is within half an ulp: below 2^53 the floor is the exact quotient.
  do {
    const q = Math.floor(n / 10);
    buf[p++] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  for (let i = at, j = p - 1; i < j; i++, j--) {
    const t = buf[i] as number;
    buf[i] = buf[j] as number;
    buf[j] = t;
  }
  return p;
}

const POW10 = Array.from({ length: 16 }, (_, k) => 10 ** k);

/**
 * Writes `x` × 10^−`k` exactly (x an integer below 2^52, 1 ≤ k ≤ 15) as the shortest decimal, as
 * decimalText does, and a newline (room for 19 bytes is the caller's), writing no byte past
 * the newline; returns the position after it. Integer arithmetic on doubles, all below 2^53:
 * the quotient's floor is corrected by its remainder, so it is exact.
 */
function writeScaled(buf: Buffer, at: number, x: number, k: number): number {
  const unit = POW10[k] as number;
  let q = Math.floor(x / unit);
  let r = x - q * unit;
  if (r < 0) {
    q -= 1;
    r += unit;
  } else if (r >= unit) {
    q += 1;
    r -= unit;
  }
  let p = writeInt(buf, at, q);
  if (r !== 0) {
    // The fraction's digits without its trailing zeros, so that nothing is written past the
    // end (a reused buffer keeps what follows: see renderEncoded).
    let n = k;
    while (r % 10 === 0) {
      r /= 10;
      n--;
    }
    buf[p] = 46; // '.'
    const end = p + 1 + n;
    for (let i = end - 1; i > p; i--) {
      const t = Math.floor(r / 10);
      buf[i] = 48 + (r - t * 10);
      r = t;
    }
    p = end;
  }
  buf[p] = 10;
  return p + 1;
}

const u32Views = new WeakMap<BigUint64Array, Uint32Array>();

/** The data block as u32 words (low word first), so that reading a value allocates no BigInt. */
function u32Of(data: BigUint64Array): Uint32Array {
  let u = u32Views.get(data);
  if (!u) {
    u = new Uint32Array(data.buffer, data.byteOffset, data.length * 2);
    u32Views.set(data, u);
  }
  return u;
}

/**
 * Renders encoded families into `out` from its start, then `extra` (more exposition lines, before
 * OpenMetrics' `# EOF`); returns the bytes written (a view of `out`'s buffer).
 */
function renderEncoded(e: Encoded, format: ExpositionFormat, out: Out, extra = "", reuse = false): Buffer {
  const om = format === "openmetrics";
  out.pos = 0;
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  // Rendering again into the buffer of the last render of the same plan: a prefix that falls
  // where that render put it is still there (everything before it is rewritten in order, and
  // nothing after it has been touched since), so only its value is written. A buffer that
  // grows mid-render keeps only what came before: no prefix is taken as placed after that.
  let placed: Int32Array | undefined;
  if (reuse) {
    if (out.placedFor !== e || out.placed?.length !== e.scalars) {
      out.placed = new Int32Array(e.scalars).fill(-1);
      out.placedFor = e;
    }
    placed = out.placed;
  }
  const buf0 = out.buf;
  let si = -1;
  for (let f = 0; f < e.families.length; f++) {
    const fam = e.families[f] as Family;
    const r = (om ? e.om[f] : e.text[f]) as Uint8Array[];
    out.copy(r[0] as Uint8Array);
    let k = 1;
    for (const s of fam.series) {
      const data = s.file.data;
      // Where this scalar series' prefix was placed by the last render (-1 from now on, unless
      // the fast path below places it again).
      let was = -1;
      if (s.kind === "scalar" && placed) {
        si++;
        was = placed[si] as number;
        placed[si] = -1;
      }
      if (s.kind === "scalar" && s.own) {
        // A double parent's own part beside its label sets (shown once non-zero, as a u64's).
        const bits = s.own();
        if ((bits & 0x7fffffffffffffffn) !== 0n) {
          out.copy(r[k] as Uint8Array);
          out.ascii(s.fmt(bits));
          out.buf[out.pos++] = 10;
        }
        k += 1;
        continue;
      }
      if (s.kind === "scalar" && s.minus) {
        // A parent's own part: its value minus its label sets' (shown once used).
        let v = data[s.word] ?? 0n;
        for (const m of s.minus) v -= m.file.data[m.word] ?? 0n;
        v = BigInt.asUintN(64, v);
        if (v !== 0n) {
          out.copy(r[k] as Uint8Array);
          if (s.plain) out.u64(v);
          else {
            out.ascii(s.fmt(v));
            out.buf[out.pos++] = 10;
          }
        }
        k += 1;
        continue;
      }
      if (s.kind === "scalar") {
        const piece = r[k] as Uint8Array;
        k += 1;
        if ((s.plain || s.decimals > 0) && little) {
          // The common cases inline: the prefix, then the value below 2^53 (scaled: 2^52)
          // digit by digit, with no bigint and no string.
          let u = s.u32;
          if (s.u32of !== data || u === undefined) {
            u = u32Of(data);
            s.u32 = u;
            s.u32of = data;
          }
          const w = s.word * 2;
          const hi = u[w + 1] ?? 0;
          if (hi < (s.plain ? 0x200000 : 0x100000)) {
            if (out.pos + piece.length + 20 > out.buf.length) out.ensure(piece.length + 20);
            if (placed === undefined) out.buf.set(piece, out.pos);
            else {
              if (was !== out.pos || out.buf !== buf0) out.buf.set(piece, out.pos);
              placed[si] = out.pos;
            }
            const x = hi * 4294967296 + (u[w] ?? 0);
            const at = out.pos + piece.length;
            out.pos = s.plain ? writeDigits(out.buf, at, x) : writeScaled(out.buf, at, x, s.decimals);
            continue;
          }
        }
        out.copy(piece);
        const v = data[s.word] ?? 0n;
        if (s.plain) out.u64(v);
        else {
          out.ascii(s.fmt(v));
          out.buf[out.pos++] = 10;
        }
        continue;
      }
      let counts: bigint[] | undefined;
      if (s.minus) {
        counts = [];
        let any = false;
        for (let i = 0; i < s.size; i++) {
          let c = data[s.word + i] ?? 0n;
          for (const m of s.minus) c -= m.file.data[m.word + i] ?? 0n;
          c = BigInt.asUintN(64, c);
          if (c !== 0n) any = true;
          counts.push(c);
        }
        if (!any) {
          k += s.size + (s.sum ? 2 : 1);
          continue;
        }
      }
      let cum = 0n;
      for (let i = 0; i < s.size; i++) {
        cum += counts ? (counts[i] as bigint) : (data[s.word + i] ?? 0n);
        out.copy(r[k] as Uint8Array);
        k += 1;
        out.u64(cum);
      }
      if (s.sum) {
        out.copy(r[k] as Uint8Array);
        out.u64(cum);
        out.copy(r[k + 1] as Uint8Array);
        let sum = s.sum.own ? s.sum.own() : (data[s.sum.word] ?? 0n);
        if (s.sum.minus) {
          for (const m of s.sum.minus) sum -= m.file.data[m.word] ?? 0n;
          sum = BigInt.asUintN(64, sum);
        }
        out.ascii(s.sum.fmt(sum));
        out.buf[out.pos++] = 10;
        k += 2;
      } else {
        if (!om) {
          out.copy(r[k] as Uint8Array);
          out.u64(cum);
        }
        k += 1;
      }
    }
  }
  if (extra !== "") out.utf8(extra);
  if (om) out.copy(EOF_LINE);
  return out.buf.subarray(0, out.pos);
}

/** Renders families (values read now) as text. */
export function renderFamilies(families: readonly Family[], format: ExpositionFormat): string {
  return renderEncoded(encode(families), format, new Out(0)).toString("utf8");
}

/** The exposition of `files` (plan built for this call). */
export function renderExposition(files: readonly StatsFile[], format: ExpositionFormat, options?: PlanOptions): string {
  return renderFamilies(buildPlan(files, options), format);
}

/**
 * An exposition that keeps its plan (and the plan's encoded prefixes) while the files stay the
 * same, so a scrape only formats values. "The same" is checked per scrape on what the plan was
 * built from: each file object, its schema and its identity (a source may keep a file object
 * and give it a new schema — values added, offsets moved — or new labels: the plan is then
 * rebuilt, never applied to a layout it was not made for).
 */
export class Exposition {
  readonly #options: PlanOptions;
  #files: readonly StatsFile[] = [];
  #schemas: readonly StatsSchema[] = [];
  #identities: readonly StatsIdentity[] = [];
  #encoded: Encoded = encode([]);
  #last = 0;
  /** The buffer {@link renderScratch} reuses. */
  #scratch: Out | undefined;

  constructor(options: PlanOptions = {}) {
    this.#options = options;
  }

  /** The families for `files`, rebuilt only when the files changed. */
  families(files: readonly StatsFile[]): readonly Family[] {
    return this.#plan(files).families;
  }

  #plan(files: readonly StatsFile[]): Encoded {
    const prev = this.#files;
    const schemas = this.#schemas;
    const ids = this.#identities;
    let same = prev.length === files.length && prev.length > 0;
    for (let i = 0; same && i < files.length; i++) {
      const f = files[i] as StatsFile;
      same = prev[i] === f && schemas[i] === f.schema && ids[i] === f.identity;
    }
    if (!same) {
      this.#encoded = encode(buildPlan(files, this.#options));
      this.#files = [...files];
      this.#schemas = files.map((f) => f.schema);
      this.#identities = files.map((f) => f.identity);
    }
    return this.#encoded;
  }

  /**
   * Renders `files` in `format` into a Buffer (a view of a fresh allocation); `extra` is more
   * exposition text (whole lines) to end with, before OpenMetrics' `# EOF`.
   */
  renderBuffer(files: readonly StatsFile[], format: ExpositionFormat, extra = ""): Buffer {
    const b = renderEncoded(this.#plan(files), format, new Out(this.#last + 256), extra);
    this.#last = b.length;
    return b;
  }

  /**
   * Like {@link renderBuffer}, into a buffer this exposition reuses: the result is only valid
   * until its next render (for a body that is compressed at once and then dropped).
   */
  renderScratch(files: readonly StatsFile[], format: ExpositionFormat, extra = ""): Buffer {
    this.#scratch ??= new Out(this.#last + 256);
    const b = renderEncoded(this.#plan(files), format, this.#scratch, extra, true);
    this.#last = b.length;
    return b;
  }

  /** Renders `files` in `format` as text. */
  render(files: readonly StatsFile[], format: ExpositionFormat): string {
    return this.renderBuffer(files, format).toString("utf8");
  }
}
