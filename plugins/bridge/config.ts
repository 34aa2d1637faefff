/**
 * The bridge's configuration: the schema with Go's JSON rules, then the
 * reference's load order — decode, VLAN id, trunk, CNI_ARGS, MAC precedence — and, for ADD only,
 * the cross-field rules. Every message is the reference's.
 */
import * as v from "valibot";
import {
  type CmdArgs,
  type ConfigProblem,
  decodeConfig,
  goField,
  goBool,
  goInt,
  goNullableSlice,
  goString,
  goStruct,
  internalError,
  NetConfEntries,
  parseCniArgs,
  ProblemList,
  argString,
} from "../../src/cni/index.ts";
import { checkHostLocalIpam, ipamType, type PluginDescription } from "../../src/container/index.ts";

/** One `vlanTrunk` entry; absent fields stay undefined (Go nil pointers). */
export const VlanTrunkEntry = goStruct("VlanTrunk", "main.VlanTrunk", {
  minID: v.optional(goInt()),
  maxID: v.optional(goInt()),
  id: v.optional(goInt()),
});
export type VlanTrunkEntry = v.InferOutput<typeof VlanTrunkEntry>;

export const BridgeConfig = goStruct("NetConf", "main.NetConf", {
  ...NetConfEntries,
  bridge: v.optional(goString()),
  isGateway: v.optional(goBool(), false),
  isDefaultGateway: v.optional(goBool(), false),
  forceAddress: v.optional(goBool(), false),
  ipMasq: v.optional(goBool(), false),
  ipMasqBackend: v.optional(goString()),
  mtu: v.optional(goInt(), 0),
  hairpinMode: v.optional(goBool(), false),
  promiscMode: v.optional(goBool(), false),
  vlan: v.optional(goInt(), 0),
  vlanTrunk: v.optional(goNullableSlice("[]*main.VlanTrunk", VlanTrunkEntry)),
  preserveDefaultVlan: v.optional(goBool(), false),
  macspoofchk: v.optional(goBool(), false),
  enabledad: v.optional(goBool(), false),
  disableContainerInterface: v.optional(goBool(), false),
  portIsolation: v.optional(goBool(), false),
  args: v.optional(
    goStruct("", 'struct { Cni main.BridgeArgs "json:\\"cni,omitempty\\"" }', {
      cni: v.optional(goStruct("BridgeArgs", "main.BridgeArgs", { mac: v.optional(goString()) })),
    }),
  ),
  runtimeConfig: v.optional(goStruct("", 'struct { Mac string "json:\\"mac,omitempty\\"" }', { mac: v.optional(goString()) })),
});
export type BridgeConfig = v.InferOutput<typeof BridgeConfig>;

export const DEFAULT_BRIDGE = "cni0";
export const MAX_VLAN = 4094;

/** What the verbs act on: the decoded config plus the derived values. */
export interface BridgeConf {
  readonly raw: BridgeConfig;
  /** The config as given, and CNI_ARGS: what the in-process IPAM will read. */
  readonly config: Record<string, unknown>;
  readonly cniArgs: string;
  readonly network: string;
  readonly bridge: string;
  /** `ipam.type` is set: addresses come from IPAM. */
  readonly isLayer3: boolean;
  readonly ipamType: string;
  readonly isGateway: boolean;
  readonly isDefaultGateway: boolean;
  /** Trunk VIDs, de-duplicated and sorted. */
  readonly vlans: readonly number[];
  /** Bridge vlan_filtering is requested when a vlan or any `vlanTrunk` (even `[]`) is given. */
  readonly vlanFiltering: boolean;
  /** The container MAC: runtimeConfig.mac > args.cni.mac > CNI_ARGS MAC; "" for the kernel's. */
  readonly mac: string;
}

/** Decodes stdin the way the reference's json.Unmarshal does. */
export function decodeBridgeConfig(raw: unknown): BridgeConfig {
  return decodeConfig(BridgeConfig, raw, "failed to load netconf: ");
}

/** The trunk's VIDs, with the reference's checks and messages, in entry order. */
export function collectVlanTrunk(trunk: readonly (VlanTrunkEntry | null)[] | undefined): number[] {
  if (trunk === undefined) return [];
  const vids = new Set<number>();
  const inRange = (n: number): boolean => n > 0 && n <= MAX_VLAN;
  for (const item of trunk) {
    if (item === null) continue;
    const { minID, maxID, id } = item;
    if (minID !== undefined && maxID !== undefined) {
      if (!inRange(minID)) throw internalError("incorrect trunk minID parameter");
      if (!inRange(maxID)) throw internalError("incorrect trunk maxID parameter");
      if (maxID < minID) throw internalError("minID is greater than maxID in trunk parameter");
      for (let vid = minID; vid <= maxID; vid++) vids.add(vid);
    } else if (maxID !== undefined) {
      throw internalError("minID and maxID should be configured simultaneously, minID is missing");
    } else if (minID !== undefined) {
      throw internalError("minID and maxID should be configured simultaneously, maxID is missing");
    }
    if (id !== undefined) {
      if (!inRange(id)) throw internalError("incorrect trunk id parameter");
      vids.add(id);
    }
  }
  return [...vids].sort((a, b) => a - b);
}

