/**
 * @module views/qapi
 * QEMU's query-stats family as views of stats files.
 */
export * from "./filter.js";
export * from "./json.js";
export * from "./query-stats.js";
