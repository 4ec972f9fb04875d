/**
 * @module views/hmp
 * QEMU's human monitor (HMP) texts as views of stats files.
 */
export * from "./info-stats.js";
