/**
 * @module prom-client/series
 * The label sets of one metric and their values: one Float64Array holding `stride` doubles per
 * series (a counter's value; a histogram's buckets, sum and count), a Map from the label set's
 * key to its slot, and the label values as given, flat (no object per series). This is what
 * makes a kept child a typed-array add and `labels(…)` one Map lookup, at a few dozen bytes per
 * series.
 *
 * Keys: no labels → ""; one label → its value as a string (the string itself, no copy), or the
 * symbol {@link ABSENT} when the value is undefined; several → each value length-prefixed
 * (`3:GET5:/user`), so no value can forge another set. Values turn into strings as prom-client
 * hashes them (`${value}`: `200` and `"200"` are one series; undefined means the label is absent).
 * Series are kept in the order prom-client keeps them (first creation; a removed and re-created
 * series goes last), which is the Map's order.
 */
import { validateLabel } from "./validation.js";

/** The key of a label set whose one label is absent (undefined). */
export const ABSENT: unique symbol = Symbol("absent");
/** The key of a removed slot: no child's key equals it. */
const DEAD: unique symbol = Symbol("dead");

/** A label set as a user gives it (values as given). */
export type Labels = Record<string, unknown>;

function part(v: unknown): string {
  if (v === undefined) return "-";
  const s = typeof v === "string" ? v : `${v as string}`;
  return `${s.length}:${s}`;
}

/** The series of one metric. */
export class Series {
  /** Declared label names, in declaration order. */
  readonly names: readonly string[];
  /** Doubles per series. */
  readonly stride: number;
  /** The values: slot s owns v[s*stride … s*stride+stride-1]. Replaced when it grows. */
  v: Float64Array;
  /** Slot → its key, or DEAD. */
  keys: unknown[] = [];
  /** Label set key → slot. */
  readonly map = new Map<unknown, number>();
  /** Label values as given: slot s, label j at lv[s*names.length + j]. */
  lv: unknown[] = [];
  /** Slot → index in {@link orders} of the label names the set had, in its key order. */
  ord: Uint16Array;
  /** Key orders seen (lists of indexes into names); 0 is "every name, in declaration order". */
  readonly orders: number[][];
  readonly #orderIds = new Map<string, number>();
  /** Slots used, dead ones included. */
  used = 0;
  /** Live series. */
  get size(): number {
    return this.map.size;
  }

  constructor(names: readonly string[], stride: number) {
    this.names = names;
    this.stride = stride;
    this.v = new Float64Array(stride * 4);
    this.ord = new Uint16Array(4);
    const all = names.map((_, j) => j);
    this.orders = [all];
    this.#orderIds.set(all.join(","), 0);
  }

  /** The key of label set `labels` (an object). */
  keyOf(labels: Labels): unknown {
    const names = this.names;
    const n = names.length;
    if (n === 0) return "";
    if (n === 1) {
      const v = labels[names[0] as string];
      return v === undefined ? ABSENT : typeof v === "string" ? v : `${v as string}`;
    }
    let k = "";
    for (let j = 0; j < n; j++) k += part(labels[names[j] as string]);
    return k;
  }

  /** The key of label values given by position (as many as names). */
  keyOfValues(values: readonly unknown[]): unknown {
    const n = values.length;
    if (n === 0) return "";
    if (n === 1) {
      const v = values[0];
      return v === undefined ? ABSENT : typeof v === "string" ? v : `${v as string}`;
    }
    let k = "";
    for (let j = 0; j < n; j++) k += part(values[j]);
    return k;
  }

  /** The slot of `key`, or −1. */
  find(key: unknown): number {
    const s = this.map.get(key);
    return s === undefined ? -1 : s;
  }

