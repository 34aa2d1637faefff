import * as v from "valibot";
import { NetConfEntries } from "../../src/cni/index.ts";

/** loopback reads only the standard keys (and passes prevResult through). */
export const LoopbackConfig = v.looseObject(NetConfEntries);
export type LoopbackConfig = v.InferOutput<typeof LoopbackConfig>;
