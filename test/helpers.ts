/**
 * @module test/helpers
 * Shared test plumbing: hex fixtures, the CLI run in-process, and the KVM skip policy (from test/skip).
 */
import { bufferIo } from "../src/cli/io.js";
import { runCli } from "../src/cli/run.js";

/** Bytes from a hex dump; whitespace and `#` comments are ignored. */
export function hex(text: string): Uint8Array {
  const digits = text.replace(/#[^\n]*/g, "").replace(/\s+/g, "");
  if (digits.length % 2) throw new Error("odd hex digit count");
  return Uint8Array.from(digits.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
}

/** Runs `statsfs ARGS` in-process; returns exit code and output. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await runCli(argv, io);
  return { code, out: io.out(), err: io.err() };
}

/** Why real-KVM tests cannot run here (see test/skip). */
export { kvmSkipReason } from "./skip.js";
