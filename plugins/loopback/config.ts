import type * as v from "valibot";
import { NetConf } from "../../src/cni/netconf.ts";

/** loopback reads only libcni's types.NetConf (and passes prevResult through). */
export const LoopbackConfig = NetConf;
export type LoopbackConfig = v.InferOutput<typeof LoopbackConfig>;
