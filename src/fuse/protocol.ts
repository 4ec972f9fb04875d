/**
 * @module fuse/protocol
 * The FUSE kernel protocol (include/uapi/linux/fuse.h, 7.x), pure: requests as the kernel
 * writes them to /dev/fuse decoded from bytes, replies encoded to the bytes the kernel expects.
 * No I/O, no Node imports: golden byte tests run without a kernel.
 *
 * Why our own: no maintained Node binding exists (fuse-native is unmaintained and needs a
 * native build against libfuse 2; other packages wrap it), while the part of the protocol a
 * read-mostly filesystem needs is small: fixed little-endian structs and one reply per request.
 *
 * Every request starts with a 40-byte header (len, opcode, unique, nodeid, uid, gid, pid,
 * total_extlen, padding); every reply with a 16-byte one (len, −errno, unique). All integers
 * are in the host's byte order, little-endian on every machine statsfs runs on.
 */
import { FuseProtocolError } from "../errors.js";

/** Request opcodes (enum fuse_opcode). */
export const Op = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  SETATTR: 4,
  READLINK: 5,
  SYMLINK: 6,
  MKNOD: 8,
  MKDIR: 9,
  UNLINK: 10,
  RMDIR: 11,
  RENAME: 12,
  LINK: 13,
  OPEN: 14,
  READ: 15,
  WRITE: 16,
  STATFS: 17,
  RELEASE: 18,
  FSYNC: 20,
  SETXATTR: 21,
  GETXATTR: 22,
  LISTXATTR: 23,
  REMOVEXATTR: 24,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  FSYNCDIR: 30,
  ACCESS: 34,
  CREATE: 35,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
  FALLOCATE: 43,
  READDIRPLUS: 44,
  RENAME2: 45,
  TMPFILE: 51,
} as const;

/** Protocol version we speak: 7.36 (FOPEN_NOFLUSH is 7.35; nothing of 7.37+ is needed). */
export const KERNEL_VERSION = 7;
export const KERNEL_MINOR_VERSION = 36;
/** The root directory's node id. */
export const ROOT_ID = 1n;
/** Smallest read buffer /dev/fuse accepts. */
export const MIN_READ_BUFFER = 8192;

/** INIT flags (the ones we use). */
export const InitFlag = {
  ASYNC_READ: 1 << 0,
  ATOMIC_O_TRUNC: 1 << 3,
  BIG_WRITES: 1 << 5,
  DO_READDIRPLUS: 1 << 13,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
} as const;

/** OPEN reply flags. */
export const OpenFlag = {
  DIRECT_IO: 1 << 0,
  KEEP_CACHE: 1 << 1,
  NONSEEKABLE: 1 << 2,
  CACHE_DIR: 1 << 3,
  NOFLUSH: 1 << 5,
} as const;

/** fuse_setattr_in.valid bits. */
export const Fattr = {
  MODE: 1 << 0,
  UID: 1 << 1,
  GID: 1 << 2,
  SIZE: 1 << 3,
  ATIME: 1 << 4,
  MTIME: 1 << 5,
  FH: 1 << 6,
  ATIME_NOW: 1 << 7,
  MTIME_NOW: 1 << 8,
  LOCKOWNER: 1 << 9,
  CTIME: 1 << 10,
  KILL_SUIDGID: 1 << 11,
} as const;

/** Linux errno numbers replies use. */
export const Errno = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EEXIST: 17,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EFBIG: 27,
  EROFS: 30,
  ERANGE: 34,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENODATA: 61,
  EPROTO: 71,
  EOPNOTSUPP: 95,
} as const;

/** Mode bits of the file types we serve. */
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
/** dirent types (DT_*). */
export const DT_DIR = 4;
export const DT_REG = 8;
export const DT_LNK = 10;

export const IN_HEADER_SIZE = 40;
export const OUT_HEADER_SIZE = 16;
export const ATTR_SIZE = 88;
export const ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
export const ATTR_OUT_SIZE = 16 + ATTR_SIZE;
export const INIT_OUT_SIZE = 64;
export const STATFS_OUT_SIZE = 80;
export const DIRENT_HEADER_SIZE = 24;

