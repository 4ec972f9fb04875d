/**
 * @module views/qmp/render
 * The hot path: query-stats results as JSON bytes, fast. Everything that depends only on a
 * file's schema — `{"provider": "kvm", "stats": [`, each `{"name": "exits", "value": ` — is
 * rendered once per file (ASCII bytes, kept) and copied; a query only adds the values, whose
 * digits are written straight into the output buffer (u32 values without any string, larger
 * ones through number or bigint text, digit-exact). No JS string of the reply is ever built.
 * Members are in QEMU's order ({@link fixedOrder}); histograms in bucket order.
 */
import type { StatDescriptor } from "../../model/descriptor.js";
import type { StatsFile } from "../../model/stats-file.js";
import { wordText } from "../../model/value.js";
import { fixedOrder } from "../../qmp/json/qdict-order.js";
import { quote } from "../../qmp/json/writer.js";
import { type QemuSelection, valueShape } from "../qapi/requests.js";

const SCALAR = 0;
const BOOLEAN = 1;
const LIST = 2;
/** A scalar in a statsfs extension encoding (s64, f64): its exact text (model/value wordText). */
const TEXT = 3;
/** Bytes a value may need at most: 20 digits and ", ". */
const MAX_VALUE = 22;

interface StatRender {
  readonly pre: Buffer;
  readonly post: Buffer;
  readonly word: number;
  readonly size: number;
  readonly shape: number;
  readonly d: StatDescriptor;
  /** Upper bound of the bytes this statistic renders to. */
  readonly max: number;
}

interface FileRender {
  readonly schema: StatsFile["schema"];
  readonly data: BigUint64Array;
  readonly u32: Uint32Array;
  readonly qomPath: string | undefined;
  readonly head: Buffer;
  readonly tail: Buffer;
  readonly stats: Map<StatDescriptor, StatRender>;
  /** The same, in descriptor order. */
  readonly all: readonly StatRender[];
  /** Upper bound of the bytes the whole file renders to. */
  readonly max: number;
}

const cache = new WeakMap<StatsFile, FileRender>();
const ascii = (s: string) => Buffer.from(s, "latin1");

/** `pre` + dynamic + `post` for a dict whose member `dyn` is dynamic, in QDict order. */
function around(members: Record<string, string>, dyn: string): { pre: string; post: string } {
  const order = fixedOrder(Object.keys(members));
  const parts = order.map((k) => `${quote(k)}: ${k === dyn ? "\0" : members[k]}`);
  const [pre = "", post = ""] = `{${parts.join(", ")}}`.split("\0");
  return { pre, post };
}

function renderOf(file: StatsFile, qomPath: string | undefined): FileRender {
  const hit = cache.get(file);
  if (hit && hit.schema === file.schema && hit.data === file.data && hit.qomPath === qomPath) return hit;
  // QAPI member order of StatsResult: provider, qom-path, stats.
  const members: Record<string, string> = { provider: quote(file.identity.provider) };
  if (qomPath !== undefined) members["qom-path"] = quote(qomPath);
  members.stats = "";
  const { pre: head, post: tail } = around(members, "stats");
  const stats = new Map<StatDescriptor, StatRender>();
  const all: StatRender[] = [];
  let max = head.length + tail.length + 4;
  for (const d of file.schema.descriptors) {
    const { pre, post } = around({ name: quote(d.name), value: "" }, "value");
    const shape = valueShape(d);
    const s: StatRender = {
      pre: ascii(pre),
      post: ascii(post),
      word: d.offset >>> 3,
      size: d.size,
      shape: shape === "scalar" ? (d.encoding === 0 ? SCALAR : TEXT) : shape === "boolean" ? BOOLEAN : LIST,
      d,
      max: pre.length + post.length + 4 + Math.max(1, d.size) * (MAX_VALUE + 10),
    };
    stats.set(d, s);
    all.push(s);
    max += s.max;
  }
  const data = file.data;
  const r: FileRender = {
    schema: file.schema,
    data,
    u32: new Uint32Array(data.buffer, data.byteOffset, data.length * 2),
    qomPath,
    head: ascii(`${head}[`),
    tail: ascii(`]${tail}`),
    stats,
    all,
    max,
  };
  cache.set(file, r);
  return r;
}

