import type * as v from "valibot";
import { NetConf } from "../../src/cni/core-config.ts";

// Loaded by ADD and the config check only (index.ts): DEL and CHECK never decode the config, and
// evaluating valibot and the schema is most of what their `load` phase was.
export { decodeConfig } from "../../src/cni/core-config.ts";

/** loopback reads only libcni's types.NetConf (and passes prevResult through). */
export const LoopbackConfig = NetConf;
export type LoopbackConfig = v.InferOutput<typeof LoopbackConfig>;
