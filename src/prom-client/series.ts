/**
 * @module prom-client/series
 * The label sets of one metric and their values: one Float64Array holding `stride` doubles per
 * series (a counter's value; a histogram's buckets, sum and count), nested Maps from the label
 * values (declared order) to the series' slot, and the label values as given, flat (no object
 * per series). A kept child is a typed-array add after one id check; `labels(…)` is one Map
 * lookup per label, on the caller's own strings (no key is built), at a few dozen bytes per series.
 * With one label name a string value is only the Map's key (a slot's key is found again through
 * an inverse built when a scrape asks for it), so a series costs its Map entry, its doubles, its
 * id and its key order.
 *
 * Values turn into Map keys as prom-client hashes them (`${value}`: `200` and `"200"` are one
 * series; undefined means the label is absent). Series are kept in prom-client's order (first
 * creation; a removed and re-created series goes last): slots are handed out in increasing
 * order and listed in slot order. Each series has an id (never reused); a removed series' id is
 * 0, so a kept child notices and finds (or creates) its series again, as prom-client's would.
 */
import { validateLabel } from "./validation.js";

/** The Map key of an absent (undefined) label value. */
const ABSENT: unique symbol = Symbol("absent");

/** A label set as a user gives it (values as given). */
export type Labels = Record<string, unknown>;

type Level = Map<unknown, unknown>;

function norm(v: unknown): unknown {
  return v === undefined ? ABSENT : typeof v === "string" ? v : `${v as string}`;
}

/**
 * Where a metric's values live when its registry is exported (prom-client/export.ts): the host
 * gives {@link Series.v} its memory (a region of the mapped file) and names each series there.
 */
export interface SeriesHost {
  /** Makes `t.v` cover slot `s` (rebinding it with {@link Series.bind} when it moves). */
  ensure(t: Series, s: number): void;
  /** Slot `s` now holds a new series (its label values are set). */
  added(t: Series, s: number): void;
  /** The key order of slot `s` changed (its labels print in another order). */
  reordered(t: Series, s: number): void;
  /** The series of slot `s` is gone. */
  removed(t: Series, s: number): void;
  /** Slots were renumbered or every series removed: the host re-lays the metric. */
  moved(t: Series): void;
}

/** The series of one metric. */
export class Series {
  /** Declared label names, in declaration order. */
  readonly names: readonly string[];
  /** Doubles per series. */
  readonly stride: number;
  /** The values: slot s owns v[s*stride … s*stride+stride-1]. Replaced when it grows. */
  v: Float64Array;
  /** The same memory as {@link v}, as u32 words (histogram bucket counts: u64 low/high pairs). */
  u: Uint32Array;
  /** When exported: who places {@link v} (else it is the process heap). */
  host: SeriesHost | undefined;
  /** Slot → the id of its series, 0 for a removed one. */
  id: Uint32Array;
  /**
   * Label values as given: slot s, label j at lv[s*names.length + j]. With one label name a
   * string value is not kept here (the Map's key is that string, found again by
   * {@link #keyOfSlot}); only other values (numbers, undefined…) are, in {@link #odd}.
   */
  lv: unknown[] = [];
  /** One label name: slot → its value when not a string. */
  #odd = new Map<number, unknown>();
  /** One label name: slot → Map key, rebuilt after changes when a slot's key is asked for. */
  #inv: unknown[] = [];
  #invFresh = false;
  /** Slot → index in {@link orders} of the label names the set had, in its key order. */
  ord: Uint16Array;
  /** Key orders seen (lists of indexes into names); 0 is "every name, in declaration order". */
  readonly orders: number[][];
  readonly #orderIds = new Map<string, number>();
  /** Label values → slot, one Map level per label (one level keyed "" without labels). */
  #root: Level = new Map();
  /** Slots used, removed ones included. */
  used = 0;
  /** Live series. */
  size = 0;
  #nextId = 1;

  constructor(names: readonly string[], stride: number) {
    this.names = names;
    this.stride = stride;
    this.v = new Float64Array(stride * 4);
    this.u = new Uint32Array(this.v.buffer, this.v.byteOffset, this.v.length * 2);
    this.id = new Uint32Array(4);
    this.ord = new Uint16Array(4);
    const all = names.map((_, j) => j);
    this.orders = [all];
    this.#orderIds.set(all.join(","), 0);
  }

  /** Puts the values in `v` (a region of `stride` × capacity doubles, its old content copied in by the caller). */
  bind(v: Float64Array): void {
    this.v = v;
    this.u = new Uint32Array(v.buffer, v.byteOffset, v.length * 2);
  }

  /** Slots the values have room for. */
  get capacity(): number {
    return this.stride === 0 ? Number.MAX_SAFE_INTEGER : this.v.length / this.stride;
  }

