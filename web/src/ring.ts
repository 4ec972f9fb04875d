/**
 * @module web/ring
 * The page's memory of the selected entity: the last 15 minutes of slots (seq, time, interval)
 * with each statistic's change, histogram bucket changes and per-vCPU changes, filled from the
 * server's history answer once and from each `detail` event after. Arrays are allocated once
 * per statistic, so a page left open for hours keeps a flat heap.
 */
import { num } from "../../src/views/web/format.js";
import { type DetailEvent, HISTORY_SECONDS, type HistoryHeader, type StatMeta } from "../../src/views/web/protocol.js";

export class Ring {
  readonly cap: number;
  readonly seqs: Float64Array;
  readonly walls: Float64Array;
  readonly seconds: Float64Array;
  readonly series = new Map<string, Float64Array>();
  readonly buckets = new Map<string, { size: number; data: Float32Array }>();
  readonly perFile = new Map<string, Float32Array>();
  rows: readonly string[] = [];
  last = -1;

  constructor(intervalMs: number) {
    this.cap = Math.max(2, Math.ceil((HISTORY_SECONDS * 1000) / intervalMs));
    this.seqs = new Float64Array(this.cap).fill(-1);
    this.walls = new Float64Array(this.cap);
    this.seconds = new Float64Array(this.cap);
  }

  #arr(id: string): Float64Array {
    let a = this.series.get(id);
    if (!a) {
      a = new Float64Array(this.cap).fill(Number.NaN);
      this.series.set(id, a);
    }
    return a;
  }

  #buckets(id: string, size: number): Float32Array {
    let b = this.buckets.get(id);
    if (!b || b.size !== size) {
      b = { size, data: new Float32Array(this.cap * size).fill(Number.NaN) };
      this.buckets.set(id, b);
    }
    return b.data;
  }

  #rowsFor(rows: readonly string[]): void {
    if (rows.length === this.rows.length && rows.every((r, i) => r === this.rows[i])) return;
    this.rows = [...rows];
    this.perFile.clear();
  }

  #perFile(name: string): Float32Array {
    let a = this.perFile.get(name);
    if (!a) {
      a = new Float32Array(this.cap * this.rows.length).fill(Number.NaN);
      this.perFile.set(name, a);
    }
    return a;
  }

  #slot(seq: number, wall: number, seconds: number): number {
    const slot = seq % this.cap;
    if (this.seqs[slot] !== seq) {
      // A slot reused for a newer sample: clear what the older one left.
      for (const a of this.series.values()) a[slot] = Number.NaN;
      for (const b of this.buckets.values()) b.data.fill(Number.NaN, slot * b.size, slot * b.size + b.size);
      const w = this.rows.length;
      for (const a of this.perFile.values()) a.fill(Number.NaN, slot * w, slot * w + w);
    }
    this.seqs[slot] = seq;
    this.walls[slot] = wall;
    this.seconds[slot] = seconds;
    if (seq > this.last) this.last = seq;
    return slot;
  }

  /** Records one `detail` event. */
  applyDetail(ev: DetailEvent, wall: number, seconds: number): void {
    if (ev.perFile) this.#rowsFor(ev.perFile.rows);
    const slot = this.#slot(ev.seq, wall, seconds);
    for (const [pi, p] of ev.parts.entries()) {
      const v = ev.values[pi];
      if (!v) continue;
      for (const [i, s] of p.stats.entries()) {
        this.#arr(s.id)[slot] = num(v.d[i]);
        const h = v.h[s.id];
        if (h) {
          const b = this.#buckets(s.id, s.size);
          if (h.d) b.set(h.d, slot * s.size);
        }
      }
    }
    if (ev.perFile) {
      const w = this.rows.length;
      for (const [name, vals] of Object.entries(ev.perFile.d)) {
        const a = this.#perFile(name);
        for (let r = 0; r < w; r++) a[slot * w + r] = vals[r] ?? Number.NaN;
      }
    }
  }

  /** Fills the slots the live events have not filled from the server's history answer. */
  applyHistory(buf: ArrayBuffer, stats: ReadonlyMap<string, StatMeta>): void {
    const dv = new DataView(buf);
    const len = dv.getUint32(0, true);
    const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buf, 4, len))) as HistoryHeader;
    const base = 4 + len + ((8 - ((4 + len) % 8)) % 8);
    const n = header.seqs.length;
    if (header.rows.length > 0) this.#rowsFor(header.rows);
    const fill: { i: number; slot: number }[] = [];
    for (let i = 0; i < n; i++) {
      const seq = header.seqs[i] ?? -1;
      if (seq < 0 || seq <= this.last - this.cap) continue;
      const slot = seq % this.cap;
      if (this.seqs[slot] === seq) continue; // a live event already has it
      this.#slot(seq, header.walls[i] ?? 0, header.seconds[i] ?? 0);
      fill.push({ i, slot });
    }
    for (const [id, off] of Object.entries(header.series)) {
      const src = new Float64Array(buf, base + off, n);
      const a = this.#arr(id);
      for (const { i, slot } of fill) a[slot] = src[i] ?? Number.NaN;
    }
    for (const [id, off] of Object.entries(header.buckets)) {
      const size = stats.get(id)?.size;
      if (size === undefined) continue;
      const src = new Float32Array(buf, base + off, n * size);
      const a = this.#buckets(id, size);
      for (const { i, slot } of fill) a.set(src.subarray(i * size, i * size + size), slot * size);
    }
    const w = header.rows.length;
    for (const [name, off] of Object.entries(header.perFile)) {
      const src = new Float32Array(buf, base + off, n * w);
      const a = this.#perFile(name);
      for (const { i, slot } of fill) a.set(src.subarray(i * w, i * w + w), slot * w);
    }
  }

  /** Slots in time order, oldest first (at most `cap`). */
  ordered(): number[] {
    const out: number[] = [];
    for (let seq = Math.max(0, this.last - this.cap + 1); seq <= this.last; seq++) {
      const slot = seq % this.cap;
      if (this.seqs[slot] === seq) out.push(slot);
    }
    return out;
  }
}
