/**
 * @module qmp/json/visitor
 * Command arguments checked the way QEMU's QAPI input visitor checks them, member by member in
 * schema order, with its texts: "Parameter 'target' is missing", "Invalid parameter type for
 * 'providers[0].names', expected: array", "Parameter 'provider' does not accept value 'foo'"
 * (QEMU names enum members without their path; list elements as 'null'), and "Parameter 'x' is
 * unexpected" for the first leftover member in GLib's hash order ({@link GHashSet}).
 */
import { QmpRequestError } from "../../errors.js";
import { GHashSet } from "./ghash.js";
import { qdictOrder } from "./qdict-order.js";
import { isQDict, type QDict, type QObject } from "./qobject.js";

/** An argument error: QEMU's text, class GenericError. */
export class QapiArgumentError extends QmpRequestError {
  constructor(desc: string) {
    super("GenericError", desc);
  }
}

interface Frame {
  /** The member name this container was visited under (undefined for list elements and the root). */
  readonly name: string | undefined;
  readonly dict?: QDict;
  readonly unvisited?: GHashSet;
  readonly list?: readonly QObject[];
  /** Index of the list element being visited. */
  index: number;
}

/** QEMU's qobject input visitor over one command's arguments. */
export class InputVisitor {
  readonly #stack: Frame[];

  constructor(args: QDict) {
    this.#stack = [dictFrame(undefined, args)];
  }

  /** The full name QEMU uses in errors: `providers[0].names[1]`. */
  fullName(name: string | undefined): string {
    let out = "";
    let n = name;
    for (let i = this.#stack.length - 1; i >= 0; i--) {
      const f = this.#stack[i] as Frame;
      if (f.dict) out = `.${n ?? "<anonymous>"}${out}`;
      else out = `[${f.index}]${out}`;
      n = f.name;
    }
    if (n !== undefined) return n + out;
    if (out.startsWith(".")) return out.slice(1);
    return out || "<anonymous>";
  }

  #top(): Frame {
    return this.#stack[this.#stack.length - 1] as Frame;
  }

  /** The value for `name` (a member, or the next list element when `name` is undefined); consumes it. */
  #take(name: string | undefined, consume: boolean): QObject | undefined {
    const f = this.#top();
    if (f.list) {
      const v = f.list[f.index];
      return v;
    }
    if (name === undefined || !f.dict) return undefined;
    const v = f.dict.get(name);
    if (v !== undefined && consume) f.unvisited?.delete(name);
    return v;
  }

  #required(name: string | undefined): QObject {
    const v = this.#take(name, true);
    if (v === undefined) throw new QapiArgumentError(`Parameter '${this.fullName(name)}' is missing`);
    return v;
  }

  #typeError(name: string | undefined, expected: string): never {
    throw new QapiArgumentError(`Invalid parameter type for '${this.fullName(name)}', expected: ${expected}`);
  }

  /** visit_optional: whether the member is present (not consumed). */
  optional(name: string): boolean {
    return this.#take(name, false) !== undefined;
  }

  /** A string member (or list element when `name` is undefined). */
  str(name: string | undefined): string {
    const v = this.#required(name);
    if (typeof v !== "string") this.#typeError(name, "string");
    return v;
  }

  /** An enum member: a string among `values`. */
  enumValue(name: string | undefined, values: ReadonlySet<string>): string {
    const s = this.str(name);
    if (!values.has(s)) throw new QapiArgumentError(`Parameter '${name ?? "null"}' does not accept value '${s}'`);
    return s;
  }

  /** Enters a struct member (or list element). */
  startStruct(name: string | undefined): void {
    const v = this.#required(name);
    if (!isQDict(v)) this.#typeError(name, "object");
    this.#stack.push(dictFrame(name, v));
  }

  /** visit_check_struct: the first member not visited is unexpected. */
  checkStruct(): void {
    const left = this.#top().unvisited?.first();
    if (left !== undefined) throw new QapiArgumentError(`Parameter '${this.fullName(left)}' is unexpected`);
  }

  /** Leaves a struct; inside a list, moves to the next element. */
  endStruct(): void {
    this.#stack.pop();
    this.#advance();
  }

  /** Enters a list member; returns its length. */
  startList(name: string | undefined): number {
    const v = this.#required(name);
    if (!Array.isArray(v)) this.#typeError(name, "array");
    this.#stack.push({ name, list: v, index: 0 });
    return v.length;
  }

  /** Leaves a list. */
  endList(): void {
    this.#stack.pop();
    this.#advance();
  }

  /** Moves a list frame past the element just visited by a scalar visit. */
  next(): void {
    this.#advance();
  }

  #advance(): void {
    const f = this.#top();
    if (f?.list) f.index++;
  }

  /** A list of strings. */
  strList(name: string): string[] {
    const n = this.startList(name);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(this.str(undefined));
      this.next();
    }
    this.endList();
    return out;
  }

  /** A list of enum values. */
  enumList(name: string, values: ReadonlySet<string>): string[] {
    const n = this.startList(name);
    const out: string[] = [];
    for (let i = 0; i < n; i++) {
      out.push(this.enumValue(undefined, values));
      this.next();
    }
    this.endList();
    return out;
  }
}

function dictFrame(name: string | undefined, dict: QDict): Frame {
  return { name, dict, unvisited: new GHashSet(qdictOrder([...dict.keys()])), index: 0 };
}