  /** The slot of the label set `labels` (an object), or −1. */
  find(labels: Labels): number {
    const names = this.names;
    const n = names.length;
    if (n === 0) return (this.#root.get("") as number | undefined) ?? -1;
    let level: unknown = this.#root;
    for (let j = 0; j < n && level !== undefined; j++) level = (level as Level).get(norm(labels[names[j] as string]));
    return (level as number | undefined) ?? -1;
  }

  /** The slot of `labels`, made now when it has none. */
  findOrCreate(labels: Labels): number {
    const s = this.find(labels);
    return s < 0 ? this.create(labels) : s;
  }

  /** The slot of label values by position (as many as names), or −1. */
  findValues(values: readonly unknown[]): number {
    const n = values.length;
    if (n === 0) return (this.#root.get("") as number | undefined) ?? -1;
    let level: unknown = this.#root.get(norm(values[0]));
    for (let j = 1; j < n && level !== undefined; j++) level = (level as Level).get(norm(values[j]));
    return (level as number | undefined) ?? -1;
  }

  /** The Map key of slot `s` (one label name). */
  #keyOfSlot(s: number): unknown {
    if (!this.#invFresh) {
      const inv: unknown[] = [];
      for (const [k, slot] of this.#root) inv[slot as number] = k;
      this.#inv = inv;
      this.#invFresh = true;
    }
    return this.#inv[s];
  }

  /** Links the values of slot `s` to `to` (a slot, or undefined to unlink); `key`: its Map key with one label name. */
  #link(s: number, to: number | undefined, key?: unknown): void {
    const n = this.names.length;
    this.#invFresh = false;
    if (n <= 1) {
      const k = n === 0 ? "" : key;
      if (to === undefined) this.#root.delete(k);
      else this.#root.set(k, to);
      return;
    }
    const base = s * n;
    const path: Level[] = [];
    let level = this.#root;
    for (let j = 0; j < n - 1; j++) {
      const k = norm(this.lv[base + j]);
      let next = level.get(k) as Level | undefined;
      if (!next) {
        if (to === undefined) return;
        next = new Map();
        level.set(k, next);
      }
      path.push(level);
      level = next;
    }
    const last = norm(this.lv[base + n - 1]);
    if (to !== undefined) {
      level.set(last, to);
      return;
    }
    level.delete(last);
    // Drop the levels the removal left empty.
    for (let j = n - 2; j >= 0 && level.size === 0; j--) {
      const up = path[j] as Level;
      up.delete(norm(this.lv[base + j]));
      level = up;
    }
  }

  #order(labels: Labels): number {
    const names = this.names;
    let k = "";
    let all = true;
    let j = 0;
    for (const name in labels) {
      const at = names.indexOf(name);
      if (at !== j++) all = false;
      k += k === "" ? `${at}` : `,${at}`;
    }
    if (all && j === names.length) return 0;
    let id = this.#orderIds.get(k);
    if (id === undefined) {
      id = this.orders.length;
      this.orders.push(k === "" ? [] : k.split(",").map(Number));
      this.#orderIds.set(k, id);
    }
    return id;
  }

  /** The key order of a label object, as an index into {@link orders} (one name: 0 present, 1 absent). */
  orderOf(labels: Labels): number {
    const n = this.names.length;
    if (n > 1) return this.#order(labels);
    return n === 1 && !((this.names[0] as string) in labels) ? 1 : 0;
  }

  /** Records `labels`' key order for slot `s` (prom-client prints labels in the order last given). */
  reorder(s: number, labels: Labels): void {
    const o = this.orderOf(labels);
    if (o === this.ord[s]) return;
    this.ord[s] = o;
    this.host?.reordered(this, s);
  }

