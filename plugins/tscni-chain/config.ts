import * as v from "valibot";
import { goObjectMap, goSlice, goStruct, NetConfEntries } from "../../src/cni/index.ts";

/**
 * tscni-chain's own keys: the conflist's `plugins` array, run as libcni runs a list, and the
 * runtimeConfig the runtime injected for the capabilities the chain declares (the union of its
 * members'). Each member is parsed by src/runtime as libcni parses a list entry.
 */
export const ChainConfig = goStruct("ChainConf", "chain.NetConf", {
  ...NetConfEntries,
  plugins: v.pipe(goSlice("[]map[string]interface {}", goObjectMap(), {}), v.minLength(1, "no plugins in list")),
  runtimeConfig: v.optional(goObjectMap()),
  "cni.dev/attachments": v.optional(v.unknown()),
});
export type ChainConfig = v.InferOutput<typeof ChainConfig>;
