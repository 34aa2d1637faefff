/**
 * The bridge's configuration (checklist §2.1.1): the schema with Go's JSON rules, then the
 * reference's load order — decode, VLAN id, trunk, CNI_ARGS, MAC precedence — and, for ADD only,
 * the cross-field rules. Every message is the reference's.
 */
import * as v from "valibot";
import { type CmdArgs, DnsSchema, foldKeys, internalError, parseCniArgs, argString } from "../../src/cni/index.ts";

type GoType = "bool" | "int" | "string";

function jsonTypeOf(input: unknown): string {
  if (Array.isArray(input)) return "array";
  if (typeof input === "boolean") return "bool";
  if (input === null) return "null";
  return typeof input;
}

/** Go's encoding/json type error for the struct field at `path`. */
function goTypeError(path: string, type: GoType): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => {
    const got = issue.input;
    const what = typeof got === "number" ? `number ${String(got)}` : jsonTypeOf(got);
    return `json: cannot unmarshal ${what} into Go struct field NetConf.${path} of type ${type}`;
  };
}

const goBool = (path: string) => v.boolean(goTypeError(path, "bool"));
const goInt = (path: string) => v.pipe(v.number(goTypeError(path, "int")), v.integer(goTypeError(path, "int")));
const goString = (path: string) => v.string(goTypeError(path, "string"));

/** One `vlanTrunk` entry; absent fields stay undefined (Go nil pointers). */
export const VlanTrunkEntry = v.looseObject({
  minID: v.optional(goInt("vlanTrunk.minID")),
  maxID: v.optional(goInt("vlanTrunk.maxID")),
  id: v.optional(goInt("vlanTrunk.id")),
});
export type VlanTrunkEntry = v.InferOutput<typeof VlanTrunkEntry>;

export const BridgeConfig = v.looseObject({
  cniVersion: v.optional(goString("cniVersion"), ""),
  name: v.optional(goString("name"), ""),
  type: v.optional(goString("type"), ""),
  bridge: v.optional(goString("bridge")),
  isGateway: v.optional(goBool("isGateway"), false),
  isDefaultGateway: v.optional(goBool("isDefaultGateway"), false),
  forceAddress: v.optional(goBool("forceAddress"), false),
  ipMasq: v.optional(goBool("ipMasq"), false),
  ipMasqBackend: v.optional(goString("ipMasqBackend")),
  mtu: v.optional(goInt("mtu"), 0),
  hairpinMode: v.optional(goBool("hairpinMode"), false),
  promiscMode: v.optional(goBool("promiscMode"), false),
  vlan: v.optional(goInt("vlan"), 0),
  vlanTrunk: v.optional(v.array(v.nullable(VlanTrunkEntry))),
  preserveDefaultVlan: v.optional(goBool("preserveDefaultVlan"), false),
  macspoofchk: v.optional(goBool("macspoofchk"), false),
  enabledad: v.optional(goBool("enabledad"), false),
  disableContainerInterface: v.optional(goBool("disableContainerInterface"), false),
  portIsolation: v.optional(goBool("portIsolation"), false),
  ipam: v.optional(v.looseObject({ type: v.optional(goString("ipam.type"), "") })),
  dns: v.optional(DnsSchema),
  args: v.optional(v.looseObject({ cni: v.optional(v.looseObject({ mac: v.optional(goString("args.cni.mac")) })) })),
  runtimeConfig: v.optional(v.looseObject({ mac: v.optional(goString("runtimeConfig.mac")) })),
});
export type BridgeConfig = v.InferOutput<typeof BridgeConfig>;

export const DEFAULT_BRIDGE = "cni0";
export const MAX_VLAN = 4094;

/** What the verbs act on: the decoded config plus the derived values. */
export interface BridgeConf {
  readonly raw: BridgeConfig;
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

/** Decodes stdin the way the reference's json.Unmarshal does (no prefix on the field's message). */
export function decodeBridgeConfig(raw: unknown): BridgeConfig {
  const res = v.safeParse(BridgeConfig, foldKeys(BridgeConfig, raw));
  if (res.success) return res.output;
  const first = res.issues[0];
  const path = (first?.path ?? []).map((p) => String(p.key)).join(".");
  const msg = first === undefined ? "invalid configuration" : first.message.startsWith("json: ") || path === "" ? first.message : `${path}: ${first.message}`;
  throw internalError(`failed to load netconf: ${msg}`);
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
  const raw = decodeBridgeConfig(config);
  if (raw.vlan < 0 || raw.vlan > MAX_VLAN) {
    throw internalError(`invalid VLAN ID ${raw.vlan} (must be between 0 and ${MAX_VLAN})`);
  }
  const vlans = collectVlanTrunk(raw.vlanTrunk);
  const env = parseCniArgs(cniArgs, { MAC: argString });
  let mac = env.MAC ?? "";
  if (raw.args?.cni?.mac) mac = raw.args.cni.mac;
  if (raw.runtimeConfig?.mac) mac = raw.runtimeConfig.mac;
  const ipamType = raw.ipam?.type ?? "";
  return {
    raw,
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

/** ADD's own rules, checked before anything is created. */
export function checkAddRules(conf: BridgeConf): void {
  if (conf.isLayer3 && conf.raw.disableContainerInterface) {
    throw internalError("cannot use IPAM when DisableContainerInterface flag is set");
  }
  if (conf.raw.hairpinMode && conf.raw.promiscMode) {
    throw internalError("cannot set hairpin mode and promiscuous mode at the same time");
  }
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
