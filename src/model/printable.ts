/**
 * @module model/printable
 * Text from a stats file (ids, names) is data: control characters in it must not reach a
 * terminal as escapes or fake lines. Shown as `\xNN` instead. The one implementation lives in
 * errors.ts (a leaf every folder may import), which applies it to every error message.
 */
export { printable } from "../errors.js";
