/**
 * @module views/web/dashboard
 * The live dashboard behind `statsfs serve --http` at `/`: one {@link Feed} samples the sources
 * once per interval; each sample becomes entities (views/web/entities), is kept for 15 minutes
 * (views/web/history) and is pushed as Server-Sent Events to every open page — the `fleet`
 * event serialized once per sample for all pages, a `detail` event once per sample per entity
 * some page shows. A page's first event carries everything it needs; history is one request.
 * Opening more pages costs no polls and no more serializing.
 *
 * Entities that leave stay listed with their last values, marked gone (at HH:MM:SS, with the
 * member's reason) or failed, for as long as history is kept; members of the sources that are
 * not ok and have no entity (a QEMU that never answered) are listed as notes.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { MemberStatus, StatsSource } from "../../providers/source.js";
import { UnionSource } from "../../providers/union.js";
import type { Sample } from "../../sample/sampler.js";
import { acceptsGzip } from "../openmetrics/negotiate.js";
import { type Asset, loadAssets, SECURITY_HEADERS } from "./assets.js";
import { type LiveEntity, liveEntities } from "./entities.js";
import { Feed } from "./feed.js";
import { EntityHistory, Slots } from "./history.js";
import {
  type DetailEvent,
  type EntityMeta,
  type EntityState,
  type FleetEvent,
  type FleetValues,
  HISTORY_SECONDS,
  type MemberNote,
} from "./protocol.js";

/** Options of a {@link Dashboard}. */
export interface DashboardOptions {
  /** Time between samples in ms (default 1000). */
  readonly intervalMs?: number | undefined;
  /** Start sampling now (history from now), rather than at the first page (default false). */
  readonly eager?: boolean | undefined;
  /** Where the built page is (tests); default the package's dist/web. */
  readonly assets?: URL | undefined;
  /** Bytes queued for one page before it is dropped (it reconnects); default 8 MiB. */
  readonly maxQueued?: number | undefined;
  /** Pages connected at once; more are answered 503 (default 256). */
  readonly maxPages?: number | undefined;
}

interface Known {
  meta: EntityMeta;
  metaJson: string;
  last: LiveEntity;
  values: FleetValues;
  history: EntityHistory;
  /** The union member its files came from. */
  member: string | undefined;
}

interface Page {
  readonly res: ServerResponse;
  readonly key: string | undefined;
}

const SSE_HEADERS = {
  "Content-Type": "text/event-stream; charset=utf-8",
  "Cache-Control": "no-store",
  "X-Accel-Buffering": "no",
};

/** The dashboard of some sources: sampling, state, history and its pages. */
export class Dashboard {
  readonly feed: Feed;
  readonly #sources: readonly StatsSource[];
  readonly #union: UnionSource;
  readonly #slots: Slots;
  readonly #known = new Map<string, Known>();
  readonly #pages = new Set<Page>();
  readonly #maxQueued: number;
  readonly #maxPages: number;
  readonly #assets: Map<string, Asset> | string;
  #notes: MemberNote[] = [];
  #last: { seq: number; wall: number; seconds: number } | undefined;
  /** Events written (fleet events serialized: one per sample). */
  serialized = 0;

