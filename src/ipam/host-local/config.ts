/**
 * host-local's configuration: the schema (Go JSON rules via decodeConfig), then the reference's
 * assembly order (checklist §2.2.2): requested IPs, range-set list, canonicalisation, the per-family
 * limit below 0.3.0, overlap between sets. Messages are the reference's, word for word.
 */
import * as v from "valibot";
import {
  argBool,
  atLeast,
  decodeConfig,
  goInt,
  goNullableSlice,
  goString,
  goStruct,
  internalError,
  parseCniArgs,
  type Route,
} from "../../cni/index.ts";
import { type Addr, ipString, type ParsedCidr, parseCIDR, parseIP } from "../../ip/index.ts";
import { canonicalizeRangeSet, isIPv4Set, type RangeInput, type RangeSet, rangeSetsOverlap } from "./range.ts";

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
    dst: v.optional(goString()),
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

/** Everything the verbs need, validated and canonical. */
export interface HostLocalConfig {
  name: string;
  cniVersion: string;
  /** Index in this list = N in `last_reserved_ip.N`. */
  rangeSets: RangeSet[];
  routes: Route[];
  dataDir: string;
  resolvConf: string;
  /** Requested addresses in source order (CNI_ARGS, args.cni.ips, runtimeConfig.ips), deduplicated. */
  requestedIPs: Addr[];
}

/** An address field: empty text means absent (Go's net.IP leaves it nil). */
function optionalIP(s: string | undefined): Addr | undefined {
  if (s === undefined || s === "") return undefined;
  const ip = parseIP(s);
  if (ip === undefined) throw internalError(`invalid IP address: ${s}`);
  return ip;
}

function requiredCIDR(s: string): ParsedCidr {
  const c = parseCIDR(s);
  if (c === undefined) throw internalError(`invalid CIDR address: ${s}`);
  return c;
}

/** Go's IPNet.String() of a parsed CIDR (keeps host bits; IPv4-mapped text prints as IPv4). */
export function cidrString(c: ParsedCidr): string {
  const prefix = c.bits === 128 && c.ip.kind() === "ipv4" ? Math.max(0, c.prefix - 96) : c.prefix;
  return `${ipString(c.ip)}/${prefix}`;
}

function rangeInput(r: RangeConfig | null): RangeInput {
  if (r === null) return {};
  const out: RangeInput = {};
  if (r.subnet !== undefined) out.subnet = requiredCIDR(r.subnet ?? "");
  const start = optionalIP(r.rangeStart);
  const end = optionalIP(r.rangeEnd);
  const gw = optionalIP(r.gateway);
  if (start !== undefined) out.rangeStart = start;
  if (end !== undefined) out.rangeEnd = end;
  if (gw !== undefined) out.gateway = gw;
  return out;
}

const rangeSetInputs = (sets: RangeSetsConfig | undefined): RangeInput[][] =>
  (sets ?? []).map((set) => (set ?? []).map(rangeInput));

function route(r: RouteConfig): Route {
  const out: Route = { dst: r.dst === undefined ? "<nil>" : cidrString(requiredCIDR(r.dst)) };
  const gw = optionalIP(r.gw);
  if (gw !== undefined) out.gw = ipString(gw);
  if (r.mtu !== undefined) out.mtu = r.mtu;
  if (r.advmss !== undefined) out.advmss = r.advmss;
  if (r.priority !== undefined) out.priority = r.priority;
  if (r.table !== undefined) out.table = r.table;
  if (r.scope !== undefined) out.scope = r.scope;
  return out;
}

/** pkg/ip's IP text: an address, or an address with a prefix that is then dropped. */
function parseRequested(s: string): Addr | undefined {
  return s.includes("/") ? parseCIDR(s)?.ip : parseIP(s);
}

/** A requested IP from JSON; null/"" decode to a nil IP that fails canonicalisation later. */
function requestedFromJson(s: string | null): Addr | null {
  if (s === null || s === "") return null;
  const ip = parseRequested(s);
  if (ip === undefined) throw internalError(`invalid IP address ${s}`);
  return ip;
}

