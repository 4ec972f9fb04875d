/**
 * @module providers/qmp/source
 * A QEMU (or our own QMP server) as a {@link StatsSource}. At open, query-stats-schemas once
 * gives the descriptors of each provider and target; every poll then runs one query-stats per
 * target (all sent at once) and writes the values into each file's data block in place. With
 * QEMU, whose lists come reversed, results, schema entries and histogram buckets are put back in
 * order (our server sends them in order already; it is recognised by its greeting). A poll whose
 * results no longer fit the files (a vCPU added, a histogram resized, a provider appeared)
 * fetches the schemas again and replaces the file list; a peer with no statistics yet (QEMU
 * without KVM answers `[]`) is asked for its schemas at every poll instead, so a stalled or
 * dead peer is noticed and statistics that appear are read. Every reply is checked first
 * ({@link checkResults}, {@link checkSchemas}): a malformed one is a one-line error naming its
 * JSON path, and a value outside 0..2^64−1 is refused rather than wrapped.
 */
import { AsyncClosable } from "../../closable.js";

import { MAX_LOG2_BUCKETS, MAX_VALUES } from "../../codec/layout.js";
import type { DescriptorInit } from "../../model/descriptor.js";
import { isHistogram, StatType } from "../../model/flags.js";
import { parseId, type StatsIdentity } from "../../model/identity.js";
import { printable } from "../../model/printable.js";
import type { StatsFile, StatsSchema } from "../../model/stats-file.js";
import type { QmpClient } from "../../qmp/client/client.js";
import { QmpProtocolError, QmpTimeoutError } from "../../qmp/errors.js";
import { NO_CAPABILITIES, type StatsSource } from "../source.js";
import { synthesizeIdentity, vmIdsFromVcpus } from "./identity.js";
import { buildSchema, descriptorInit } from "./schema-map.js";
import { checkResults, checkSchemas, type SchemaKinds, type WireResult } from "./wire.js";

/** Options of {@link QmpStatsSource.poll}. */
export interface QmpPollOptions {
  /**
   * Longest wait for the peer, in ms. When it passes the poll rejects with
   * {@link QmpTimeoutError} (the files keep the last values); the queries stay in flight and the
   * next poll waits for the same replies instead of sending more. Default: no bound beyond the
   * client's command timeout.
   */
  readonly timeoutMs?: number | undefined;
}

/** Where a statistic's values live in a file's data block. */
interface Slot {
  readonly word: number;
  readonly size: number;
}

/** One object's statistics as read over QMP. */
export class QmpStatsFile implements StatsFile {
  readonly identity: StatsIdentity;
  readonly schema: StatsSchema;
  readonly data: BigUint64Array;
  /** @internal Name → where its values go. */
  readonly slots: ReadonlyMap<string, Slot>;

  constructor(identity: StatsIdentity, schema: StatsSchema) {
    this.identity = identity;
    this.schema = schema;
    this.data = new BigUint64Array(schema.dataSize / 8);
    this.slots = new Map(schema.descriptors.map((d) => [d.name, { word: d.offset >>> 3, size: d.size }]));
  }
}

/** Options of {@link QmpStatsSource.open}. */
export interface QmpSourceOptions {
  /** QEMU's pid for the ids (`kvm-<pid>`); 0 when unknown. */
  readonly pid?: number;
  /** Whether the peer's lists come reversed (default: unless the peer is our own server). */
  readonly reversed?: boolean;
}

/** A QMP peer's statistics. */
export class QmpStatsSource extends AsyncClosable implements StatsSource {
  readonly capabilities = NO_CAPABILITIES;
  readonly uri: string;
  readonly client: QmpClient;
  /** True when the peer is QEMU (lists reversed), false for our own server. */
  readonly reversed: boolean;
  #files: QmpStatsFile[] = [];
  /** Files per target, in result order. */
  #byTarget = new Map<string, QmpStatsFile[]>();
  #schemas = new Map<string, DescriptorInit[]>();
  /** Per `provider\0target`: name → whether the schema declares a histogram. */
  #kindMaps = new Map<string, ReadonlyMap<string, boolean>>();
  #targets: string[] = [];
  readonly #pid: number;
  /** The refresh in progress (a poll that timed out leaves it running for the next one). */
  #inflight: Promise<void> | undefined;