  constructor(sources: readonly StatsSource[], o: DashboardOptions = {}) {
    this.#sources = sources;
    // Never closed here: closing a union marks its members' shared polls gone for every view.
    this.#union = new UnionSource(sources);
    this.feed = new Feed(this.#union, { intervalMs: o.intervalMs });
    this.#slots = new Slots(Math.max(2, Math.ceil((HISTORY_SECONDS * 1000) / this.feed.intervalMs)));
    this.#maxQueued = o.maxQueued ?? 8 << 20;
    this.#maxPages = o.maxPages ?? 256;
    this.#assets = loadAssets(o.assets);
    this.feed.subscribe((s) => this.#onSample(s));
    if (o.eager) this.feed.start();
  }

  /** Pages connected now. */
  get pages(): number {
    return this.#pages.size;
  }

  /** Every member status of the sources (the union's, and the host's VMs, `shm:`'s files …). */
  #members(): { union: readonly MemberStatus[]; nested: MemberStatus[] } {
    const nested: MemberStatus[] = [];
    for (const s of this.#sources) for (const m of s.members ?? []) nested.push(m);
    return { union: this.#union.members, nested };
  }

  #onSample(s: Sample): void {
    const slot = this.#slots.push(s.seq, s.wall, s.seconds);
    void slot;
    this.#last = { seq: s.seq, wall: s.wall, seconds: s.seconds };
    const live = liveEntities(s.files, s.seconds);
    const { union, nested } = this.#members();
    const unionState = new Map(union.map((m) => [m.uri, m]));
    const nestedByPid = new Map<string, MemberStatus>();
    for (const m of nested) {
      const pid = /[?&]pid=(\d+)$/.exec(m.uri)?.[1];
      if (pid !== undefined) nestedByPid.set(pid, m);
    }
    const attributed = new Set<string>();
    const changed: EntityMeta[] = [];
    const dropped: string[] = [];
    for (const [key, e] of live) {
      const first = e.files[0]?.file;
      const member = first ? this.#union.memberOf(first) : undefined;
      let state: EntityState = "ok";
      let reason: string | undefined;
      const um = member === undefined ? undefined : unionState.get(member);
      if (um && um.state !== "ok") {
        state = um.state;
        reason = um.reason;
      }
      const meta0 = metaOf(e, state, reason, undefined);
      const nm = meta0.pid === undefined ? undefined : nestedByPid.get(meta0.pid);
      if (nm) attributed.add(nm.uri);
      if (member !== undefined) attributed.add(member);
      const meta = nm && nm.state !== "ok" && state === "ok" ? metaOf(e, nm.state, nm.reason, undefined) : meta0;
      let k = this.#known.get(key);
      const values = fleetValues(e);
      if (!k) {
        k = { meta, metaJson: "", last: e, values, history: new EntityHistory(this.#slots, s.seq), member };
        this.#known.set(key, k);
      }
      k.last = e;
      k.values = values;
      k.member = member;
      k.history.record(s.seq, e);
      const json = JSON.stringify(meta);
      if (json !== k.metaJson) {
        k.meta = meta;
        k.metaJson = json;
        changed.push(meta);
      }
    }
    for (const [key, k] of this.#known) {
      if (live.has(key)) continue;
      if (k.member !== undefined) attributed.add(k.member);
      if (k.meta.goneAt === undefined) {
        const um = k.member === undefined ? undefined : unionState.get(k.member);
        const nm = k.meta.pid === undefined ? undefined : nestedByPid.get(k.meta.pid);
        const why = um && um.state !== "ok" ? um : nm && nm.state !== "ok" ? nm : undefined;
        const state: EntityState = why?.state === "failed" ? "failed" : "gone";
        k.meta = metaOf(k.last, state, why?.reason, s.wall);
        k.metaJson = JSON.stringify(k.meta);
        // Last values stay; there is no change in an interval it was not in.
        k.values = { key, d: k.values.d, t: k.values.t };
        changed.push(k.meta);
      }
      if (k.meta.pid !== undefined) {
        const nm = nestedByPid.get(k.meta.pid);
        if (nm) attributed.add(nm.uri);
      }
      k.history.missing(s.seq);
      if (s.wall - (k.meta.goneAt ?? s.wall) > HISTORY_SECONDS * 1000) {
        this.#known.delete(key);
        dropped.push(key);
      }
    }
    this.#notes = [...union, ...nested]
      .filter((m) => m.state !== "ok" && !attributed.has(m.uri))
      .map((m) => (m.reason === undefined ? { uri: m.uri, state: m.state } : { uri: m.uri, state: m.state, reason: m.reason }));
    if (this.#pages.size === 0) return;
    const fleet = this.#fleetEvent(changed, dropped);
    this.serialized++;
    const details = new Map<string, string>();
    for (const p of this.#pages) {
      let text = fleet;
      if (p.key !== undefined) {
        let d = details.get(p.key);
        if (d === undefined) {
          d = this.#detailEvent(p.key) ?? "";
          details.set(p.key, d);
        }
        text += d;
      }
      this.#write(p, text);
    }
  }

  #fleetEvent(meta: readonly EntityMeta[], dropped: readonly string[]): string {
    const last = this.#last ?? { seq: -1, wall: Date.now(), seconds: 0 };
    const ev: FleetEvent = {
      seq: last.seq,
      wall: last.wall,
      seconds: last.seconds,
      interval: this.feed.intervalMs,
      meta,
      dropped,
      values: [...this.#known.values()].map((k) => k.values),
      notes: this.#notes,
    };
    return `event: fleet\ndata: ${JSON.stringify(ev)}\n\n`;
  }

  #detailEvent(key: string): string | undefined {
    const k = this.#known.get(key);
    if (!k || !this.#last) return undefined;
    const e = k.last;
    const ev: DetailEvent = {
      seq: this.#last.seq,
      key,
      parts: e.parts.map((p) => p.meta),
      values: e.parts.map((p) => p.values),
      ...(e.perFile ? { perFile: e.perFile } : {}),
    };
    return `event: detail\ndata: ${JSON.stringify(ev)}\n\n`;
  }

  #write(p: Page, text: string): void {
    if (p.res.destroyed) {
      this.#pages.delete(p);
      return;
    }
    // A page that cannot keep up is dropped; its EventSource reconnects and starts afresh.
    if (p.res.writableLength > this.#maxQueued) {
      this.#pages.delete(p);
      p.res.destroy();
      return;
    }
    p.res.write(text);
  }

  /**
   * Answers a dashboard request (`/`, its files, `/api/events`, `/api/history`); false when the
   * path is not the dashboard's. Authentication and the method check are done by the caller.
   */
  handle(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): boolean {
    const head = req.method === "HEAD";
    if (path === "/api/events") {
      this.feed.start();
      if (this.#pages.size >= this.#maxPages) {
        res
          .writeHead(503, { ...SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8", "Retry-After": "10" })
          .end(`statsfs: ${this.#maxPages} pages are open already\n`);
        return true;
      }
      res.writeHead(200, { ...SECURITY_HEADERS, ...SSE_HEADERS });
      if (head) {
        res.end();
        return true;
      }
      const key = query.get("e") ?? undefined;
      const page: Page = { res, key };
      res.write("retry: 2000\n\n");
      if (this.#last) {
        res.write(
          this.#fleetEvent(
            [...this.#known.values()].map((k) => k.meta),
            [],
          ),
        );
        if (key !== undefined) res.write(this.#detailEvent(key) ?? "");
      }
      this.#pages.add(page);
      const bye = () => this.#pages.delete(page);
      res.on("close", bye);
      req.socket.setTimeout(0);
      return true;
    }
    if (path === "/api/history") {
      this.feed.start();
      const key = query.get("e") ?? "";
      const k = this.#known.get(key);
      if (!k) {
        res.writeHead(404, { ...SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8" }).end("no such entity\n");
        return true;
      }
      const body = k.history.encode(key);
      res.writeHead(200, {
        ...SECURITY_HEADERS,
        "Content-Type": "application/octet-stream",
        "Content-Length": body.length,
        "Cache-Control": "no-store",
      });
      res.end(head ? undefined : body);
      return true;
    }
    const assets = this.#assets;
    if (path !== "/" && !(typeof assets !== "string" && assets.has(path))) return false;
    this.feed.start();
    if (typeof assets === "string") {
      res.writeHead(503, { ...SECURITY_HEADERS, "Content-Type": "text/plain; charset=utf-8" }).end(`statsfs: ${assets}\n`);
      return true;
    }
    const a = assets.get(path);
    if (!a) return false;
    if (req.headers["if-none-match"] === a.etag) {
      res.writeHead(304, { ...SECURITY_HEADERS, ETag: a.etag }).end();
      return true;
    }
    const gz = acceptsGzip(req.headers["accept-encoding"]);
    const body = gz ? a.gzip : a.body;
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      "Content-Type": a.type,
      "Content-Length": body.length,
      "Cache-Control": "no-cache",
      ETag: a.etag,
      Vary: "Accept-Encoding",
      ...(gz ? { "Content-Encoding": "gzip" } : {}),
    });
    res.end(head ? undefined : body);
    return true;
  }

  /** Stops sampling and ends every page's stream. */
  async close(): Promise<void> {
    for (const p of this.#pages) p.res.end();
    this.#pages.clear();
    await this.feed.close();
  }
}

function first(e: LiveEntity, label: string): string | undefined {
  for (const f of e.files) {
    const v = f.file.identity.labels[label];
    if (v !== undefined) return v;
  }
  return undefined;
}

function metaOf(e: LiveEntity, state: EntityState, reason: string | undefined, goneAt: number | undefined): EntityMeta {
  const guest = first(e, "guest");
  const pid = first(e, "pid");
  const uuid = first(e, "uuid");
  const vmm = first(e, "vmm");
  const source = first(e, "source");
  const routes = [
    ...new Set(e.files.flatMap((f) => (f.file.identity.labels.route === undefined ? [] : [f.file.identity.labels.route]))),
  ].sort();
  const vcpus = e.files.filter((f) => f.file.identity.labels.vcpu !== undefined).length;
  const id0 = e.files[0]?.file.identity;
  const name =
    guest ??
    (e.kind === "vm" && pid !== undefined
      ? `pid ${pid}`
      : source !== undefined
        ? (source.split("/")[1] ?? source)
        : (id0?.id.split("/")[0] ?? e.key));
  const stats = e.fleetPart ? e.fleetStats.flatMap((i) => (e.fleetPart?.meta.stats[i] ? [e.fleetPart.meta.stats[i]] : [])) : [];
  return {
    key: e.key,
    kind: e.kind,
    name,
    provider: id0?.provider ?? "",
    ...(guest !== undefined ? { guest } : {}),
    ...(pid !== undefined ? { pid } : {}),
    ...(uuid !== undefined ? { uuid } : {}),
    ...(vmm !== undefined ? { vmm } : {}),
    files: e.files.length,
    vcpus,
    routes,
    state,
    ...(reason !== undefined ? { reason } : {}),
    ...(goneAt !== undefined ? { goneAt } : {}),
    stats,
  };
}

function fleetValues(e: LiveEntity): FleetValues {
  const p = e.fleetPart;
  if (!p) return { key: e.key, d: [], t: [] };
  return { key: e.key, d: e.fleetStats.map((i) => p.values.d[i] ?? null), t: e.fleetStats.map((i) => p.values.t[i] ?? "0") };
}
