/**
 * host-local's configuration: the schema (Go JSON rules via decodeConfig), then the reference's
 * assembly order: requested IPs, range-set list, canonicalisation, the per-family
 * limit below 0.3.0, overlap between sets. Messages are the reference's, word for word.
 */
export { HostLocalNetConf, IpamConfig, RangeConfig, RangeSetsConfig, RouteConfig } from "./config-schema.ts";
import { argBool, parseCniArgs } from "../../cni/args.ts";
import { internalError } from "../../cni/errors.ts";
import type { Route } from "../../cni/result.ts";
import { ProblemList } from "../../cni/schema.ts";
import { atLeast } from "../../cni/version.ts";
import { type Addr, cidrText, ipString, parseCIDR, type ParsedCidr, parseIP } from "../../ip/index.ts";
import { HostLocalNetConf, type RangeConfig, type RangeSetsConfig, type RouteConfig } from "./config-schema.ts";
import * as plain from "../../plain-array.ts";
import { canonicalizeRangeSet, isIPv4Set, type RangeInput, type RangeSet, rangeSetsOverlap } from "./range.ts";

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
  return cidrText(c.ip, prefix);
}

/** One range's address fields, each parsed (and, when collecting, reported) at its own path. */
function rangeInput(r: RangeConfig | null, p: ProblemList, at: string): RangeInput {
  if (r === null) return {};
  const out: RangeInput = {};
  if (r.subnet !== undefined) {
    const subnet = p.check(`${at}.subnet`, () => requiredCIDR(r.subnet ?? ""));
    if (subnet !== undefined) out.subnet = subnet;
  }
  const start = p.check(`${at}.rangeStart`, () => optionalIP(r.rangeStart));
  const end = p.check(`${at}.rangeEnd`, () => optionalIP(r.rangeEnd));
  const gw = p.check(`${at}.gateway`, () => optionalIP(r.gateway));
  if (start !== undefined) out.rangeStart = start;
  if (end !== undefined) out.rangeEnd = end;
  if (gw !== undefined) out.gateway = gw;
  return out;
}

/** The range sets of `sets`, each with the JSON path it was written at. */
interface SetInput {
  path: string;
  set: RangeInput[];
  /** An address of the set did not parse (already reported): not canonicalised. */
  broken: boolean;
}

function rangeSetInputs(sets: RangeSetsConfig | undefined, p: ProblemList, at: string): SetInput[] {
  return plain.map(sets ?? [], (set, i) => {
    const before = p.problems.length;
    const inputs = plain.map(set ?? [], (r, j) => rangeInput(r, p, `${at}[${i}][${j}]`));
    return { path: `${at}[${i}]`, set: inputs, broken: p.problems.length > before };
  });
}