/** The request header. */
export interface InHeader {
  readonly len: number;
  readonly opcode: number;
  readonly unique: bigint;
  readonly nodeid: bigint;
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

/** One request: its header and the bytes after it (the opcode's argument struct, names, data). */
export interface Request {
  readonly header: InHeader;
  /** The body, `len − 40` bytes (extensions excluded). */
  readonly body: Uint8Array;
}

function view(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Decodes one request as read from /dev/fuse (one read returns exactly one request). */
export function decodeRequest(bytes: Uint8Array): Request {
  if (bytes.byteLength < IN_HEADER_SIZE)
    throw new FuseProtocolError(`request of ${bytes.byteLength} bytes is shorter than its 40-byte header`);
  const v = view(bytes);
  const len = v.getUint32(0, true);
  if (len < IN_HEADER_SIZE || len > bytes.byteLength) {
    throw new FuseProtocolError(`request header says ${len} bytes, ${bytes.byteLength} were read`);
  }
  const extlen = v.getUint16(36, true) * 8;
  const header: InHeader = {
    len,
    opcode: v.getUint32(4, true),
    unique: v.getBigUint64(8, true),
    nodeid: v.getBigUint64(16, true),
    uid: v.getUint32(24, true),
    gid: v.getUint32(28, true),
    pid: v.getUint32(32, true),
  };
  const end = Math.max(IN_HEADER_SIZE, len - extlen);
  return { header, body: bytes.subarray(IN_HEADER_SIZE, end) };
}

function need(body: Uint8Array, size: number, what: string): DataView {
  if (body.byteLength < size) throw new FuseProtocolError(`${what} needs ${size} bytes, got ${body.byteLength}`);
  return view(body);
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/** A NUL-terminated name at `at` (LOOKUP, MKDIR, UNLINK, …). */
export function decodeName(body: Uint8Array, at = 0): string {
  const end = body.indexOf(0, at);
  return utf8.decode(body.subarray(at, end < 0 ? body.byteLength : end));
}

/** fuse_init_in. */
export interface InitIn {
  readonly major: number;
  readonly minor: number;
  readonly maxReadahead: number;
  readonly flags: number;
}
export function decodeInit(body: Uint8Array): InitIn {
  const v = need(body, 16, "INIT");
  return { major: v.getUint32(0, true), minor: v.getUint32(4, true), maxReadahead: v.getUint32(8, true), flags: v.getUint32(12, true) };
}

/** fuse_open_in (OPEN, OPENDIR). */
export interface OpenIn {
  readonly flags: number;
}
export function decodeOpen(body: Uint8Array): OpenIn {
  return { flags: need(body, 8, "OPEN").getUint32(0, true) };
}

/** fuse_read_in (READ, READDIR). */
export interface ReadIn {
  readonly fh: bigint;
  readonly offset: bigint;
  readonly size: number;
}
export function decodeRead(body: Uint8Array): ReadIn {
  const v = need(body, 24, "READ");
  return { fh: v.getBigUint64(0, true), offset: v.getBigUint64(8, true), size: v.getUint32(16, true) };
}

/** fuse_write_in and the data after it. */
export interface WriteIn {
  readonly fh: bigint;
  readonly offset: bigint;
  readonly size: number;
  readonly data: Uint8Array;
}
export function decodeWrite(body: Uint8Array): WriteIn {
  const v = need(body, 40, "WRITE");
  const size = v.getUint32(16, true);
  const data = body.subarray(40, 40 + size);
  if (data.byteLength !== size) throw new FuseProtocolError(`WRITE of ${size} bytes carries ${data.byteLength}`);
  return { fh: v.getBigUint64(0, true), offset: v.getBigUint64(8, true), size, data };
}

/** fuse_release_in (RELEASE, RELEASEDIR); fuse_flush_in shares the leading fh. */
export function decodeFh(body: Uint8Array): bigint {
  return need(body, 8, "file handle").getBigUint64(0, true);
}

/** fuse_setattr_in (the fields we look at). */
export interface SetattrIn {
  readonly valid: number;
  readonly fh: bigint;
  readonly size: bigint;
  readonly mode: number;
  readonly uid: number;
  readonly gid: number;
}
export function decodeSetattr(body: Uint8Array): SetattrIn {
  const v = need(body, 88, "SETATTR");
  return {
    valid: v.getUint32(0, true),
    fh: v.getBigUint64(8, true),
    size: v.getBigUint64(16, true),
    mode: v.getUint32(68, true),
    uid: v.getUint32(76, true),
    gid: v.getUint32(80, true),
  };
}

/** fuse_forget_in: how many lookups the kernel drops for the header's node. */
export function decodeForget(body: Uint8Array): bigint {
  return need(body, 8, "FORGET").getBigUint64(0, true);
}

/** fuse_batch_forget_in with its fuse_forget_one entries. */
export function decodeBatchForget(body: Uint8Array): { nodeid: bigint; nlookup: bigint }[] {
  const v = need(body, 8, "BATCH_FORGET");
  const count = v.getUint32(0, true);
  const out: { nodeid: bigint; nlookup: bigint }[] = [];
  for (let i = 0; i < count && 8 + i * 16 + 16 <= body.byteLength; i++) {
    out.push({ nodeid: v.getBigUint64(8 + i * 16, true), nlookup: v.getBigUint64(16 + i * 16, true) });
  }
  return out;
}

/** fuse_interrupt_in: the unique of the request to interrupt. */
export function decodeInterrupt(body: Uint8Array): bigint {
  return need(body, 8, "INTERRUPT").getBigUint64(0, true);
}

// ---------------------------------------------------------------------------------------------
// Replies

/** A reply's bytes: out header plus `payload`. */
export function encodeReply(unique: bigint, payload: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(OUT_HEADER_SIZE + payload.byteLength);
  const v = view(out);
  v.setUint32(0, out.byteLength, true);
  v.setInt32(4, 0, true);
  v.setBigUint64(8, unique, true);
  out.set(payload, OUT_HEADER_SIZE);
  return out;
}

/** An error reply: the header alone, with −errno. */
export function encodeError(unique: bigint, errno: number): Uint8Array {
  const out = new Uint8Array(OUT_HEADER_SIZE);
  const v = view(out);
  v.setUint32(0, OUT_HEADER_SIZE, true);
  v.setInt32(4, -Math.abs(errno), true);
  v.setBigUint64(8, unique, true);
  return out;
}

/** A node's attributes (fuse_attr). Times are seconds + nanoseconds. */
export interface Attr {
  readonly ino: bigint;
  readonly size: number;
  /** Type and permission bits (S_IFREG | 0o444, …). */
  readonly mode: number;
  readonly nlink: number;
  readonly uid: number;
  readonly gid: number;
  /** Modification time in milliseconds since the epoch (also used for atime and ctime). */
  readonly mtimeMs: number;
}

function putAttr(v: DataView, at: number, a: Attr): void {
  const sec = BigInt(Math.floor(a.mtimeMs / 1000));
  const nsec = Math.floor((a.mtimeMs % 1000) * 1e6);
  v.setBigUint64(at, a.ino, true);
  v.setBigUint64(at + 8, BigInt(a.size), true);
  v.setBigUint64(at + 16, BigInt(Math.ceil(a.size / 512)), true);
  for (const o of [24, 32, 40]) v.setBigUint64(at + o, sec, true);
  for (const o of [48, 52, 56]) v.setUint32(at + o, nsec, true);
  v.setUint32(at + 60, a.mode, true);
  v.setUint32(at + 64, a.nlink, true);
  v.setUint32(at + 68, a.uid, true);
  v.setUint32(at + 72, a.gid, true);
  v.setUint32(at + 76, 0, true); // rdev
  v.setUint32(at + 80, 4096, true); // blksize
  v.setUint32(at + 84, 0, true); // flags
}

function splitSeconds(s: number): [bigint, number] {
  const whole = Math.floor(s);
  return [BigInt(whole), Math.round((s - whole) * 1e9)];
}

/** fuse_entry_out (LOOKUP). `entrySeconds` and `attrSeconds` are the kernel's cache timeouts. */
export function encodeEntry(nodeid: bigint, generation: bigint, entrySeconds: number, attrSeconds: number, attr: Attr): Uint8Array {
  const out = new Uint8Array(ENTRY_OUT_SIZE);
  const v = view(out);
  const [es, ens] = splitSeconds(entrySeconds);
  const [as, ans] = splitSeconds(attrSeconds);
  v.setBigUint64(0, nodeid, true);
  v.setBigUint64(8, generation, true);
  v.setBigUint64(16, es, true);
  v.setBigUint64(24, as, true);
  v.setUint32(32, ens, true);
  v.setUint32(36, ans, true);
  putAttr(v, 40, attr);
  return out;
}

/** fuse_attr_out (GETATTR, SETATTR). */
export function encodeAttrOut(attrSeconds: number, attr: Attr): Uint8Array {
  const out = new Uint8Array(ATTR_OUT_SIZE);
  const v = view(out);
  const [s, ns] = splitSeconds(attrSeconds);
  v.setBigUint64(0, s, true);
  v.setUint32(8, ns, true);
  putAttr(v, 16, attr);
  return out;
}

/** fuse_open_out (OPEN, OPENDIR). */
export function encodeOpenOut(fh: bigint, openFlags: number): Uint8Array {
  const out = new Uint8Array(16);
  const v = view(out);
  v.setBigUint64(0, fh, true);
  v.setUint32(8, openFlags, true);
  return out;
}

/** fuse_write_out. */
export function encodeWriteOut(size: number): Uint8Array {
  const out = new Uint8Array(8);
  view(out).setUint32(0, size, true);
  return out;
}

/** What we answer INIT with. */
export interface InitOut {
  readonly minor: number;
  readonly maxReadahead: number;
  readonly flags: number;
  readonly maxBackground: number;
  readonly congestionThreshold: number;
  readonly maxWrite: number;
  readonly maxPages: number;
}
/** fuse_init_out (64 bytes). */
export function encodeInitOut(o: InitOut): Uint8Array {
  const out = new Uint8Array(INIT_OUT_SIZE);
  const v = view(out);
  v.setUint32(0, KERNEL_VERSION, true);
  v.setUint32(4, o.minor, true);
  v.setUint32(8, o.maxReadahead, true);
  v.setUint32(12, o.flags >>> 0, true);
  v.setUint16(16, o.maxBackground, true);
  v.setUint16(18, o.congestionThreshold, true);
  v.setUint32(20, o.maxWrite, true);
  v.setUint32(24, 1, true); // time_gran: 1 ns
  v.setUint16(28, o.maxPages, true);
  return out;
}

/** fuse_statfs_out. */
export function encodeStatfs(files: number, nameLen = 255): Uint8Array {
  const out = new Uint8Array(STATFS_OUT_SIZE);
  const v = view(out);
  v.setBigUint64(24, BigInt(files), true); // files
  v.setUint32(40, 4096, true); // bsize
  v.setUint32(44, nameLen, true); // namelen
  v.setUint32(48, 4096, true); // frsize
  return out;
}

/** One directory entry. `off` is the cookie the kernel passes back to continue after it. */
export interface Dirent {
  readonly ino: bigint;
  readonly off: number;
  readonly type: number;
  readonly name: string;
}

const utf8e = new TextEncoder();

/** Size of one fuse_dirent record (24 + name, padded to 8). */
export function direntSize(nameBytes: number): number {
  return (DIRENT_HEADER_SIZE + nameBytes + 7) & ~7;
}

/** How many records of `names` fit in `max` bytes (whole records only), and their total size. */
function fitRecords(names: readonly Uint8Array[], size: (nameBytes: number) => number, max: number): { n: number; total: number } {
  let total = 0;
  let n = 0;
  for (const b of names) {
    const s = size(b.byteLength);
    if (total + s > max) break;
    total += s;
    n++;
  }
  return { n, total };
}

/** Writes one fuse_dirent (header and name) at `at`. */
function writeDirent(out: Uint8Array, v: DataView, at: number, e: Dirent, name: Uint8Array): void {
  v.setBigUint64(at, e.ino, true);
  v.setBigUint64(at + 8, BigInt(e.off), true);
  v.setUint32(at + 16, name.byteLength, true);
  v.setUint32(at + 20, e.type, true);
  out.set(name, at + DIRENT_HEADER_SIZE);
}

/**
 * fuse_dirent records for READDIR, as many of `entries` as fit in `max` bytes (the kernel's
 * buffer); a reply never holds a partial record.
 */
export function encodeDirents(entries: readonly Dirent[], max: number): Uint8Array {
  const names = entries.map((e) => utf8e.encode(e.name));
  const { n, total } = fitRecords(names, direntSize, max);
  const out = new Uint8Array(total);
  const v = view(out);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const b = names[i] as Uint8Array;
    writeDirent(out, v, at, entries[i] as Dirent, b);
    at += direntSize(b.byteLength);
  }
  return out;
}

/** One READDIRPLUS entry: a directory entry with the LOOKUP answer for it. */
export interface DirentPlus extends Dirent {
  /** The entry_out bytes ({@link encodeEntry}) for the entry. */
  readonly entry: Uint8Array;
}

/** Size of one fuse_direntplus record (entry_out + dirent + name, padded to 8). */
export function direntPlusSize(nameBytes: number): number {
  return ENTRY_OUT_SIZE + direntSize(nameBytes);
}

/**
 * fuse_direntplus records for READDIRPLUS, as many as fit in `max` bytes. Returns the bytes
 * and how many entries they hold (each but "." and ".." counts as a lookup for the kernel).
 */
export function encodeDirentsPlus(entries: readonly DirentPlus[], max: number): { bytes: Uint8Array; count: number } {
  const names = entries.map((e) => utf8e.encode(e.name));
  const { n, total } = fitRecords(names, direntPlusSize, max);
  const out = new Uint8Array(total);
  const v = view(out);
  let at = 0;
  for (let i = 0; i < n; i++) {
    const e = entries[i] as DirentPlus;
    const b = names[i] as Uint8Array;
    out.set(e.entry.subarray(0, ENTRY_OUT_SIZE), at);
    writeDirent(out, v, at + ENTRY_OUT_SIZE, e, b);
    at += direntPlusSize(b.byteLength);
  }
  return { bytes: out, count: n };
}

/** Opcodes that get no reply at all. */
export function expectsNoReply(opcode: number): boolean {
  return opcode === Op.FORGET || opcode === Op.BATCH_FORGET || opcode === Op.INTERRUPT;
}