/** Every verb: decode, VLAN checks, CNI_ARGS (only `MAC` and `IgnoreUnknown` are known). */
export function loadBridgeConf(config: Record<string, unknown>, cniArgs: string): BridgeConf {
  const conf = checkBridgeConf(config, cniArgs, ProblemList.strict());
  if (conf === undefined) throw internalError("invalid configuration");
  return conf;
}

function checkBridgeConf(config: Record<string, unknown>, cniArgs: string, p: ProblemList): BridgeConf | undefined {
  const raw = p.decode(BridgeConfig, config, "failed to load netconf: ");
  if (raw === undefined) return undefined;
  p.check("vlan", () => {
    if (raw.vlan < 0 || raw.vlan > MAX_VLAN) throw internalError(`invalid VLAN ID ${raw.vlan} (must be between 0 and ${MAX_VLAN})`);
  });
  const vlans = p.check("vlanTrunk", () => collectVlanTrunk(raw.vlanTrunk)) ?? [];
  const env = p.check("CNI_ARGS", () => parseCniArgs(cniArgs, { MAC: argString })) ?? {};
  let mac = env.MAC ?? "";
  if (raw.args?.cni?.mac) mac = raw.args.cni.mac;
  if (raw.runtimeConfig?.mac) mac = raw.runtimeConfig.mac;
  const ipamType = raw.ipam?.type ?? "";
  return {
    raw,
    config,
    cniArgs,
    network: raw.name,
    bridge: raw.bridge === undefined || raw.bridge === "" ? DEFAULT_BRIDGE : raw.bridge,
    isLayer3: ipamType !== "",
    ipamType,
    isGateway: raw.isGateway || raw.isDefaultGateway,
    isDefaultGateway: raw.isDefaultGateway,
    vlans,
    vlanFiltering: raw.vlan !== 0 || raw.vlanTrunk !== undefined,
    mac,
  };
}

/**
 * ADD's own rules, checked before anything is created: the key combinations the reference
 * refuses, then the IPAM plugin's own checks in the same list.
 */
export function checkAddRules(conf: BridgeConf, p: ProblemList = ProblemList.strict()): void {
  bridgeRules(conf, p);
  checkHostLocalIpam(conf.config, conf.cniArgs, p);
}

function bridgeRules(conf: BridgeConf, p: ProblemList): void {
  p.check("ipam", () => {
    if (conf.isLayer3 && conf.raw.disableContainerInterface) throw internalError("cannot use IPAM when DisableContainerInterface flag is set");
  });
  p.check("hairpinMode", () => {
    if (conf.raw.hairpinMode && conf.raw.promiscMode) throw internalError("cannot set hairpin mode and promiscuous mode at the same time");
  });
  // An explicit "" replaces the default name in the reference, and the kernel refuses it when the
  // bridge is created: the same error, before anything exists. Other verbs keep cni0 (DEL cleans up).
  p.check("bridge", () => {
    if (conf.raw.bridge === "") throw internalError('failed to create bridge "": could not add "": LinkAttrs.Name cannot be empty');
  });
}

/**
 * Everything ADD checks, in its order: thrown at the first problem (strict: the verbs) or each one
 * recorded (collecting: validate). IPAM's own checks run even when the bridge's keys do not
 * decode: they read an independent section.
 */
export function checkBridgeAdd(config: Record<string, unknown>, cniArgs: string, p: ProblemList): BridgeConf | undefined {
  const conf = checkBridgeConf(config, cniArgs, p);
  if (conf === undefined) {
    checkHostLocalIpam(config, cniArgs, p);
    return undefined;
  }
  checkAddRules(conf, p);
  return conf;
}

/** Every problem ADD would report for `config`, each with its JSON path (for `tscni validate`). */
export function bridgeProblems(config: Record<string, unknown>): ConfigProblem[] {
  const p = ProblemList.collect();
  checkBridgeAdd(config, "", p);
  return p.problems;
}

/** The bridge a config names, read leniently (any config, decodable or not): cni0 when unset. */
export function describeBridge(config: Record<string, unknown>): PluginDescription {
  const name = goField(config, "bridge");
  const gateway = goField(config, "isGateway") === true || goField(config, "isDefaultGateway") === true;
  const layer3 = ipamType(config) !== "";
  return {
    devices: [{ kind: "bridge", path: "bridge", name: typeof name === "string" && name !== "" ? name : DEFAULT_BRIDGE, gateway, gatewayFix: 'set "isGateway": true' }],
    ipam: [],
    firewall: layer3 && goField(config, "ipMasq") === true ? ["masquerade"] : [],
    createsInterface: goField(config, "disableContainerInterface") !== true,
    drivers: ["bridge", "veth"],
  };
}

/** The config's `dns` replaces IPAM's when any field is set (an empty list counts as set). */
export function dnsConfigured(conf: BridgeConf): boolean {
  const d = conf.raw.dns;
  if (d === undefined) return false;
  return d.nameservers !== undefined || d.search !== undefined || d.options !== undefined || (d.domain ?? "") !== "";
}

export function loadForArgs(a: CmdArgs): BridgeConf {
  return loadBridgeConf(a.config, a.args);
}
