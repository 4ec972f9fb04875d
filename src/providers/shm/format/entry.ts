/**
 * @module providers/shm/format/entry
 * Opening one name of an export directory the way root may: open first, then check what was
 * opened — never a path checked earlier. The directory is held by an fd (src/sys/dirfd.ts) and
 * the name is looked up in it, so nothing outside the export directory is reached except through
 * the one documented kind of link:
 *
 * - a producer's link `/proc/<pid>/fd/<n>` to its sealed memfd: opened O_PATH (which opens
 *   nothing: no FIFO blocks, no device wakes, nothing is read), checked by fstat on that fd — a
 *   regular file with no name (a memfd) owned by the link's owner — then re-opened read-only
 *   through our own fd and checked again: the memfd's name (`/memfd:statsfs`) and its seals
 *   (shrink, grow and seal: what every producer sets). Anything else there (the process ended,
 *   its pid now names another process, its fd `n` now names another file) is a producer gone:
 *   nothing of that file was read;
 * - a regular file (O_NOFOLLOW, non-blocking): owned by the directory's owner, with one link
 *   (a hard link to a stranger's file would have more);
 * - anything else (FIFOs, sockets, devices, other links, directories) is foreign and is never
 *   opened for reading.
 *
 * The checks never quote a byte of what was opened: a message names only the kind of mismatch.
 */
import { fstatSync, openSync, readlinkSync } from "node:fs";
import {
  closeQuietly,
  fstatBig,
  lstatAt,
  O_NOCTTY,
  O_NOFOLLOW,
  O_NONBLOCK,
  O_PATH,
  O_RDONLY,
  openAt,
  readlinkAt,
} from "../../../sys/dirfd.js";
import { F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK, getSeals } from "../../../sys/memfd.js";
import { MEMFD_NAME, PROC_FD_LINK } from "./paths.js";

/** The seals every producer puts on its memfd. */
export const EXPORT_SEALS = F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL;
/** The largest exported file a reader opens (the decoder bounds what it reads inside). */
export const MAX_EXPORT_BYTES = 1 << 30;

/** What {@link openEntry} found. */
export type OpenedEntry =
  /** Opened: `fd` is the reader's own (read-only, close-on-exec); `ino` is the directory entry's own inode. */
  | { readonly kind: "open"; readonly fd: number; readonly ino: bigint; readonly link: boolean; readonly ctimeNs?: bigint }
  /** A link whose producer is gone; `ino` is the link's own inode. */
  | { readonly kind: "gone"; readonly why: string; readonly ino: bigint; readonly link: true }
  /** Not a statsfs export; never opened for reading. */
  | { readonly kind: "foreign"; readonly why: string; readonly ino: bigint; readonly link: boolean };

const failNoCode = (e: unknown): string | undefined => (e as NodeJS.ErrnoException).code;

/**
 * Opens `name` in the directory `dirfd` (whose owner is `dirUid`). Undefined when nothing is
 * there (any more) or the entry changed while it was opened (the next look sees the new one).
 * Throws Node's error for other failures to open (e.g. EACCES).
 */
export function openEntry(dirfd: number, name: string, dirUid: bigint): OpenedEntry | undefined {
  let st: ReturnType<typeof lstatAt>;
  try {
    st = lstatAt(dirfd, name);
  } catch {
    return undefined;
  }
  if (st.isFile()) return openRegular(dirfd, name, st, dirUid);
  if (!st.isSymbolicLink()) return { kind: "foreign", why: "not a regular file", ino: st.ino, link: false };
  let target: string;
  try {
    target = readlinkAt(dirfd, name);
  } catch {
    return undefined;
  }
  if (!PROC_FD_LINK.test(target)) {
    return { kind: "foreign", why: "a symbolic link that does not name a producer's /proc/PID/fd/N", ino: st.ino, link: true };
  }
  // The link is followed once, by this open: whatever it names now is what gets checked.
  let path: number;
  try {
    path = openAt(dirfd, name, O_PATH);
  } catch (e) {
    const code = failNoCode(e);
    if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") {
      return { kind: "gone", why: `producer gone (${target} no longer names its file)`, ino: st.ino, link: true };
    }
    throw e;
  }
  let fd: number | undefined;
  try {
    const gone = (what: string): OpenedEntry => ({ kind: "gone", why: `producer gone (${target} ${what})`, ino: st.ino, link: true });
    const p = fstatBig(path);
    if (!p.isFile() || p.nlink !== 0n) return gone("no longer names its memfd");
    if (p.uid !== st.uid) return gone("names a memfd of another user");
    if (p.size > BigInt(MAX_EXPORT_BYTES)) return gone("names a memfd larger than any export");
    // Re-open the very inode held (not the link again): read-only, never blocking, no tty.
    fd = openSync(`/proc/self/fd/${path}`, O_RDONLY | O_NONBLOCK | O_NOCTTY);
    const f = fstatSync(fd, { bigint: true });
    if (f.ino !== p.ino || f.dev !== p.dev) return gone("changed while opened");
    const memfd = readlinkSync(`/proc/self/fd/${fd}`);
    if (memfd !== `/memfd:${MEMFD_NAME} (deleted)` && memfd !== `/memfd:${MEMFD_NAME}`) return gone("names another memfd");
    let seals: number;
    try {
      seals = getSeals(fd);
    } catch {
      seals = 0;
    }
    if ((seals & EXPORT_SEALS) !== EXPORT_SEALS) return gone("names a memfd without a producer's seals");
    const out: OpenedEntry = { kind: "open", fd, ino: st.ino, link: true, ctimeNs: st.ctimeNs };
    fd = undefined;
    return out;
  } finally {
    closeQuietly(fd);
    closeQuietly(path);
  }
}

function openRegular(dirfd: number, name: string, st: ReturnType<typeof lstatAt>, dirUid: bigint): OpenedEntry | undefined {
  let fd: number | undefined;
  try {
    fd = openAt(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  } catch (e) {
    const code = failNoCode(e);
    if (code === "ENOENT" || code === "ELOOP") return undefined; // replaced meanwhile
    throw e;
  }
  try {
    const f = fstatBig(fd);
    if (f.ino !== st.ino || f.dev !== st.dev) return undefined; // replaced meanwhile
    if (!f.isFile()) return { kind: "foreign", why: "not a regular file", ino: st.ino, link: false };
    if (f.uid !== dirUid)
      return { kind: "foreign", why: `a file of uid ${f.uid} in a directory of uid ${dirUid}`, ino: st.ino, link: false };
    if (f.nlink !== 1n) return { kind: "foreign", why: `a file with ${f.nlink} links`, ino: st.ino, link: false };
    if (f.size > BigInt(MAX_EXPORT_BYTES)) return { kind: "foreign", why: "larger than any export", ino: st.ino, link: false };
    const out: OpenedEntry = { kind: "open", fd, ino: st.ino, link: false, ctimeNs: st.ctimeNs };
    fd = undefined;
    return out;
  } finally {
    closeQuietly(fd);
  }
}
