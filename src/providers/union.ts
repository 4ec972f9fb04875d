/**
 * @module providers/union
 * Several sources as one ({@link UnionSource}): `top A B`, `serve A B`. Members stay apart:
 * each file keeps its own id and labels; where two members' files could be confused (the same
 * qom-path from two QEMUs, the same id from two simulated VMs) the union tells them apart —
 * paths become `/<id>` (the member's path stays in the `qom_path` label; `/member-<i>/<id>`
 * where ids collide), where any two files share an identity, every file gains a `member` label. One member failing
 * removes only its own files (state `failed`, with the reason) and the others keep answering;
 * a member still polling at the deadline keeps its last values (state `stale`).
 */
import { AsyncClosable } from "../closable.js";
import { UsageError } from "../errors.js";
import { identityKey, type StatsIdentity, withLabels } from "../model/identity.js";
import { printable } from "../model/printable.js";
import type { StatsFile } from "../model/stats-file.js";
import { type Polled, pollAll, polled } from "./poll.js";
import type { MemberStatus, PollOptions, SourceCapabilities, StatsSource } from "./source.js";

/** A member's file as the union shows it: the member's data under a possibly amended identity. */
class MemberFile implements StatsFile {
  readonly identity: StatsIdentity;
  readonly inner: StatsFile;
  constructor(inner: StatsFile, identity: StatsIdentity) {
    this.inner = inner;
    this.identity = identity;
  }
  get schema() {
    return this.inner.schema;
  }
  get data() {
    return this.inner.data;
  }
  get raw() {
    return this.inner.raw;
  }
}

/** Whether a path already names its file's id (`/kvm-1/vcpu-0`, or `/app/http` of `statsfs/app/http`). */
function pathNamesId(i: StatsIdentity): boolean {
  return i.path === `/${i.id}` || `${i.provider}${i.path}` === i.id;
}

/** A member: its source and the process's one {@link Polled} of it (shared with other views). */
interface Member {
  readonly source: StatsSource;
  readonly polled: Polled;
}

/** Several sources polled together and shown as one. */
export class UnionSource extends AsyncClosable implements StatsSource {
  readonly uri: string;
  readonly capabilities: SourceCapabilities;
  readonly #members: Member[];
  #files: readonly StatsFile[] = [];
  /** Wrappers by member file, so a file keeps one object while its member keeps it. */
  #wrapped = new WeakMap<StatsFile, MemberFile>();
  /** Which member owns a shown file (for writes). */
  #owner = new WeakMap<StatsFile, Member>();

  constructor(members: readonly StatsSource[], uri = members.map((m) => m.uri).join(" ")) {
    super();
    this.uri = uri;
    this.#members = members.map((source) => ({ source, polled: polled(source) }));
    const caps = members.map((m) => m.capabilities);
    this.capabilities = {
      pollSync: caps.every((c) => c.pollSync),
      raw: caps.every((c) => c.raw),
      reset: caps.some((c) => c.reset),
    };
    this.#rebuild();
  }

  get files(): readonly StatsFile[] {
    return this.#files;
  }

  get members(): readonly MemberStatus[] {
    return this.#members.map((m) => m.polled.status(m.source.uri));
  }

  /** Why no member has files: each member's reason. */
  emptyReason(): string {
    return this.#members.map((m) => m.source.emptyReason?.() ?? `${m.source.uri}: no stats files`).join("; ");
  }

  /** The member sources, in order. */
  get sources(): readonly StatsSource[] {
    return this.#members.map((m) => m.source);
  }

  /** The URI of the member a shown file comes from. */
  memberOf(file: StatsFile): string | undefined {
    return this.#owner.get(file)?.source.uri;
  }

  pollSync(): void {
    for (const m of this.#members) m.polled.pollSync();
    this.#rebuild();
  }

  /**
   * Polls every member (one still answering an earlier poll, here or in another view, is
   * joined, not asked again); with `timeoutMs`, members still polling then are stale.
   */
  async poll(options: PollOptions = {}): Promise<void> {
    await pollAll(
      this.#members.map((m) => m.polled),
      options.timeoutMs,
      options,
    );
    this.#rebuild();
  }

  write(file: StatsFile, name: string, value: bigint | number): void {
    const m = this.#owner.get(file);
    const inner = file instanceof MemberFile ? file.inner : file;
    if (!m?.source.write || !m.source.capabilities.reset) {
      throw new UsageError(
        `${printable(m?.source.uri ?? this.uri)}: ${printable(file.identity.id)}: this source does not support resetting`,
      );
    }
    m.source.write(inner, name, value);
  }

  writable(file: StatsFile, name: string): boolean {
    const m = this.#owner.get(file);
    const inner = file instanceof MemberFile ? file.inner : file;
    return m?.source.writable?.(inner, name) ?? false;
  }

  /** Files of members that answered (or are stale), told apart where they would collide. */
  #rebuild(): void {
    const entries = this.#members.flatMap((m, index) =>
      m.polled.state === "ok" || m.polled.state === "stale" ? m.source.files.map((f) => ({ m, f, index })) : [],
    );
    const count = (key: (f: StatsFile) => string | undefined) => {
      const n = new Map<string, number>();
      for (const { f } of entries) {
        const k = key(f);
        if (k !== undefined) n.set(k, (n.get(k) ?? 0) + 1);
      }
      return n;
    };
    const ids = count((f) => f.identity.id);
    const keys = count((f) => identityKey(f.identity));
    // Where two members' files share an identity, every file gains its member's index, so
    // that each member's files still belong together.
    const anyClash = [...keys.values()].some((n) => n > 1);
    const out: StatsFile[] = [];
    for (const { m, f, index } of entries) {
      let id = f.identity;
      if (anyClash) id = withLabels(id, { member: String(index) });
      // With several members, a path names the object by its id (`/kvm-1234/vcpu-0`): one
      // member's objects are never renumbered against another's, whichever members are alive.
      // The member's own path stays in the qom_path label.
      if (id.path !== undefined && this.#members.length > 1 && !pathNamesId(id)) {
        const unique = (ids.get(id.id) ?? 0) === 1;
        id = { ...id, path: unique ? `/${id.id}` : `/member-${index}/${id.id}` };
      }
      if (id === f.identity) {
        this.#owner.set(f, m);
        out.push(f);
        continue;
      }
      let w = this.#wrapped.get(f);
      if (!w || identityKey(w.identity) !== identityKey(id) || w.identity.path !== id.path) {
        w = new MemberFile(f, id);
        this.#wrapped.set(f, w);
      }
      this.#owner.set(w, m);
      out.push(w);
    }
    this.#files = out;
  }

  /** Closes every member; idempotent. */
  protected async closing(): Promise<void> {
    for (const m of this.#members) m.polled.gone();
    const results = await Promise.allSettled(this.#members.map((m) => m.source.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
  }
}
