/**
 * @module views/top/view
 * kvm_stat's live view between frames: the groups shown, the ones gone (with their member's
 * reason), the pid followed across a guest's restart; and `-1`'s batch text.
 */

import { amountText } from "../../model/amount.js";
import { printable } from "../../model/printable.js";
import type { StatsFile } from "../../model/stats-file.js";
import type { StatsSource } from "../../providers/source.js";
import type { Sample } from "../../sample/sampler.js";
import type { Selector } from "../../sample/select.js";
import { columnsOf, type FieldSum, fieldSums } from "../log/index.js";
import { padEnd } from "../text/width.js";
import { type EventGroup, eventGroups } from "./events.js";
import { guestsOf } from "./guests.js";
import { fieldsRegex } from "./keys.js";
import { type GoneGroup, kvmFrame, type Line, type ViewState } from "./kvm-frame.js";

/** Which member of a source made of several each file comes from (for the reason a gone group shows). */
export function memberOf(source: StatsSource): (f: StatsFile) => string | undefined {
  return (f) => source.memberOf?.(f);
}

/** What `top` keeps between frames: groups shown, gone ones, the pid followed. */
export class TopView {
  readonly state: ViewState;
  readonly #selector: Selector;
  #shown = new Map<string, { group: EventGroup; member: string | undefined }>();
  #gone = new Map<string, GoneGroup>();
  #dead = false;
  #latest: Sample | undefined;
  #groups: EventGroup[] = [];
  #notes: string[] = [];

  constructor(state: ViewState, selector: Selector) {
    this.state = state;
    this.#selector = selector;
  }

  get latest(): Sample | undefined {
    return this.#latest;
  }

  /** Takes a new sample: regroups, notes what went away, follows a restarted guest by name. */
  update(sample: Sample, member: (f: StatsFile) => string | undefined = () => undefined, empty?: () => string | undefined): void {
    this.#latest = sample;
    const s = this.state;
    if (s.pid !== "" && !sample.files.some((f) => f.file.identity.labels.pid === s.pid)) {
      // The guest is gone; found again by name when it restarts with another pid.
      const again = s.guest !== "" ? guestsOf(sample.files.map((f) => f.file)).filter((g) => g.name === s.guest) : [];
      if (again.length === 1) s.pid = (again[0] as { pid: string }).pid;
    }
    this.#dead = s.pid !== "" && !sample.files.some((f) => f.file.identity.labels.pid === s.pid);
    this.regroup();
    const status = new Map(sample.members.map((m) => [m.uri, m]));
    const now = new Map<string, { group: EventGroup; member: string | undefined }>();
    for (const g of this.#groups) {
      now.set(g.key, { group: g, member: g.files[0] ? member(g.files[0].file) : undefined });
      this.#gone.delete(g.key);
      // A guest back under a new pid replaces its gone frame.
      if (g.labels.guest !== undefined)
        for (const [k, x] of this.#gone)
          if (x.group.labels.guest === g.labels.guest && x.group.labels.target === g.labels.target) this.#gone.delete(k);
    }
    for (const [k, x] of this.#shown) {
      if (now.has(k) || this.#gone.has(k)) continue;
      const m = x.member === undefined ? undefined : status.get(x.member);
      const reason = m && m.state !== "ok" ? `${m.state}${m.reason ? ` — ${m.reason}` : ""}` : undefined;
      this.#gone.set(k, { group: x.group, goneAt: sample.wall, reason });
    }
    while (this.#gone.size > 16) this.#gone.delete(this.#gone.keys().next().value as string);
    this.#shown = now;
    this.#notes = sample.members
      .filter((m) => m.state !== "ok")
      .map((m) => `${printable(m.uri)}: ${m.state}${m.reason ? ` — ${m.reason}` : ""}`);
    // An empty screen says why (no VM yet, a QEMU without KVM); it fills when statistics appear.
    const why = sample.files.length === 0 ? empty?.() : undefined;
    if (why !== undefined) this.#notes.push(`nothing to show: ${printable(why)}`);
  }

  /** Recomputes the groups of the latest sample (after a filter or drilldown change). */
  regroup(): void {
    const sample = this.#latest;
    if (!sample) return;
    const s = this.state;
    this.#groups = eventGroups(sample, {
      selector: this.#selector,
      fields: fieldsRegex(s.fields),
      pid: s.pid === "" ? undefined : s.pid,
      parts: s.drill,
    });
  }

  /** Forgets gone groups (after `c`). */
  clearGone(): void {
    this.#gone.clear();
  }

  /** The frame's lines. */
  lines(height: number | undefined, width?: number): Line[] {
    const gone = [...this.#gone.values()].filter((g) => this.state.pid === "" || g.group.labels.pid === this.state.pid);
    return kvmFrame({ groups: this.#groups, gone, notes: this.#notes, state: this.state, dead: this.#dead, height, width });
  }
}

/** `%10d`; a number of 10 characters or more keeps a space before it, so columns never run together. */
const col10 = (s: string) => (s.length >= 10 ? ` ${s}` : s.padStart(10));

/** `-1`: kvm_stat's batch output, `%-42s%10d%10d` (name, total, delta) per field, sorted. */
export function batchText(sample: Sample, filter: Parameters<typeof fieldSums>[1]): string {
  const sums = fieldSums(sample, filter);
  return columnsOf(sums)
    .map((name) => {
      const e = sums.get(name) as FieldSum;
      return `${padEnd(printable(name), 42)}${col10(amountText(e.total))}${col10(amountText(e.delta))}\n`;
    })
    .join("");
}