  /** One label name: keeps the value of slot `s` if it is no string (a string is its Map key). */
  #keep(s: number, v: unknown): void {
    if (typeof v === "string") this.#odd.delete(s);
    else this.#odd.set(s, v);
  }

  /** Creates the series of label object `labels` (not yet present); its values start at 0. */
  create(labels: Labels): number {
    const s = this.#alloc();
    const names = this.names;
    if (names.length === 1) {
      const v = labels[names[0] as string];
      this.#keep(s, v);
      this.reorder(s, labels);
      this.#link(s, s, norm(v));
      this.host?.added(this, s);
      return s;
    }
    const base = s * names.length;
    for (let j = 0; j < names.length; j++) this.lv[base + j] = labels[names[j] as string];
    this.reorder(s, labels);
    this.#link(s, s);
    this.host?.added(this, s);
    return s;
  }

  /** Creates the series of label values by position (not yet present). */
  createValues(values: readonly unknown[]): number {
    const s = this.#alloc();
    if (this.names.length === 1) {
      this.#keep(s, values[0]);
      this.ord[s] = 0;
      this.#link(s, s, norm(values[0]));
      this.host?.added(this, s);
      return s;
    }
    const base = s * this.names.length;
    for (let j = 0; j < values.length; j++) this.lv[base + j] = values[j];
    this.ord[s] = 0;
    this.#link(s, s);
    this.host?.added(this, s);
    return s;
  }

  /** Replaces the label values of slot `s` by those of `labels` (same series; prom-client's overwrite of an entry). */
  relabel(s: number, labels: Labels): void {
    const names = this.names;
    if (names.length === 1) {
      this.#keep(s, labels[names[0] as string]);
      this.reorder(s, labels);
      return;
    }
    const base = s * names.length;
    for (let j = 0; j < names.length; j++) this.lv[base + j] = labels[names[j] as string];
    this.reorder(s, labels);
  }

  #alloc(): number {
    if (this.used > 64 && this.used > this.size * 2) this.#compact();
    const s = this.used++;
    if (s >= this.id.length) {
      const cap = this.id.length * 2;
      if (!this.host) {
        const v = new Float64Array(cap * this.stride);
        v.set(this.v);
        this.bind(v);
      }
      const id = new Uint32Array(cap);
      id.set(this.id);
      this.id = id;
      const o = new Uint16Array(cap);
      o.set(this.ord);
      this.ord = o;
    }
    if (this.host && s >= this.capacity) this.host.ensure(this, s);
    this.v.fill(0, s * this.stride, s * this.stride + this.stride);
    this.id[s] = this.#nextId;
    this.#nextId = this.#nextId >= 0xffffffff ? 1 : this.#nextId + 1;
    this.size++;
    return s;
  }

  /** Moves the live series to the front (after many removals), keeping their order. */
  #compact(): void {
    // Exported: compact a copy (readers of the file keep the values where its table says), then the host re-lays it.
    if (this.host) this.bind(this.v.slice());
    const n = this.names.length;
    const st = this.stride;
    let t = 0;
    const keys = n === 1 ? this.#root : undefined;
    if (keys) this.#keyOfSlot(0);
    const inv = this.#inv;
    const odd = new Map<number, unknown>();
    for (let s = 0; s < this.used; s++) {
      if (this.id[s] === 0) continue;
      if (n === 1 && this.#odd.has(s)) odd.set(t, this.#odd.get(s));
      if (t !== s) {
        this.v.copyWithin(t * st, s * st, s * st + st);
        this.id[t] = this.id[s] as number;
        this.ord[t] = this.ord[s] as number;
        if (n === 1) this.#link(t, t, inv[s]);
        else {
          for (let j = 0; j < n; j++) this.lv[t * n + j] = this.lv[s * n + j];
          this.#link(t, t);
        }
      }
      t++;
    }
    if (n === 1) this.#odd = odd;
    this.id.fill(0, t, this.used);
    this.lv.length = t * n;
    this.used = t;
    this.host?.moved(this);
  }

  /** Removes the series in slot `s`, whose labels are `labels`. */
  removeSlot(s: number, labels: Labels): void {
    if (s < 0 || this.id[s] === 0) return;
    if (this.names.length === 1) {
      this.#link(s, undefined, norm(labels[this.names[0] as string]));
      this.#odd.delete(s);
    } else this.#link(s, undefined);
    this.id[s] = 0;
    this.size--;
    this.host?.removed(this, s);
  }

  /** Removes every series. */
  clear(): void {
    this.#root = new Map();
    this.#odd = new Map();
    this.#invFresh = false;
    this.lv = [];
    this.used = 0;
    this.size = 0;
    this.bind(new Float64Array(this.stride * 4));
    this.id = new Uint32Array(4);
    this.ord = new Uint16Array(4);
    this.host?.moved(this);
  }

  /** The label set of slot `s` as prom-client holds it: the names given, in the order given. */
  labelsOf(s: number): Labels {
    const out: Labels = {};
    const names = this.names;
    const base = s * names.length;
    if (names.length === 1) {
      if (this.ord[s] === 0) out[names[0] as string] = this.#odd.has(s) ? this.#odd.get(s) : this.#keyOfSlot(s);
      return out;
    }
    for (const j of this.orders[this.ord[s] as number] as number[]) out[names[j] as string] = this.lv[base + j];
    return out;
  }

  /** Drops what a scrape built to name one-label slots (it is rebuilt when asked again). */
  release(): void {
    this.#inv = [];
    this.#invFresh = false;
  }

  /** Live slots, in prom-client's order. */
  *slots(): IterableIterator<number> {
    for (let s = 0; s < this.used; s++) if (this.id[s] !== 0) yield s;
  }

  /** Checks a label object's names (prom-client's error when one is not declared). */
  validate(labels: unknown): void {
    validateLabel(this.names, labels);
  }
}