function route(r: RouteConfig, p: ProblemList, at: string): Route {
  const dst = r.dst === undefined ? "<nil>" : p.check(`${at}.dst`, () => cidrString(requiredCIDR(r.dst ?? "")));
  const out: Route = { dst: dst ?? "<nil>" };
  const gw = p.check(`${at}.gw`, () => optionalIP(r.gw));
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
 * CNI_ARGS (pass "" for GC and STATUS, which carry none). Throws the first problem.
 */
export function loadHostLocalConfig(raw: Record<string, unknown>, cniArgs: string): HostLocalConfig {
  const conf = takeChecked(raw, cniArgs) ?? assemble(raw, cniArgs, ProblemList.strict());
  if (conf === undefined) throw internalError("invalid configuration");
  return conf;
}

/**
 * The reference's checks in its order, thrown (strict) or recorded (collecting) in the caller's
 * list; false when a problem was collected. A config that passes is kept for the next load of
 * the same config in this process (a bridge checks its IPAM section before creating anything,
 * then runs host-local in-process on the same stdin, which loads it again).
 */
export function checkHostLocalConfig(raw: Record<string, unknown>, cniArgs: string, p: ProblemList): boolean {
  checked = undefined;
  const conf = assemble(raw, cniArgs, p);
  if (conf === undefined) return false;
  try {
    checked = { text: JSON.stringify(raw), copy: structuredClone(raw), cniArgs, config: conf };
  } catch {
    // Not a JSON value (no stdin gives one): nothing kept.
  }
  return true;
}

/** What the last check assembled, with the JSON value it was assembled from. */
let checked: { text: string; copy: unknown; cniArgs: string; config: HostLocalConfig } | undefined;

/**
 * The last check's config when `raw` is the very JSON value it checked, taken once (nobody else
 * holds it: the check returns none). Equal text means the same keys in the same order with the
 * same values, but for numbers JSON prints alike (-0 and 0; an overflowed number and null):
 * `Bun.deepEquals` on the copy tells those apart.
 */
function takeChecked(raw: Record<string, unknown>, cniArgs: string): HostLocalConfig | undefined {
  const c = checked;
  if (c === undefined) return undefined;
  checked = undefined;
  try {
    return c.cniArgs === cniArgs && JSON.stringify(raw) === c.text && Bun.deepEquals(raw, c.copy, true) ? c.config : undefined;
  } catch {
    return undefined;
  }
}

/** The checks and the assembly, in the reference's order; undefined when a problem was collected. */
function assemble(raw: Record<string, unknown>, cniArgs: string, p: ProblemList): HostLocalConfig | undefined {
  const conf = p.decode(HostLocalNetConf, raw);
  if (conf === undefined) return undefined;
  const ipam = conf.ipam;

  // Decode phase: every address field is parsed the way Go's JSON decoding would have.
  const before = p.problems.length;
  const legacy =
    ipam?.subnet !== undefined
      ? rangeInput({ subnet: ipam.subnet, rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway }, p, "ipam")
      : undefined;
  const legacyBroken = p.problems.length > before;
  if (ipam !== undefined && ipam.subnet === undefined) {
    // Without a subnet the legacy range is ignored, but its addresses were still decoded.
    rangeInput({ rangeStart: ipam.rangeStart, rangeEnd: ipam.rangeEnd, gateway: ipam.gateway }, p, "ipam");
  }
  const routes: Route[] = [];
  const routeConfigs = ipam?.routes ?? [];
  for (let i = 0; i < routeConfigs.length; i++) {
    const r = routeConfigs[i];
    if (r !== null && r !== undefined) routes.push(route(r, p, `ipam.routes[${i}]`));
  }
  const configured = rangeSetInputs(ipam?.ranges, p, "ipam.ranges");
  const runtimeRanges = rangeSetInputs(conf.runtimeConfig?.ipRanges, p, "runtimeConfig.ipRanges");
  const runtimeIps = plain.map(conf.runtimeConfig?.ips ?? [], (s, i) => p.check(`runtimeConfig.ips[${i}]`, () => requestedFromJson(s)));
  const argsIps = plain.map(conf.args?.cni?.ips ?? [], (s, i) => p.check(`args.cni.ips[${i}]`, () => requestedFromJson(s)));

  if (ipam === undefined) {
    p.check("ipam", () => {
      throw internalError("IPAM config missing 'ipam' key");
    });
    return undefined;
  }

  const requested: (Addr | null | undefined)[] = [];
  p.check("CNI_ARGS", () => {
    if (cniArgs === "") return;
    const env = parseCniArgs(cniArgs, { ...cniArgSpec, IgnoreUnknown: argBool });
    if (env.IP !== undefined) requested.push(env.IP);
  });
  requested.push(...argsIps, ...runtimeIps);
  if (plain.some(requested, (ip) => ip === null)) {
    p.check("runtimeConfig.ips", () => {
      throw internalError("cannot understand ip: IP <nil> not v4 nor v6");
    });
  }

  const inputs = [...runtimeRanges, ...(legacy ? [{ path: "ipam", set: [legacy], broken: legacyBroken }] : []), ...configured];
  if (inputs.length === 0) {
    p.check("ipam.ranges", () => {
      throw internalError("no IP ranges specified");
    });
  }

  const canonical = (set: RangeInput[], i: number): RangeSet => {
    try {
      return canonicalizeRangeSet(set);
    } catch (err) {
      throw internalError(`invalid range set ${i}: ${err instanceof Error ? err.message : String(err)}`);
    }
  };
  const rangeSets = plain.map(inputs, ({ path, set, broken }, i) => (broken ? undefined : p.check(path, () => canonical(set, i))));

  if (!p.ok) return undefined;
  const sets = rangeSets as RangeSet[];

  const cniVersion = conf.cniVersion ?? "";
  const v4 = plain.filter(sets, isIPv4Set).length;
  const v6 = sets.length - v4;
  if ((v4 > 1 || v6 > 1) && !versionAtLeast(cniVersion, "0.3.0")) {
    p.check("cniVersion", () => {
      throw internalError(`CNI version ${cniVersion} does not support more than 1 address per family`);
    });
  }

  for (let i = 0; i < sets.length - 1; i++) {
    for (let j = i + 1; j < sets.length; j++) {
      if (rangeSetsOverlap(sets[i]!, sets[j]!)) {
        p.check(inputs[j]?.path ?? "ipam.ranges", () => {
          throw internalError(`range set ${i} overlaps with ${j}`);
        });
      }
    }
  }
  if (!p.ok) return undefined;

  const seen = new Set<string>();
  const requestedIPs = plain.filter(requested as Addr[], (ip) => {
    const key = ipString(ip);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });

  return {
    name: conf.name ?? "",
    cniVersion,
    rangeSets: sets,
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
