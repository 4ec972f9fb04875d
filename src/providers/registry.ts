/**
 * @module providers/registry
 * From a source name on the command line to an open {@link StatsSource}. A new provider adds
 * one entry to {@link OPENERS}; providers load lazily, so reading a file never loads koffi.
 *
 *   file:PATH | PATH        binary stats file, or a directory of them
 *   fd:N                    an inherited stats fd
 *   kvm:demo[?vcpus=N]      a demo KVM VM started by this process
 *   sim:[?vcpus=N&pid=P&guest=G]  a built-in simulated VM (no KVM needed)
 *   shm:NAME[?dir=D]        live files exported by statsfs producer sources (src/producer)
 *   qmp:PATH | qmp:tcp:H:P  a QEMU (>= 7.1) or `statsfs serve` over QMP
 *   host:[?pid=&guest=&route=]  every KVM VM on this host (providers/host)
 *   debugfs:[DIR]           KVM's debugfs text files, kvm_stat's layout
 *   trace:PID               KVM exit tracepoint counts of one VM process
 */
import { existsSync } from "node:fs";
import { UsageError } from "../errors.js";
import { checkDuplicateKeys, checkQueryKeys } from "./query.js";
import type { StatsSource } from "./source.js";
import { parseSpec, type SourceSpec } from "./spec.js";
import { UnionSource } from "./union.js";

/** Opens a source given its URI, the text after `scheme:` (before `?`) and the query. */
export type Opener = (uri: string, rest: string, query: URLSearchParams) => Promise<StatsSource>;

export const OPENERS: Record<string, Opener> = {
  file: async (uri, rest) => (await import("./file/index.js")).openFileSource(uri, rest),
  fd: async (uri, rest, q) => {
    checkQueryKeys(uri, q, [], "fd:");
    return (await import("./file/index.js")).openFdSource(uri, rest);
  },
  kvm: async (uri, rest, q) => (await import("./kvm/source.js")).openKvmSource(uri, rest, q),
  sim: async (uri, rest, q) => (await import("./sim/index.js")).openSimSource(uri, rest, q),
  shm: async (uri, rest, q) => (await import("./shm/index.js")).openShmSource(uri, rest, q),
  qmp: async (uri, rest, q) => (await import("./qmp/index.js")).openQmpSource(uri, rest, q),
  host: async (uri, rest, q) => (await import("./host/index.js")).openHostSource(uri, rest, q),
  debugfs: async (uri, rest, q) => (await import("./debugfs/index.js")).openDebugfsSource(uri, rest, q),
  trace: async (uri, rest, q) => (await import("./trace/index.js")).openTraceSource(uri, rest, q),
};

/** The schemes a source name may start with (`file`, `kvm`, `sim`, …), in the registry's order. */
export function sourceSchemes(): readonly string[] {
  return Object.freeze(Object.keys(OPENERS));
}

/**
 * Splits `scheme:rest?query`; a name with no scheme is a file path. A name that looks like
 * `scheme:…` with a scheme no opener knows is a file path only when such a file exists, else
 * a usage error ("unknown source scheme"), so `bogus:x` is not reported as a missing file.
 */
export function parseSourceUri(uri: string): SourceSpec {
  const { schemeLike, ...spec } = parseSpec(uri, (s) => Object.hasOwn(OPENERS, s));
  if (schemeLike !== undefined && !Object.hasOwn(OPENERS, schemeLike) && !existsSync(uri)) {
    throw new UsageError(`${uri}: unknown source scheme "${schemeLike}:" (known: ${Object.keys(OPENERS).join(", ")}; or a file path)`);
  }
  return spec;
}

/** Opens a source by name. */
export async function openSource(uri: string): Promise<StatsSource> {
  if (uri === "") throw new UsageError("empty source name");
  const { scheme, rest, query } = parseSourceUri(uri);
  const open = OPENERS[scheme];
  if (!open) throw new UsageError(`unknown source scheme "${scheme}:"`);
  checkDuplicateKeys(uri, query);
  return open(uri, rest, query);
}

/**
 * Opens several sources as one: a single name is that source; several are a {@link UnionSource}
 * that keeps them apart. If one cannot be opened, those already open are closed again.
 */
export async function openSources(uris: readonly string[]): Promise<StatsSource> {
  if (uris.length === 1) return openSource(uris[0] as string);
  if (uris.length === 0) throw new UsageError("no source given");
  const opened: StatsSource[] = [];
  try {
    for (const u of uris) opened.push(await openSource(u));
  } catch (e) {
    await Promise.allSettled(opened.map((s) => s.close()));
    throw e;
  }
  return new UnionSource(opened);
}
