/**
 * @module views/web/history
 * The server's memory of the last 15 minutes, so a page opened late still draws them: one ring
 * of sample slots (seq, time, interval) shared by every entity, and per entity, series of each
 * statistic's change (gauges: value) per slot, histogram bucket changes per slot and per-vCPU
 * changes for the heatmap. Arrays are allocated once — a series when its statistic first moves —
 * so memory stays flat however long the server runs. Encoded for a page as one binary answer
 * (views/web/protocol HistoryHeader): no JSON numbers to parse for 256 vCPUs × 900 slots.
 */
import type { LiveEntity } from "./entities.js";
import { num } from "./format.js";
import type { HistoryHeader } from "./protocol.js";

/** Slots shared by all entities. */
export class Slots {
  readonly cap: number;
  readonly seqs: Float64Array;
  readonly walls: Float64Array;
  readonly seconds: Float64Array;
  last = -1;

  constructor(cap: number) {
    this.cap = cap;
    this.seqs = new Float64Array(cap).fill(-1);
    this.walls = new Float64Array(cap);
    this.seconds = new Float64Array(cap);
  }

  /** Records a sample; returns its slot. */
  push(seq: number, wall: number, seconds: number): number {
    const slot = seq % this.cap;
    this.seqs[slot] = seq;
    this.walls[slot] = wall;
    this.seconds[slot] = seconds;
    this.last = seq;
    return slot;
  }

  /** Slots in time order, oldest first, of samples at or after `from`. */
  ordered(from: number): number[] {
    const out: number[] = [];
    for (let seq = Math.max(0, this.last - this.cap + 1, from); seq <= this.last; seq++) {
      const slot = seq % this.cap;
      if (this.seqs[slot] === seq) out.push(slot);
    }
    return out;
  }
}

/** One entity's rings. */
export class EntityHistory {
  readonly #slots: Slots;
  /** The first sample the entity was in (earlier slots are NaN: not there). */
  readonly firstSeq: number;
  readonly series = new Map<string, Float64Array>();
  readonly buckets = new Map<string, { size: number; data: Float32Array }>();
  readonly perFile = new Map<string, Float32Array>();
  rows: readonly string[] = [];

  constructor(slots: Slots, firstSeq: number) {
    this.#slots = slots;
    this.firstSeq = firstSeq;
  }

  /** A new array of `cap × width`, 0 where the entity existed before `seq` (nothing moved), else NaN. */
  #fresh<T extends Float64Array | Float32Array>(make: (n: number) => T, width: number, seq: number): T {
    const s = this.#slots;
    const a = make(s.cap * width);
    a.fill(Number.NaN);
    for (let slot = 0; slot < s.cap; slot++) {
      const q = s.seqs[slot] ?? -1;
      if (q >= this.firstSeq && q < seq) a.fill(0, slot * width, slot * width + width);
    }
    return a;
  }

  /** Records the entity's values at `seq` (already pushed to the slots). */
  record(seq: number, e: LiveEntity): void {
    const slot = seq % this.#slots.cap;
    const seen = new Set<string>();
    for (const p of e.parts) {
      for (const [i, s] of p.meta.stats.entries()) {
        const v = num(p.values.d[i]);
        seen.add(s.id);
        let a = this.series.get(s.id);
        if (!a) {
          if (!(v !== 0 && Number.isFinite(v))) continue;
          a = this.#fresh((n) => new Float64Array(n), 1, seq);
          this.series.set(s.id, a);
        }
        a[slot] = v;
        const h = p.values.h[s.id];
        if (!h) continue;
        let b = this.buckets.get(s.id);
        if (!b || b.size !== s.size) {
          if (!h.d?.some((x) => x !== 0)) continue;
          b = { size: s.size, data: this.#fresh((n) => new Float32Array(n), s.size, seq) };
          this.buckets.set(s.id, b);
        }
        if (h.d) b.data.set(h.d, slot * s.size);
        else b.data.fill(Number.NaN, slot * s.size, slot * s.size + s.size);
      }
    }
    // A statistic that left (a schema change) has no value in this slot.
    for (const [id, a] of this.series) if (!seen.has(id)) a[slot] = Number.NaN;
    for (const [id, b] of this.buckets) if (!seen.has(id)) b.data.fill(Number.NaN, slot * b.size, slot * b.size + b.size);
    const pf = e.perFile;
    if (!pf) return;
    if (pf.rows.length !== this.rows.length || pf.rows.some((r, i) => r !== this.rows[i])) {
      this.rows = [...pf.rows];
      this.perFile.clear();
    }
    const w = this.rows.length;
    for (const [name, vals] of Object.entries(pf.d)) {
      let a = this.perFile.get(name);
      if (!a) {
        a = this.#fresh((n) => new Float32Array(n), w, seq);
        this.perFile.set(name, a);
      }
      for (let r = 0; r < w; r++) a[slot * w + r] = vals[r] ?? Number.NaN;
    }
  }

  /** Marks the slot of `seq` as having no values (the entity is gone or failed then). */
  missing(seq: number): void {
    const slot = seq % this.#slots.cap;
    for (const a of this.series.values()) a[slot] = Number.NaN;
    for (const b of this.buckets.values()) b.data.fill(Number.NaN, slot * b.size, slot * b.size + b.size);
    const w = this.rows.length;
    for (const a of this.perFile.values()) a.fill(Number.NaN, slot * w, slot * w + w);
  }

  /** The binary answer for a page: header and arrays in time order from the entity's first sample. */
  encode(key: string): Buffer {
    const s = this.#slots;
    const order = s.ordered(this.firstSeq);
    const n = order.length;
    const chunks: { bytes: Uint8Array }[] = [];
    let offset = 0;
    const add = (a: Float64Array | Float32Array): number => {
      const at = offset;
      chunks.push({ bytes: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) });
      offset += a.byteLength;
      // keep 8-byte alignment for the Float64Arrays that follow
      const pad = (8 - (a.byteLength % 8)) % 8;
      if (pad) {
        chunks.push({ bytes: new Uint8Array(pad) });
        offset += pad;
      }
      return at;
    };
    const series: Record<string, number> = {};
    for (const [id, a] of this.series) series[id] = add(Float64Array.from(order, (slot) => a[slot] ?? Number.NaN));
    const buckets: Record<string, number> = {};
    for (const [id, b] of this.buckets) {
      const out = new Float32Array(n * b.size);
      for (const [i, slot] of order.entries()) out.set(b.data.subarray(slot * b.size, slot * b.size + b.size), i * b.size);
      buckets[id] = add(out);
    }
    const perFile: Record<string, number> = {};
    const w = this.rows.length;
    for (const [name, a] of this.perFile) {
      const out = new Float32Array(n * w);
      for (const [i, slot] of order.entries()) out.set(a.subarray(slot * w, slot * w + w), i * w);
      perFile[name] = add(out);
    }
    const header: HistoryHeader = {
      key,
      seqs: order.map((slot) => s.seqs[slot] ?? -1),
      walls: order.map((slot) => s.walls[slot] ?? 0),
      seconds: order.map((slot) => s.seconds[slot] ?? 0),
      series,
      buckets,
      perFile,
      rows: this.rows,
    };
    const head = Buffer.from(JSON.stringify(header));
    const lead = 4 + head.length;
    const pad = (8 - (lead % 8)) % 8;
    const len = Buffer.alloc(4);
    len.writeUInt32LE(head.length, 0);
    return Buffer.concat([len, head, Buffer.alloc(pad), ...chunks.map((c) => c.bytes)]);
  }
}
