/**
 * host-local's configuration as allocator.Net decodes it: each field with its Go type, so a wrong
 * JSON type fails with Go's own text. Addresses stay text here; config.ts parses them.
 */
import * as v from "valibot";
import { goInt, goNullableSlice, goString, goStruct } from "../../cni/go-json-types.ts";

/** One range as written: addresses stay text here and are parsed with Go's rules afterwards. */
export const RangeConfig = goStruct("Range", "allocator.Range", {
  // types.IPNet decodes `null` as "" and then fails to parse it.
  subnet: v.optional(v.nullable(goString())),
  rangeStart: v.optional(goString("net.IP")),
  rangeEnd: v.optional(goString("net.IP")),
  gateway: v.optional(goString("net.IP")),
});
export type RangeConfig = v.InferOutput<typeof RangeConfig>;

/** `null` items are kept: a null set is empty, a null range has no subnet (both errors later). */
export const RangeSetsConfig = goNullableSlice(
  "[]allocator.RangeSet",
  goNullableSlice("allocator.RangeSet", RangeConfig),
);
export type RangeSetsConfig = v.InferOutput<typeof RangeSetsConfig>;

/** types.Route decodes itself, so Go names the `routes` field in its errors. */
export const RouteConfig = goStruct(
  "",
  "types.route",
  {
    // types.IPNet: a null dst decodes as "" and fails to parse.
    dst: v.optional(v.nullable(goString())),
    gw: v.optional(goString("net.IP")),
    mtu: v.optional(goInt()),
    advmss: v.optional(goInt()),
    priority: v.optional(goInt()),
    table: v.optional(goInt()),
    scope: v.optional(goInt()),
  },
  true,
);
export type RouteConfig = v.InferOutput<typeof RouteConfig>;

const RequestedIps = goNullableSlice("[]*ip.IP", goString("ip.IP"));

export const IpamConfig = goStruct("IPAMConfig", "allocator.IPAMConfig", {
  type: v.optional(goString()),
  subnet: v.optional(v.nullable(goString())),
  rangeStart: v.optional(goString("net.IP")),
  rangeEnd: v.optional(goString("net.IP")),
  gateway: v.optional(goString("net.IP")),
  routes: v.optional(goNullableSlice("[]*types.Route", RouteConfig)),
  dataDir: v.optional(goString()),
  resolvConf: v.optional(goString()),
  ranges: v.optional(RangeSetsConfig),
});
export type IpamConfig = v.InferOutput<typeof IpamConfig>;

/** The part of the network configuration host-local reads (allocator.Net). */
export const HostLocalNetConf = goStruct("Net", "allocator.Net", {
  cniVersion: v.optional(goString()),
  name: v.optional(goString()),
  ipam: v.optional(IpamConfig),
  runtimeConfig: v.optional(
    goStruct(
      "",
      'struct { IPRanges []allocator.RangeSet "json:\\"ipRanges,omitempty\\""; IPs []*ip.IP "json:\\"ips,omitempty\\"" }',
      { ipRanges: v.optional(RangeSetsConfig), ips: v.optional(RequestedIps) },
    ),
  ),
  args: v.optional(
    goStruct("", 'struct { A *allocator.IPAMArgs "json:\\"cni\\"" }', {
      cni: v.optional(goStruct("IPAMArgs", "allocator.IPAMArgs", { ips: v.optional(RequestedIps) })),
    }),
  ),
});
export type HostLocalNetConf = v.InferOutput<typeof HostLocalNetConf>;
