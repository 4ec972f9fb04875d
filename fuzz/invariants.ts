/**
 * @module fuzz/invariants
 * What every fuzz case must hold: a failure is an exception that is not a StatsfsError, a
 * StatsfsError whose message is not one printable line, or a target's own property broken.
 */
import { StatsfsError } from "../src/errors.js";

/** A broken property, with a one-line reason. */
export class Broken extends Error {}

// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for control characters
const NOT_PRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** Throws {@link Broken} unless `text` is one printable line. */
export function onePrintableLine(text: string, what: string): void {
  if (NOT_PRINTABLE.test(text)) throw new Broken(`${what} is not one printable line: ${JSON.stringify(text.slice(0, 200))}`);
}

/** An error thrown on purpose by statsfs, with a one-line message; anything else is {@link Broken}. */
export function expectedError(e: unknown): void {
  if (e instanceof Broken) throw e;
  if (!(e instanceof StatsfsError)) {
    const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    throw new Broken(`not a StatsfsError: ${what.split("\n")[0]?.slice(0, 300)}`);
  }
  onePrintableLine(e.message, "error message");
}

/** Throws {@link Broken} with `why` unless `cond`. */
export function ensure(cond: boolean, why: string): void {
  if (!cond) throw new Broken(why);
}
