/**
 * @module views/web/protocol
 * What the dashboard's server sends its pages: the shapes of the Server-Sent Events (`fleet`,
 * `detail`) and of the binary history answer. Shared by the server (views/web) and the page
 * (web/src), which imports only these types and the pure helpers of views/web/format.
 *
 * u64 totals travel as decimal strings (exact); per-interval changes as JSON numbers when they
 * fit 2^53 exactly, else as decimal strings. Rates are never sent: a page divides a change by
 * the interval's `seconds`, the same numbers the sampler computed its rates from.
 */
import type { KernelFields } from "../../model/descriptor.js";

/** How a statistic is shown: counts (per second), times (seconds per second), current values, histograms. */
export type StatKind = "count" | "time" | "gauge" | "hist";

/** A statistic of a part (a VM's vCPUs summed, a producer file …), with what formats it. */
export interface StatMeta extends KernelFields {
  /** Unique in its entity: `<part>:<name>`. */
  readonly id: string;
  readonly name: string;
  readonly kind: StatKind;
}

/** A number that may exceed 2^53: a JSON number when exact, else a decimal string. */
export type Wide = number | string;

/** The state of an entity (a VM, a producer source): a union member's state, or gone. */
export type EntityState = "ok" | "stale" | "failed" | "gone";

/** A VM, a producer source or another origin: one row of the fleet. */
export interface EntityMeta {
  readonly key: string;
  readonly kind: "vm" | "producer" | "other";
  /** What to call it: the guest name, `pid N`, the producer source's name. */
  readonly name: string;
  readonly provider: string;
  readonly guest?: string;
  readonly pid?: string;
  readonly uuid?: string;
  readonly vmm?: string;
  /** vCPU files (VMs), or files (others). */
  readonly files: number;
  readonly vcpus: number;
  /** How its files are read (host: routes), sorted. */
  readonly routes: readonly string[];
  readonly state: EntityState;
  readonly reason?: string;
  /** Date.now() when it went away (state gone or failed). */
  readonly goneAt?: number;
  /** The statistics its fleet row shows (the same order as {@link FleetValues}). */
  readonly stats: readonly StatMeta[];
}

/** One entity's fleet values at one sample: per stat of its meta, change and total. */
export interface FleetValues {
  readonly key: string;
  /** Change since the previous sample (gauges: the value now); null for an entity new in this sample. */
  readonly d: readonly (Wide | null)[];
  /** Totals (histograms: sample count), exact decimal. */
  readonly t: readonly string[];
}

/** A member of a source that is not ok and has no entity of its own (a failed VM, a stalled QEMU). */
export interface MemberNote {
  readonly uri: string;
  readonly state: EntityState;
  readonly reason?: string;
}

/** The `fleet` event, once per sample (the first one a page gets has every entity's meta). */
export interface FleetEvent {
  readonly seq: number;
  /** Date.now() of the sample. */
  readonly wall: number;
  /** Seconds since the previous sample (0 for the first). */
  readonly seconds: number;
  readonly interval: number;
  /** Entities new or changed since the previous event (all of them in a page's first). */
  readonly meta: readonly EntityMeta[];
  /** Keys of entities no longer listed at all (dropped after their gone time was kept). */
  readonly dropped: readonly string[];
  readonly values: readonly FleetValues[];
  readonly notes: readonly MemberNote[];
}

/** One part of an entity (a VM's VM-wide file, its vCPUs summed, one producer file). */
export interface PartMeta {
  readonly id: string;
  readonly label: string;
  /** A producer file's labels (label sets decoded) and path. */
  readonly labels: Readonly<Record<string, string>>;
  readonly files: number;
  readonly stats: readonly StatMeta[];
}

/** A part's values at one sample. */
export interface PartValues {
  readonly id: string;
  /** Per stat: change (gauges: value) and total, as in {@link FleetValues}. */
  readonly d: readonly (Wide | null)[];
  readonly t: readonly string[];
  /** Histograms, by stat id: bucket changes in this interval (null: new) and bucket totals. */
  readonly h: Readonly<Record<string, { readonly d: readonly number[] | null; readonly t: readonly string[] }>>;
}

/** Per-file series of a VM's vCPUs (one value per vCPU) for the vCPU × time heatmap. */
export interface PerFile {
  /** vCPU numbers (or file labels), in row order. */
  readonly rows: readonly string[];
  /** By statistic name: change in this interval per row (NaN-free: null for a new file). */
  readonly d: Readonly<Record<string, readonly (number | null)[]>>;
}

/** The `detail` event: the selected entity's parts, once per sample. */
export interface DetailEvent {
  readonly seq: number;
  readonly key: string;
  readonly parts: readonly PartMeta[];
  readonly values: readonly PartValues[];
  readonly perFile?: PerFile;
}

/**
 * The history answer (`/api/history?e=KEY`): a little-endian u32 header length, the header
 * (JSON, UTF-8), zero padding to a multiple of 8, then the arrays the header points into.
 */
export interface HistoryHeader {
  readonly key: string;
  /** Oldest first. */
  readonly seqs: readonly number[];
  readonly walls: readonly number[];
  readonly seconds: readonly number[];
  /** Float64 arrays of `seqs.length` values (NaN: no value), by stat id: change or gauge value. */
  readonly series: Readonly<Record<string, number>>;
  /** Float32 arrays of `seqs.length × size` bucket changes (slot-major), by stat id. */
  readonly buckets: Readonly<Record<string, number>>;
  /** Float32 arrays of `seqs.length × rows` per-file changes, by statistic name. */
  readonly perFile: Readonly<Record<string, number>>;
  readonly rows: readonly string[];
}

/** Statistics a VM's per-vCPU heatmap can show, in menu order (those the VM has). */
export const PER_VCPU_STATS: readonly string[] = ["exits", "halt_exits", "io_exits", "halt_wait_ns"];

/** Statistics of a VM's fleet row, in column order (those the VM has). */
export const VM_FLEET_STATS: readonly string[] = [
  "exits",
  "io_exits",
  "halt_exits",
  "halt_wait_ns",
  "halt_successful_poll",
  "halt_attempted_poll",
];

/** Samples kept by the server and the page (15 minutes at 1 s). */
export const HISTORY_SECONDS = 15 * 60;
