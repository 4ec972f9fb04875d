/**
 * @module model/printable
 * Text from a stats file (ids, names) is data: control characters in it must not reach a
 * terminal as escapes or fake lines. Shown as `\xNN` instead, by the one escaping function,
 * model/text's {@link printable} (re-exported here for the modules that import it by this name).
 */
export { printable } from "./text.js";
