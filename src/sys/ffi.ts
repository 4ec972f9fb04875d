/**
 * @module sys/ffi
 * The koffi module and libc.so.6 handle for bindings that live outside sys/libc (pidfd, perf,
 * rlimit). Loaded on first use after {@link libc} has loaded, so a machine where koffi cannot load
 * gets the one `STATSFS_FFI` error sys/libc gives.
 */
import { createRequire } from "node:module";
import { libc } from "./libc.js";

type Koffi = typeof import("koffi");

let cached: { koffi: Koffi; lib: ReturnType<Koffi["load"]> } | undefined;

/** koffi and the loaded libc.so.6. Throws SystemError `STATSFS_FFI` when koffi cannot load. */
export function ffi(): { koffi: Koffi; lib: ReturnType<Koffi["load"]> } {
  if (cached) return cached;
  libc();
  const koffi = createRequire(import.meta.url)("koffi") as Koffi;
  cached = { koffi, lib: koffi.load("libc.so.6") };
  return cached;
}
