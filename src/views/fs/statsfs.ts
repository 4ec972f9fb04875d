/**
 * @module views/fs/statsfs
 * The statsfs filesystem as a FUSE request handler: node ids for tree paths, open handles,
 * and the answers to each request.
 *
 * - Node ids name paths, so a file that leaves and comes back keeps its id; requests for a
 *   path no longer in the tree fail with ENOENT, reads of a file that left while open with
 *   ENODEV, of a file whose source failed with EIO.
 * - `.stats` of a file backed by a real stats fd (`raw`) is that fd's bytes, read at the
 *   offset and size asked; other `.stats` files are encoded from schema and values.
 * - Reads are direct I/O. A value file's text is made when read at offset 0 (from values at
 *   most `maxAgeMs` old) and kept for reads further in, so `cat` sees one consistent value and
 *   a reader re-reading at 0 on a kept fd sees fresh ones. `.stats` serves the current bytes
 *   at any offset and size, like a kernel stats fd; past the end, 0 bytes.
 * - Writes: exactly `0` or `0\n` to a resettable file resets it; any other write (` 0`, `00`,
 *   empty, a number) is EINVAL; opening a file for writing that cannot be reset is EACCES.
 *   Truncation (`truncate`, ftruncate) and time changes (`touch`, utime) are EPERM, like chmod
 *   and chown, since they would change nothing; an open with O_TRUNC (as `echo 0 >` does) is
 *   allowed, but closing it without a reset written fails with EINVAL. Namespace changes
 *   (mkdir, rm, mv, ln) are EPERM, creating files EACCES.
 */
import { encodeStatsFile } from "../../codec/writer.js";
import {
  type Attr,
  type Dirent,
  type DirentPlus,
  DT_DIR,
  DT_LNK,
  DT_REG,
  decodeBatchForget,
  decodeFh,
  decodeForget,
  decodeName,
  decodeOpen,
  decodeRead,
  decodeSetattr,
  decodeWrite,
  Errno,
  encodeAttrOut,
  encodeDirents,
  encodeDirentsPlus,
  encodeEntry,
  encodeOpenOut,
  encodeStatfs,
  encodeWriteOut,
  Fattr,
  Op,
  OpenFlag,
  type Request,
  ROOT_ID,
  S_IFDIR,
  S_IFLNK,
  S_IFREG,
} from "../../fuse/protocol.js";
import type { FuseHandler, HandlerResult } from "../../fuse/session.js";
import type { StatsFile } from "../../model/stats-file.js";
import { toJson } from "../qapi/json.js";
import { queryStatsSchemas } from "../qapi/query-stats.js";
import type { FileRef, SourceSet } from "./sources.js";
import { isResetText, valueText } from "./text.js";
import { type DirNode, type FileNode, Tree, type TreeNode } from "./tree.js";

/** open(2)'s O_TRUNC, as OPEN's flags carry it (FUSE_ATOMIC_O_TRUNC is negotiated). */
const O_TRUNC = 0o1000;
/** SETATTR fields that would change a file: all refused. */
const CHANGES =
  Fattr.MODE | Fattr.UID | Fattr.GID | Fattr.SIZE | Fattr.ATIME | Fattr.MTIME | Fattr.ATIME_NOW | Fattr.MTIME_NOW | Fattr.CTIME;

/** Cache timeouts handed to the kernel for names and attributes, in seconds. */
const ENTRY_SECONDS = 1;
const ATTR_SECONDS = 1;

interface FileHandle {
  readonly kind: "file";
  node: FileNode;
  gen: number;
  readonly writable: boolean;
  /** Opened with O_TRUNC: a reset must be written before it is closed. */
  readonly trunc: boolean;
  /** A reset was written through this handle. */
  reset: boolean;
  text: Uint8Array | undefined;
}

interface DirHandle {
  readonly kind: "dir";
  readonly entries: readonly Dirent[];
  /** The directory's children by name, as listed. */
  readonly nodes: ReadonlyMap<string, TreeNode>;
}

const utf8 = new TextEncoder();
const EMPTY = new Uint8Array(0);

/** Encoded stats files, rebuilt only when a file's schema object changes. */
interface Encoded {
  readonly schema: StatsFile["schema"];
  readonly bytes: Uint8Array;
  readonly dataOffset: number;
}