/** A growable output buffer. */
class Out {
  buf: Buffer;
  pos = 0;
  constructor(size: number) {
    this.buf = Buffer.allocUnsafe(size);
  }
  ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.pos + n));
    this.buf.copy(bigger, 0, 0, this.pos);
    this.buf = bigger;
  }
  bytes(b: Buffer): void {
    b.copy(this.buf, this.pos);
    this.pos += b.length;
  }
}

/** Writes the decimal digits of data word `w` at `p`; returns the new position. */
function digits(buf: Buffer, p: number, u32: Uint32Array, data: BigUint64Array, w: number): number {
  const hi = u32[2 * w + 1] as number;
  let v = u32[2 * w] as number;
  if (hi === 0) {
    if (v < 10) {
      buf[p] = 48 + v;
      return p + 1;
    }
    let n = 2;
    for (let t = 100; v >= t && n < 10; t *= 10) n++;
    let q = p + n;
    while (v >= 10) {
      const next = Math.floor(v / 10);
      buf[--q] = 48 + (v - next * 10);
      v = next;
    }
    buf[--q] = 48 + v;
    return p + n;
  }
  const text = hi < 0x200000 ? `${hi * 4294967296 + v}` : `${data[w]}`;
  return p + buf.write(text, p, "latin1");
}

function writeStat(out: Out, r: FileRender, s: StatRender, comma: boolean): void {
  out.ensure(s.max);
  const buf = out.buf;
  let p = out.pos;
  if (comma) {
    buf[p++] = 44;
    buf[p++] = 32;
  }
  s.pre.copy(buf, p);
  p += s.pre.length;
  if (s.shape === SCALAR) p = digits(buf, p, r.u32, r.data, s.word);
  else if (s.shape === TEXT) p += buf.write(wordText(s.d, r.data[s.word] ?? 0n), p, "latin1");
  else if (s.shape === BOOLEAN) {
    const on = r.u32[2 * s.word] !== 0 || r.u32[2 * s.word + 1] !== 0;
    p += buf.write(on ? "true" : "false", p, "latin1");
  } else {
    buf[p++] = 91;
    for (let k = 0; k < s.size; k++) {
      if (k) {
        buf[p++] = 44;
        buf[p++] = 32;
      }
      p = digits(buf, p, r.u32, r.data, s.word + k);
    }
    buf[p++] = 93;
  }
  s.post.copy(buf, p);
  out.pos = p + s.post.length;
}

let lastSize = 4096;

/** The query-stats return value (a JSON array, ASCII bytes) for selected files. */
export function renderQueryStats(selection: readonly QemuSelection[]): Buffer {
  if (selection.length === 0) return ascii("[]");
  const out = new Out(lastSize + 1024);
  out.ensure(1);
  out.buf[out.pos++] = 91;
  for (let i = 0; i < selection.length; i++) {
    const { file, qomPath, stats } = selection[i] as QemuSelection;
    const r = renderOf(file, qomPath);
    out.ensure(r.head.length + r.tail.length + 2);
    if (i > 0) {
      out.buf[out.pos++] = 44;
      out.buf[out.pos++] = 32;
    }
    out.bytes(r.head);
    if (stats === file.schema.descriptors) {
      for (let j = 0; j < r.all.length; j++) writeStat(out, r, r.all[j] as StatRender, j > 0);
    } else {
      let first = true;
      for (const d of stats) {
        const s = r.stats.get(d);
        if (!s) continue;
        writeStat(out, r, s, !first);
        first = false;
      }
    }
    out.ensure(r.tail.length);
    out.bytes(r.tail);
  }
  out.ensure(1);
  out.buf[out.pos++] = 93;
  lastSize = out.pos;
  return out.buf.subarray(0, out.pos);
}
