/**
 * @module codec
 * The KVM binary stats codec: decode from anything with pread semantics, encode in the
 * kernel's layout. No Node imports.
 */
export * from "./layout.js";
export * from "./pread.js";
export * from "./reader.js";
export * from "./writer.js";