/** True when two signatures list the same file objects (sources may rebuild their arrays per poll). */
function sameFiles(a: readonly (readonly StatsFile[])[], b: readonly (readonly StatsFile[])[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as readonly StatsFile[];
    const y = b[i] as readonly StatsFile[];
    if (x === y) continue;
    if (x.length !== y.length) return false;
    for (let k = 0; k < x.length; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

/** The filesystem. */
export class StatsFs implements FuseHandler {
  readonly sources: SourceSet;
  #tree: Tree;
  #sig: readonly (readonly StatsFile[])[];
  #gen = 0;
  readonly #ids = new Map<string, bigint>([["", ROOT_ID]]);
  readonly #paths = new Map<bigint, string>([[ROOT_ID, ""]]);
  readonly #lookups = new Map<bigint, bigint>();
  #nextId = 2n;
  readonly #handles = new Map<bigint, FileHandle | DirHandle>();
  #nextFh = 1n;
  readonly #encoded = new WeakMap<StatsFile, Encoded>();
  readonly #schemas = new WeakMap<DirNode, Uint8Array>();
  readonly #mtimeMs = Date.now();
  readonly #uid: number;
  readonly #gid: number;

  constructor(sources: SourceSet) {
    this.sources = sources;
    this.#sig = sources.signature();
    this.#tree = new Tree(sources.refs());
    this.#uid = process.getuid?.() ?? 0;
    this.#gid = process.getgid?.() ?? 0;
  }

  /** The current tree (rebuilt when the sources' files changed). */
  get tree(): Tree {
    const sig = this.sources.signature();
    if (!sameFiles(sig, this.#sig)) {
      this.#tree = new Tree(this.sources.refs());
      this.#gen++;
    }
    this.#sig = sig;
    return this.#tree;
  }

  /** Open file and directory handles. */
  get openHandles(): number {
    return this.#handles.size;
  }

  handle(req: Request): HandlerResult | Promise<HandlerResult> {
    const { opcode, nodeid } = req.header;
    switch (opcode) {
      case Op.LOOKUP:
        return this.#afterScan(() => this.#lookup(nodeid, decodeName(req.body)));
      case Op.FORGET:
        this.#forget(nodeid, decodeForget(req.body));
        return undefined;
      case Op.BATCH_FORGET:
        for (const f of decodeBatchForget(req.body)) this.#forget(f.nodeid, f.nlookup);
        return undefined;
      case Op.GETATTR:
        return this.#getattr(nodeid);
      case Op.SETATTR:
        return this.#setattr(nodeid, req.body);
      case Op.READLINK: {
        const n = this.#node(nodeid);
        if (!n) return Errno.ENOENT;
        return n.kind === "link" ? utf8.encode(n.target) : Errno.EINVAL;
      }
      case Op.OPEN:
        return this.#open(nodeid, decodeOpen(req.body).flags);
      case Op.READ:
        return this.#read(req.body);
      case Op.WRITE:
        return this.#write(req.body);
      case Op.FLUSH:
        return this.#flush(req.body);
      case Op.FSYNC:
        return EMPTY;
      case Op.RELEASE:
      case Op.RELEASEDIR:
        this.#handles.delete(decodeFh(req.body));
        return EMPTY;
      case Op.OPENDIR:
        return this.#afterScan(() => this.#opendir(nodeid));
      case Op.READDIR:
        return this.#readdir(req.body);
      case Op.READDIRPLUS:
        return this.#readdirplus(req.body);
      case Op.FSYNCDIR:
        return EMPTY;
      case Op.STATFS:
        return encodeStatfs(this.tree.count);
      case Op.INTERRUPT:
        return undefined;
      case Op.MKDIR:
      case Op.UNLINK:
      case Op.RMDIR:
      case Op.RENAME:
      case Op.RENAME2:
      case Op.LINK:
      case Op.SYMLINK:
        return Errno.EPERM;
      case Op.MKNOD:
      case Op.CREATE:
      case Op.TMPFILE:
        return Errno.EACCES;
      default:
        return Errno.ENOSYS;
    }
  }

  #afterScan(fn: () => HandlerResult): HandlerResult | Promise<HandlerResult> {
    const p = this.sources.scan();
    return p ? p.then(fn) : fn();
  }

  #idOf(path: string): bigint {
    let id = this.#ids.get(path);
    if (id === undefined) {
      id = this.#nextId++;
      this.#ids.set(path, id);
      this.#paths.set(id, path);
    }
    return id;
  }

  #node(nodeid: bigint): TreeNode | undefined {
    const path = this.#paths.get(nodeid);
    return path === undefined ? undefined : this.tree.byPath.get(path);
  }

  #forget(nodeid: bigint, n: bigint): void {
    if (nodeid === ROOT_ID) return;
    const left = (this.#lookups.get(nodeid) ?? 0n) - n;
    if (left > 0n) {
      this.#lookups.set(nodeid, left);
      return;
    }
    this.#lookups.delete(nodeid);
    const path = this.#paths.get(nodeid);
    if (path !== undefined && !this.tree.byPath.has(path)) {
      this.#paths.delete(nodeid);
      this.#ids.delete(path);
    }
  }

  #attr(node: TreeNode, id: bigint): Attr {
    const base = { ino: id, uid: this.#uid, gid: this.#gid, mtimeMs: this.#mtimeMs };
    if (node.kind === "dir") {
      let dirs = 0;
      for (const c of node.children.values()) if (c.kind === "dir") dirs++;
      return { ...base, size: 0, mode: S_IFDIR | 0o555, nlink: 2 + dirs };
    }
    if (node.kind === "link") return { ...base, size: utf8.encode(node.target).byteLength, mode: S_IFLNK | 0o777, nlink: 1 };
    return { ...base, size: this.#size(node), mode: S_IFREG | (node.reset ? 0o644 : 0o444), nlink: 1 };
  }

  /** The size stat reports: the current text's length (reads are direct I/O and not bound by it). */
  #size(node: FileNode): number {
    const raw = node.content.kind === "stats" ? node.content.dir.own?.file.raw : undefined;
    if (raw?.size !== undefined) return raw.size;
    try {
      return this.#bytes(node).byteLength;
    } catch {
      return 0;
    }
  }

  #lookup(parent: bigint, name: string): HandlerResult {
    const dir = this.#node(parent);
    if (!dir) return Errno.ENOENT;
    if (dir.kind !== "dir") return Errno.ENOTDIR;
    const child = dir.children.get(name);
    if (!child) return Errno.ENOENT;
    const id = this.#idOf(child.path);
    this.#lookups.set(id, (this.#lookups.get(id) ?? 0n) + 1n);
    return encodeEntry(id, 0n, ENTRY_SECONDS, ATTR_SECONDS, this.#attr(child, id));
  }

  #getattr(nodeid: bigint): HandlerResult {
    const n = this.#node(nodeid);
    if (!n) return Errno.ENOENT;
    return encodeAttrOut(ATTR_SECONDS, this.#attr(n, nodeid));
  }

  #setattr(nodeid: bigint, body: Uint8Array): HandlerResult {
    const n = this.#node(nodeid);
    if (!n) return Errno.ENOENT;
    const s = decodeSetattr(body);
    // Mode, owner, size and times cannot change: refused rather than reported done. (An open
    // with O_TRUNC sends no SETATTR: ATOMIC_O_TRUNC puts it in OPEN's flags.)
    if (s.valid & CHANGES) return Errno.EPERM;
    return encodeAttrOut(ATTR_SECONDS, this.#attr(n, nodeid));
  }

  #open(nodeid: bigint, flags: number): HandlerResult {
    const n = this.#node(nodeid);
    if (!n) return Errno.ENOENT;
    if (n.kind === "dir") return Errno.EISDIR;
    if (n.kind !== "file") return Errno.ELOOP;
    const acc = flags & 3;
    const writable = acc === 1 || acc === 2;
    if (writable && !n.reset) return Errno.EACCES;
    const trunc = writable && (flags & O_TRUNC) !== 0;
    const fh = this.#nextFh++;
    this.#handles.set(fh, { kind: "file", node: n, gen: this.#gen, writable, trunc, reset: false, text: undefined });
    // Only a truncating open needs to hear of its close (FLUSH): to refuse it when no reset came.
    return encodeOpenOut(fh, OpenFlag.DIRECT_IO | (trunc ? 0 : OpenFlag.NOFLUSH));
  }

  /** close(2) of a handle: one opened with O_TRUNC that wrote no reset fails with EINVAL. */
  #flush(body: Uint8Array): HandlerResult {
    const h = this.#handles.get(decodeFh(body));
    if (h?.kind === "file" && h.trunc && !h.reset) return Errno.EINVAL;
    return EMPTY;
  }

  /** The files a file's content depends on. */
  #refs(node: FileNode): readonly FileRef[] {
    const c = node.content;
    switch (c.kind) {
      case "value":
        return [c.ref];
      case "aggregate":
        return c.agg.refsOf(c.index);
      case "schema":
        return [];
      case "stats":
        return c.dir.own ? [c.dir.own] : (c.dir.agg?.refs ?? []);
    }
  }

  /** The handle's node in the current tree, or the errno of why it has none. */
  #current(h: FileHandle): FileNode | number {
    this.tree; // rebuild if needed
    if (h.gen !== this.#gen) {
      const now = this.#tree.byPath.get(h.node.path);
      if (now?.kind !== "file" || now.content.kind !== h.node.content.kind) {
        return this.#refs(h.node).some((r) => r.owner.failed !== undefined) ? Errno.EIO : Errno.ENODEV;
      }
      h.node = now;
      h.gen = this.#gen;
    }
    for (const r of this.#refs(h.node)) {
      const why = this.sources.liveness(r);
      if (why === "failed") return Errno.EIO;
      if (why === "gone") return Errno.ENODEV;
    }
    return h.node;
  }

  #read(body: Uint8Array): HandlerResult | Promise<HandlerResult> {
    const r = decodeRead(body);
    const h = this.#handles.get(r.fh);
    if (h?.kind !== "file") return Errno.EBADF;
    const offset = r.offset > BigInt(Number.MAX_SAFE_INTEGER) ? Number.MAX_SAFE_INTEGER : Number(r.offset);
    const node = this.#current(h);
    if (typeof node === "number") return node;
    const kind = node.content.kind;
    const serve = (): HandlerResult => {
      const again = this.#current(h);
      if (typeof again === "number") return again;
      if (kind === "stats" || offset === 0 || h.text === undefined) h.text = this.#bytes(again);
      const text = h.text;
      if (offset >= text.byteLength) return EMPTY;
      return text.subarray(offset, Math.min(text.byteLength, offset + r.size));
    };
    // A file backed by a real stats fd serves the kernel's own bytes, read at the offset asked.
    const raw = kind === "stats" && node.content.kind === "stats" ? node.content.dir.own?.file.raw : undefined;
    if (raw) {
      const out = new Uint8Array(Math.min(r.size, 1 << 20));
      try {
        return out.subarray(0, raw.pread(out, offset));
      } catch {
        return Errno.EIO;
      }
    }
    const needsFresh = kind === "stats" || (kind !== "schema" && (offset === 0 || h.text === undefined));
    const p = needsFresh ? this.sources.freshen(this.#refs(node)) : undefined;
    return p ? p.then(serve) : serve();
  }

  /** A file's current bytes (values as they are now; callers freshen first). */
  #bytes(node: FileNode): Uint8Array {
    const c = node.content;
    switch (c.kind) {
      case "value": {
        const d = c.ref.file.schema.descriptors[c.index];
        return d ? utf8.encode(valueText(d, c.ref.file.data)) : EMPTY;
      }
      case "aggregate": {
        const d = c.agg.schema.descriptors[c.index];
        if (!d) return EMPTY;
        c.agg.evaluate(c.index);
        return utf8.encode(valueText(d, c.agg.data));
      }
      case "schema": {
        // Schemas are read once per file: the text is made once per directory of a tree.
        let text = this.#schemas.get(c.dir);
        if (!text) {
          const files = [c.dir.own?.file, c.dir.agg].filter((f): f is StatsFile => f !== undefined);
          text = utf8.encode(`${toJson(queryStatsSchemas(files), 2)}\n`);
          this.#schemas.set(c.dir, text);
        }
        return text;
      }
      case "stats": {
        const file = c.dir.own?.file ?? c.dir.agg;
        if (!file) return EMPTY;
        if (file === c.dir.agg) c.dir.agg.evaluateAll();
        return this.#encode(file);
      }
    }
  }

  /** `file` in the kernel's layout with its current values. */
  #encode(file: StatsFile): Uint8Array {
    let e = this.#encoded.get(file);
    if (!e || e.schema !== file.schema) {
      const bytes = encodeStatsFile({
        id: file.identity.id,
        descriptors: file.schema.descriptors,
        nameSize: file.schema.nameSize,
        dataSize: file.schema.dataSize,
      });
      e = { schema: file.schema, bytes, dataOffset: bytes.byteLength - file.schema.dataSize };
      this.#encoded.set(file, e);
    }
    const d = file.data;
    e.bytes.set(new Uint8Array(d.buffer, d.byteOffset, Math.min(d.byteLength, file.schema.dataSize)), e.dataOffset);
    return e.bytes;
  }

  #write(body: Uint8Array): HandlerResult {
    const w = decodeWrite(body);
    const h = this.#handles.get(w.fh);
    if (h?.kind !== "file" || !h.writable) return Errno.EBADF;
    const node = this.#current(h);
    if (typeof node === "number") return node;
    if (!node.reset) return Errno.EACCES;
    if (!isResetText(w.data)) return Errno.EINVAL;
    try {
      node.reset();
    } catch {
      return Errno.EACCES;
    }
    h.reset = true;
    // The next read shows the reset value, whatever the polling interval.
    for (const r of this.#refs(node)) r.owner.polled.expire();
    h.text = undefined;
    return encodeWriteOut(w.size);
  }

  #opendir(nodeid: bigint): HandlerResult {
    const n = this.#node(nodeid);
    if (!n) return Errno.ENOENT;
    if (n.kind !== "dir") return Errno.ENOTDIR;
    const parentPath = n.path.slice(0, Math.max(0, n.path.lastIndexOf("/")));
    const entries: Dirent[] = [
      { ino: nodeid, off: 1, type: DT_DIR, name: "." },
      { ino: this.#idOf(parentPath), off: 2, type: DT_DIR, name: ".." },
    ];
    for (const c of n.children.values()) {
      const type = c.kind === "dir" ? DT_DIR : c.kind === "link" ? DT_LNK : DT_REG;
      entries.push({ ino: this.#idOf(c.path), off: entries.length + 1, type, name: c.name });
    }
    const fh = this.#nextFh++;
    this.#handles.set(fh, { kind: "dir", entries, nodes: new Map(n.children) });
    return encodeOpenOut(fh, 0);
  }

  #readdir(body: Uint8Array): HandlerResult {
    const r = decodeRead(body);
    const h = this.#handles.get(r.fh);
    if (h?.kind !== "dir") return Errno.EBADF;
    const from = Number(r.offset);
    if (from >= h.entries.length) return EMPTY;
    return encodeDirents(h.entries.slice(from), r.size);
  }

  /** READDIRPLUS: entries with their attributes, so that the kernel needs no LOOKUP for them. */
  #readdirplus(body: Uint8Array): HandlerResult {
    const r = decodeRead(body);
    const h = this.#handles.get(r.fh);
    if (h?.kind !== "dir") return Errno.EBADF;
    const from = Number(r.offset);
    if (from >= h.entries.length) return EMPTY;
    // Entries that fit (at most r.size bytes; each is at least 152).
    const slice = h.entries.slice(from, from + Math.max(1, Math.floor(r.size / 152)));
    const plus: DirentPlus[] = slice.map((e) => {
      const node = e.name === "." || e.name === ".." ? undefined : h.nodes.get(e.name);
      const entry = node ? encodeEntry(e.ino, 0n, ENTRY_SECONDS, ATTR_SECONDS, this.#attr(node, e.ino)) : new Uint8Array(128);
      return { ...e, entry };
    });
    const { bytes, count } = encodeDirentsPlus(plus, r.size);
    for (const e of plus.slice(0, count)) {
      if (e.name === "." || e.name === "..") continue;
      this.#lookups.set(e.ino, (this.#lookups.get(e.ino) ?? 0n) + 1n);
    }
    return bytes;
  }
}