  /** Whether slot `s` still holds `key` (a kept child checks this before writing). */
  holds(s: number, key: unknown): boolean {
    return this.keys[s] === key;
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

  /** The key order of a label object, as an index into {@link orders} (n = 1: 0 present, 1 absent). */
  orderOf(labels: Labels): number {
    const n = this.names.length;
    if (n > 1) return this.#order(labels);
    return n === 1 && !((this.names[0] as string) in labels) ? 1 : 0;
  }

  /** Records `labels`' key order for slot `s` (prom-client prints labels in the order last given). */
  reorder(s: number, labels: Labels): void {
    this.ord[s] = this.orderOf(labels);
  }

  /** Creates the series of `key` with labels given as an object; its values start at 0. */
  createFromObject(key: unknown, labels: Labels): number {
    const s = this.#alloc(key);
    const names = this.names;
    const base = s * names.length;
    for (let j = 0; j < names.length; j++) this.lv[base + j] = labels[names[j] as string];
    this.reorder(s, labels);
    return s;
  }

  /** Replaces the label values of slot `s` by those of `labels` (prom-client's overwrite of an entry). */
  relabel(s: number, labels: Labels): void {
    const names = this.names;
    const base = s * names.length;
    for (let j = 0; j < names.length; j++) this.lv[base + j] = labels[names[j] as string];
    this.reorder(s, labels);
  }

  /** Creates the series of `key` with label values by position. */
  createFromValues(key: unknown, values: readonly unknown[]): number {
    const s = this.#alloc(key);
    const base = s * this.names.length;
    for (let j = 0; j < values.length; j++) this.lv[base + j] = values[j];
    this.ord[s] = 0;
    return s;
  }

  #alloc(key: unknown): number {
    if (this.used * 2 > this.map.size * 4 + 64) this.#compact();
    const s = this.used++;
    if (s * this.stride >= this.v.length) {
      const v = new Float64Array(Math.max(this.v.length * 2, this.stride * 4));
      v.set(this.v);
      this.v = v;
      const o = new Uint16Array(v.length / this.stride);
      o.set(this.ord);
      this.ord = o;
    } else this.v.fill(0, s * this.stride, s * this.stride + this.stride);
    this.keys[s] = key;
    this.map.set(key, s);
    return s;
  }

  /** Moves the live series to the front (after many removals); kept children find theirs again. */
  #compact(): void {
    const n = this.names.length;
    const st = this.stride;
    const v = new Float64Array(Math.max(st * 4, this.map.size * 2 * st));
    const ord = new Uint16Array(v.length / st);
    const keys: unknown[] = [];
    const lv: unknown[] = [];
    let t = 0;
    for (const [key, s] of this.map) {
      v.set(this.v.subarray(s * st, s * st + st), t * st);
      ord[t] = this.ord[s] as number;
      for (let j = 0; j < n; j++) lv[t * n + j] = this.lv[s * n + j];
      keys[t] = key;
      this.map.set(key, t);
      t++;
    }
    this.v = v;
    this.ord = ord;
    this.keys = keys;
    this.lv = lv;
    this.used = t;
  }

  /** Removes the series of `key`, if any; returns its former slot or −1. */
  remove(key: unknown): number {
    const s = this.map.get(key);
    if (s === undefined) return -1;
    this.map.delete(key);
    this.keys[s] = DEAD;
    return s;
  }

  /** Removes every series. */
  clear(): void {
    this.map.clear();
    this.keys = [];
    this.lv = [];
    this.used = 0;
    this.v = new Float64Array(this.stride * 4);
    this.ord = new Uint16Array(4);
  }

  /** The label set of slot `s` as prom-client holds it: the names given, in the order given. */
  labelsOf(s: number): Labels {
    const out: Labels = {};
    const names = this.names;
    const base = s * names.length;
    if (names.length === 1) {
      if (this.ord[s] === 0) out[names[0] as string] = this.lv[base];
      return out;
    }
    for (const j of this.orders[this.ord[s] as number] as number[]) out[names[j] as string] = this.lv[base + j];
    return out;
  }

  /** Live slots, in prom-client's order. */
  slots(): IterableIterator<number> {
    return this.map.values();
  }

  /** Checks a label object's names (prom-client's error when one is not declared). */
  validate(labels: unknown): void {
    validateLabel(this.names, labels);
  }
}
