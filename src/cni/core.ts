/**
 * A second public surface of src/cni, beside index.ts, for a plugin that takes no IP
 * configuration (loopback): errors, labels, the call and result types. Importing it loads none of
 * index.ts's IP schemas, converters or delegation code, and no valibot: config decoding is
 * core-config.ts, which loopback loads only in the verb that decodes (ADD), so its DEL and CHECK
 * evaluate no schema (docs/performance.md, "Storm memory" and "per-exec floor").
 */
export { goFoldKey } from "./chars.ts";
export { internalError } from "./errors.ts";
export { labelOnly } from "./label.ts";
export type { CmdArgs } from "./plugin.ts";
export type { Result } from "./result.ts";
