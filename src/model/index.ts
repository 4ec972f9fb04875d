/**
 * @module model
 * The stats-file model: pure types and helpers, no I/O.
 */

export * from "./amount.js";
export * from "./descriptor.js";
export * from "./flags.js";
export * from "./histogram.js";
export * from "./identity.js";
export * from "./printable.js";
export * from "./stats-file.js";
export * from "./units.js";
export * from "./value.js";