  private constructor(uri: string, client: QmpClient, pid: number, reversed: boolean) {
    super();
    this.uri = uri;
    this.client = client;
    this.reversed = reversed;
    this.#pid = pid;
  }

  /** Reads the schemas and a first set of values. The source owns `client` from here on. */
  static async open(uri: string, client: QmpClient, options: QmpSourceOptions = {}): Promise<QmpStatsSource> {
    const s = new QmpStatsSource(uri, client, options.pid ?? 0, options.reversed ?? !client.isStatsfs);
    try {
      await s.#loadSchemas();
      const replies = await s.#query();
      s.#rebuild(replies);
    } catch (e) {
      await s.close();
      throw e;
    }
    return s;
  }

  get files(): readonly StatsFile[] {
    return this.#files;
  }

  /** Why the peer shows no statistics: QEMU without KVM answers [] to query-stats-schemas. */
  emptyReason(): string {
    const where = printable(this.uri.replace(/^qmp:/, ""));
    if (this.client.isStatsfs) return `statsfs serve at ${where} serves no statistics (its sources have none)`;
    const v = this.client.greeting.version;
    const providers = [...new Set([...this.#schemas.keys()].map((k) => k.split("\0")[0] as string))];
    const kvm = providers.includes("kvm")
      ? "provider kvm has no VM or vCPU objects"
      : "provider kvm absent: is it running with -accel kvm?";
    return `QEMU ${v.major}.${v.minor}.${v.micro} at ${where} reports no statistics (${kvm})`;
  }

  /** One query-stats per target; values written in place (or the files rebuilt). Bounded by `timeoutMs`. */
  async poll(options: QmpPollOptions = {}): Promise<void> {
    let run = this.#inflight;
    if (!run) {
      const started = this.#refresh().finally(() => {
        if (this.#inflight === started) this.#inflight = undefined;
      });
      // Whoever awaits sees a failure; one left behind by a timed-out poll is not unhandled.
      started.catch(() => {});
      this.#inflight = started;
      run = started;
    }
    const ms = options.timeoutMs;
    if (ms === undefined) return run;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new QmpTimeoutError(
              `${this.uri}: no reply to query-stats within ${ms} ms (the peer is stalled; values are from the last poll)`,
            ),
          ),
        Math.max(0, Math.min(ms, 2 ** 31 - 1)),
      );
    });
    try {
      await Promise.race([run, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #refresh(): Promise<void> {
    if (this.#targets.length === 0) {
      // No statistics so far (a QEMU without KVM answers []): a poll still asks the peer, so a
      // stalled or dead one is noticed, and starts reading statistics that have appeared since.
      await this.#loadSchemas();
      if (this.#targets.length > 0) this.#rebuild(await this.#query());
      return;
    }
    const replies = await this.#query();
    if (this.#update(replies)) return;
    await this.#loadSchemas();
    this.#rebuild(await this.#query());
  }

  /** A reply checked by `check`; a malformed one is a {@link QmpProtocolError} naming the source. */
  #checked<T>(reply: unknown, check: (r: unknown) => T, target?: string): T {
    try {
      return check(reply);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      throw new QmpProtocolError(`${this.uri}: ${why}${target === undefined ? "" : ` (target ${target})`}`);
    }
  }

  async #loadSchemas(): Promise<void> {
    const reply = this.#checked(await this.client.execute("query-stats-schemas"), checkSchemas);
    const schemas = this.reversed ? reply.reverse() : reply;
    this.#schemas = new Map();
    this.#kindMaps = new Map();
    const targets: string[] = [];
    for (const sc of schemas) {
      const stats = this.reversed ? [...sc.stats].reverse() : sc.stats;
      const inits = stats.map(descriptorInit).filter((d) => d !== undefined);
      this.#schemas.set(`${sc.provider}\0${sc.target}`, inits);
      this.#kindMaps.set(`${sc.provider}\0${sc.target}`, new Map(inits.map((d) => [d.name, isHistogram(d.type ?? StatType.Cumulative)])));
      if (!targets.includes(sc.target)) targets.push(sc.target);
    }
    this.#targets = targets;
  }

  /** Name → histogram? for each provider's statistics of `target`, as the schemas declare them. */
  #kinds(target: string): SchemaKinds {
    return (provider) => this.#kindMaps.get(`${provider}\0${target}`);
  }

  /** query-stats for every target, results in order, value counts checked against the schemas. */
  async #query(): Promise<Map<string, WireResult[]>> {
    const lists = await Promise.all(this.#targets.map((target) => this.client.execute("query-stats", { target })));
    const out = new Map<string, WireResult[]>();
    this.#targets.forEach((target, i) => {
      const kinds = this.#kinds(target);
      const list = this.#checked(lists[i], (r) => checkResults(r, kinds), target);
      out.set(target, this.reversed ? list.reverse() : list);
    });
    return out;
  }

  /** Writes values into the current files; false when the results do not fit them. */
  #update(replies: Map<string, WireResult[]>): boolean {
    for (const target of this.#targets) {
      const results = replies.get(target) ?? [];
      const files = this.#byTarget.get(target) ?? [];
      if (results.length !== files.length) return false;
      for (let i = 0; i < results.length; i++) {
        const r = results[i] as WireResult;
        const f = files[i] as QmpStatsFile;
        if (r.provider !== f.identity.provider || r["qom-path"] !== f.identity.path) return false;
        if (!this.#write(f, r)) return false;
      }
    }
    return true;
  }

  /** Writes one result's values into `f`; false when a list's length does not fit. */
  #write(f: QmpStatsFile, r: WireResult): boolean {
    const data = f.data;
    for (const st of r.stats) {
      const slot = f.slots.get(st.name);
      if (!slot) continue;
      const v = st.value;
      if (typeof v === "object") {
        if (v.length !== slot.size) return false;
        const n = v.length;
        for (let k = 0; k < n; k++) data[slot.word + k] = v[this.reversed ? n - 1 - k : k] as bigint;
      } else if (slot.size !== 1) {
        return false;
      } else {
        data[slot.word] = typeof v === "boolean" ? (v ? 1n : 0n) : v;
      }
    }
    return true;
  }

  /** New files from a set of results. */
  #rebuild(replies: Map<string, WireResult[]>): void {
    const files: QmpStatsFile[] = [];
    this.#byTarget = new Map();
    const shared = new Map<string, StatsSchema>();
    // A statsfs peer's VMs have no qom-path; their ids come back from their vCPUs' (`/kvm-77/vcpu-0`).
    const vmIds = vmIdsFromVcpus(replies.get("vcpu") ?? [], (replies.get("vm") ?? []).filter((r) => r.provider === "kvm").length);
    for (const target of this.#targets) {
      const list: QmpStatsFile[] = [];
      const index = new Map<string, number>();
      for (const r of replies.get(target) ?? []) {
        const provider = r.provider;
        const path = r["qom-path"];
        const i = index.get(provider) ?? 0;
        index.set(provider, i + 1);
        const identity =
          provider === "kvm" && target === "vm" && path === undefined && vmIds
            ? parseId(vmIds[i] as string)
            : synthesizeIdentity(provider, target, path, i, this.#pid);
        const id = identity.id;
        const sizes = new Map(r.stats.map((s) => [s.name, typeof s.value === "object" ? s.value.length : 1]));
        const inits = this.#schemas.get(`${provider}\0${target}`) ?? [];
        const key = `${provider}\0${target}\0${[...sizes].map(([n, z]) => `${n}=${z}`).join(",")}`;
        let schema = shared.get(key);
        if (!schema) {
          schema = buildSchema(inits, sizes, id);
          if (schema.dataSize / 8 > MAX_VALUES)
            throw new QmpProtocolError(`${this.uri}: ${id} would have ${schema.dataSize / 8} values, above the limit of ${MAX_VALUES}`);
          const wide = schema.descriptors.find((d) => d.type === StatType.Log2Histogram && d.size > MAX_LOG2_BUCKETS);
          if (wide)
            throw new QmpProtocolError(
              `${this.uri}: ${id} ${printable(wide.name)} is a log2 histogram of ${wide.size} buckets; at most ${MAX_LOG2_BUCKETS} can hold a u64 sample`,
            );
          shared.set(key, schema);
        }
        const f = new QmpStatsFile(identity, schema);
        this.#write(f, r);
        list.push(f);
        files.push(f);
      }
      this.#byTarget.set(target, list);
    }
    this.#files = files;
  }

  /** Disconnects; idempotent. */
  protected closing(): Promise<void> {
    return this.client.close();
  }
}
