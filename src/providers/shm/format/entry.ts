/**
 * @module providers/shm/format/entry
 * What a name in an export directory is, before anyone opens it: a regular file, a producer's
 * link to its sealed memfd (`/proc/<pid>/fd/<n>` naming `/memfd:statsfs`), a link left by a
 * producer that is gone (the process or its fd no longer exists, or the pid was reused and the
 * fd now names something else — never opened, so a reader never touches a stranger's file),
 * or something foreign.
 */
import { lstatSync, readlinkSync } from "node:fs";
import { MEMFD_NAME, PROC_FD_LINK } from "./paths.js";

/** The kinds of {@link classifyEntry}. */
export type ExportEntry =
  | { readonly kind: "file" }
  | { readonly kind: "memfd"; readonly target: string }
  | { readonly kind: "dangling"; readonly target: string }
  | { readonly kind: "foreign"; readonly why: string };

/** What `path` is; undefined when nothing is there (any more). */
export function classifyEntry(path: string): ExportEntry | undefined {
  let st: ReturnType<typeof lstatSync>;
  try {
    st = lstatSync(path);
  } catch {
    return undefined;
  }
  if (st.isFile()) return { kind: "file" };
  if (!st.isSymbolicLink()) return { kind: "foreign", why: "not a regular file" };
  let target: string;
  try {
    target = readlinkSync(path);
  } catch {
    return undefined;
  }
  if (!PROC_FD_LINK.test(target)) return { kind: "foreign", why: "a symbolic link that does not name a producer's /proc/PID/fd/N" };
  let names: string;
  try {
    names = readlinkSync(target);
  } catch (e) {
    // Another user's process: let the open fail and say so, rather than call it gone.
    const code = (e as NodeJS.ErrnoException).code;
    return code === "EACCES" || code === "EPERM" ? { kind: "memfd", target } : { kind: "dangling", target };
  }
  return names.startsWith(`/memfd:${MEMFD_NAME} `) || names === `/memfd:${MEMFD_NAME}`
    ? { kind: "memfd", target }
    : { kind: "dangling", target };
}
