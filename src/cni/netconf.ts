/**
 * libcni's types.NetConf, the keys every plugin's config embeds, as a Go-typed valibot schema.
 * Apart from schema.ts (the IP-validating fragments) so that a plugin reading only these keys
 * (loopback) evaluates these schemas alone: every schema evaluated is heap the exec keeps
 * (docs/performance.md, "Storm memory").
 */
import * as v from "valibot";
import { goBool, goMap, goNullableSlice, goObjectMap, goSlice, goString, goStruct } from "./go-json-types.ts";

/** The DNS section, as types.DNS decodes it. */
export const GoDns = goStruct("DNS", "types.DNS", {
  nameservers: v.optional(goSlice("[]string", goString(), "")),
  domain: v.optional(goString()),
  search: v.optional(goSlice("[]string", goString(), "")),
  options: v.optional(goSlice("[]string", goString(), "")),
});

const GcAttachment = goStruct("GCAttachment", "types.GCAttachment", {
  containerID: v.optional(goString()),
  ifname: v.optional(goString()),
});

/**
 * The keys of libcni's types.NetConf that every plugin embeds; plugins extend them with
 * `goStruct`. Go names the embedding struct in errors, so the entries carry no struct of their own.
 * `args` and `runtimeConfig` are not among them: Go ignores them unless a plugin declares them.
 */
export const NetConfEntries = {
  cniVersion: v.optional(goString(), ""),
  name: v.optional(goString(), ""),
  type: v.optional(goString(), ""),
  // A null value in a Go map[string]bool is the entry's zero value, false (v1.9.1 accepts it).
  capabilities: v.optional(goMap("map[string]bool", v.pipe(v.nullable(goBool()), v.transform((b) => b ?? false)))),
  ipam: v.optional(goStruct("IPAM", "types.IPAM", { type: v.optional(goString(), "") })),
  dns: v.optional(GoDns),
  prevResult: v.optional(goObjectMap()),
  "cni.dev/valid-attachments": v.optional(goNullableSlice("[]types.GCAttachment", GcAttachment)),
};
export const NetConf = goStruct("PluginConf", "types.PluginConf", NetConfEntries);
export type NetConf = v.InferOutput<typeof NetConf>;
