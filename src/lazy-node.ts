/**
 * node:fs and node:path, loaded on first use instead of at import: importing a node:* module
 * costs every plugin exec start-up time and RSS (docs/performance.md), and most execs (loopback,
 * VERSION, a DEL with nothing to do) never touch them. Synchronous, unlike `await import()`.
 */
export const nodeFs = (): typeof import("node:fs") => require("node:fs") as typeof import("node:fs");
export const nodePath = (): typeof import("node:path") => require("node:path") as typeof import("node:path");
