/**
 * @module producer/notes
 * What the producer remembers beside a source, kept apart so that source.ts (which writes these
 * notes) and labels.ts (which reads them) do not import each other: which source and slot a
 * handle belongs to, and each value's help text.
 */
import type { ValueSlot } from "./definition.js";
import type { ValueHandle } from "./handles.js";
import type { Source } from "./source.js";

/** Which source and value a handle belongs to (set by Source.addValues). */
const owners = new WeakMap<object, { readonly source: Source; readonly slot: ValueSlot }>();

/** Help texts by source and value name (ValueInit.help), for in-process expositions. */
const helps = new WeakMap<Source, Map<string, string>>();

/** @internal Records a value's help text. */
export function noteHelp(source: Source, name: string, help: string): void {
  let m = helps.get(source);
  if (!m) {
    m = new Map();
    helps.set(source, m);
  }
  m.set(name, help);
}

/**
 * The help text of value `name` in `source`, or of the same value in the nearest parent (a
 * label-set child inherits its parent's).
 */
export function helpOf(source: Source, name: string): string | undefined {
  for (let s: Source | undefined = source; s; s = s.parent) {
    const h = helps.get(s)?.get(name);
    if (h !== undefined) return h;
  }
  return undefined;
}

/** @internal Records the owner of a handle made by `addValues`. */
export function noteOwner(handle: ValueHandle, source: Source, slot: ValueSlot): void {
  owners.set(handle, { source, slot });
}

/** @internal The source and slot of a handle made by `addValues`, if it is one. */
export function ownerOf(handle: ValueHandle): { readonly source: Source; readonly slot: ValueSlot } | undefined {
  return owners.get(handle);
}