const cniArgSpec = {
  IP: (value: string): Addr | undefined => {
    if (value === "") return undefined;
    const ip = parseRequested(value);
    if (ip === undefined) throw new Error(`invalid IP address ${value}`);
    return ip;
  },
};

/**
 * Parses and validates the network configuration host-local was given. `cniArgs` is the raw
 * CNI_ARGS (pass "" for GC and STATUS, which carry none).
 */
export function loadHostLocalConfig(raw: Record<string, unknown>, cniArgs: string): HostLocalConfig {
  const conf = decodeConfig(HostLocalNetConf, raw);
  const ipam = conf.ipam;

  // Decode phase: every address field is parsed the way Go's JSON decoding would have.
  const legacy =
    ipam?.subnet !== undefined
      ? rangeInput({ subnet: ipam.subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway })
      : undefined;
  if (ipam !== undefined && ipam.subnet === undefined) {
    // Without a subnet the legacy range is ignored, but its addresses were still decoded.
    optionalIP(ipam.rangeStart);
    optionalIP(ipam.rangeEnd);
    optionalIP(ipam.gateway);
  }
  const routes = (ipam?.routes ?? []).filter((r): r is RouteConfig => r !== null).map(route);
  const configured = rangeSetInputs(ipam?.ranges);
  const runtimeRanges = rangeSetInputs(conf.runtimeConfig?.ipRanges);
  const runtimeIps = (conf.runtimeConfig?.ips ?? []).map(requestedFromJson);
  const argsIps = (conf.args?.cni?.ips ?? []).map(requestedFromJson);

  if (ipam === undefined) throw internalError("IPAM config missing 'ipam' key");

  const requested: (Addr | null)[] = [];
  if (cniArgs !== "") {
    const env = parseCniArgs(cniArgs, { ...cniArgSpec, IgnoreUnknown: argBool });
    if (env.IP !== undefined) requested.push(env.IP);
  }
  requested.push(...argsIps, ...runtimeIps);
  if (requested.some((ip) => ip === null)) throw internalError("cannot understand ip: IP <nil> not v4 nor v6");

  const inputs: RangeInput[][] = [...runtimeRanges, ...(legacy ? [[legacy]] : []), ...configured];
  if (inputs.length === 0) throw internalError("no IP ranges specified");

  const rangeSets: RangeSet[] = inputs.map((set, i) => {
    try {
      return canonicalizeRangeSet(set);
    } catch (err) {
      throw internalError(`invalid range set ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
  });

  const cniVersion = conf.cniVersion ?? "";
  const v4 = rangeSets.filter(isIPv4Set).length;
  const v6 = rangeSets.length - v4;
  if ((v4 > 1 || v6 > 1) && !versionAtLeast(cniVersion, "0.3.0")) {
    throw internalError(`CNI version ${cniVersion} does not support more than 1 address per family`);
  }

  for (let i = 0; i < rangeSets.length - 1; i++) {
    for (let j = i + 1; j < rangeSets.length; j++) {
      if (rangeSetsOverlap(rangeSets[i]!, rangeSets[j]!)) throw internalError(`range set ${i} overlaps with ${j}`);
    }
  }

  const seen = new Set<string>();
  const requestedIPs = (requested as Addr[]).filter((ip) => {
    const key = ipString(ip);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });

  return {
    name: conf.name ?? "",
    cniVersion,
    rangeSets,
    routes,
    dataDir: ipam.dataDir ?? "",
    resolvConf: ipam.resolvConf ?? "",
    requestedIPs,
  };
}

/** Go's version.GreaterThanOrEqualTo: a version that does not parse is "not greater". */
function versionAtLeast(version: string, min: string): boolean {
  if (version === "") return false;
  try {
    return atLeast(version, min);
  } catch {
    return false;
  }
}
