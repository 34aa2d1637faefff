/**
 * A second public surface of src/cni, beside index.ts, for a plugin that takes no IP
 * configuration (loopback): config decode, errors, labels, the call and result types and the base
 * NetConf schema. Importing it loads none of index.ts's IP schemas, converters or delegation code:
 * fewer MarkedBlocks and instructions per loopback exec (docs/performance.md, "Storm memory"; still
 * above JSC's 64-block warm-up threshold).
 */
export { decodeConfig } from "./decode.ts";
export { internalError } from "./errors.ts";
export { labelOnly } from "./label.ts";
export { NetConf } from "./netconf.ts";
export type { CmdArgs } from "./plugin.ts";
export type { Result } from "./result.ts";
