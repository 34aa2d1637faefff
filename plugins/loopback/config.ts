import type * as v from "valibot";
import { NetConf } from "../../src/cni/core.ts";

/** loopback reads only libcni's types.NetConf (and passes prevResult through). */
export const LoopbackConfig = NetConf;
export type LoopbackConfig = v.InferOutput<typeof LoopbackConfig>;
