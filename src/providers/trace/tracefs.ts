/**
 * @module providers/trace/tracefs
 * What tracefs says about a KVM tracepoint: its id (`events/kvm/<name>/id`) and the symbolic
 * names of its reason field, parsed from the `__print_symbolic(…, { N, "NAME" }, …)` lists in
 * its `format` file (kvm_userspace_exit: KVM_EXIT_*; kvm_exit: VMX's list, then SVM's).
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Where tracefs may be mounted, in the order tried. */
export const TRACEFS_DIRS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

/** The mounted tracefs with KVM events, or undefined. */
export function tracefsDir(): string | undefined {
  const env = process.env.STATSFS_TRACEFS;
  for (const d of env ? [env] : TRACEFS_DIRS) if (existsSync(join(d, "events/kvm"))) return d;
  return undefined;
}

/** A tracepoint's id, or undefined when it does not exist or may not be read. */
export function tracepointId(tracefs: string, name: string): number | undefined {
  try {
    const n = Number(readFileSync(join(tracefs, "events/kvm", name, "id"), "utf8").trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** The `{ N, "NAME" }` lists of every `__print_symbolic` in a format text, in order. */
export function symbolicLists(format: string): { value: number; name: string }[][] {
  const out: { value: number; name: string }[][] = [];
  const re = /__print_symbolic\(/g;
  for (let m = re.exec(format); m; m = re.exec(format)) {
    // The list runs to the parenthesis that closes this call.
    let depth = 1;
    let i = re.lastIndex;
    for (; i < format.length && depth > 0; i++) {
      if (format[i] === "(") depth++;
      else if (format[i] === ")") depth--;
    }
    const body = format.slice(re.lastIndex, i);
    const list: { value: number; name: string }[] = [];
    const pair = /\{\s*(-?\d+|0x[0-9a-fA-F]+)\s*,\s*((?:"[^"]*"\s*)+)\}/g;
    for (let p = pair.exec(body); p; p = pair.exec(body)) {
      const name = [...(p[2] as string).matchAll(/"([^"]*)"/g)].map((q) => q[1]).join("");
      list.push({ value: Number(p[1]), name });
    }
    out.push(list);
  }
  return out;
}

/** The format file of a KVM tracepoint, or undefined. */
export function tracepointFormat(tracefs: string, name: string): string | undefined {
  try {
    return readFileSync(join(tracefs, "events/kvm", name, "format"), "utf8");
  } catch {
    return undefined;
  }
}
