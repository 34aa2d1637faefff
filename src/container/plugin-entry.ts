/**
 * What one line of plugins/registry.ts stands for: the verbs, and what the operator tools (validate,
 * doctor, gc) need to know about a config without knowing the plugin by name. src/cli reads plugins
 * only through this shape.
 */
import { goField, type PluginDef, type ProblemList } from "../cni/index.ts";
import type { FirewallKind } from "../firewall/index.ts";
import type { Range } from "../ipam/index.ts";

/** A host device the plugin attaches containers to, created by ADD when missing. */
export interface HostDevice {
  /** The kernel's link kind ("bridge"); a device of another kind there makes ADD fail. */
  kind: string;
  name: string;
  /** Where the config names it ("bridge"), for validate's reports. */
  path: string;
  /** ADD puts the subnet's gateway address on it, so the host reaches the containers. */
  gateway: boolean;
  /** How a config gives the host an address on it, for an operator who forgot. */
  gatewayFix: string;
}

/** host-local state a config uses: where, and the range sets it hands out ([] when they do not load). */
export interface IpamStore {
  dataDir: string;
  rangeSets: Range[][];
}

/** Firewall objects a plugin owns per attachment, in the firewall seam's words. */

export interface PluginDescription {
  devices: HostDevice[];
  ipam: IpamStore[];
  firewall: FirewallKind[];
  /** ADD creates the container's interface (and so hands chained plugins its addresses). */
  createsInterface: boolean;
  /** Kernel link kinds ADD creates (each needs its driver: "veth"). */
  drivers?: string[];
}

export const NOTHING: PluginDescription = { devices: [], ipam: [], firewall: [], createsInterface: false };

export interface PluginEntry extends PluginDef {
  /**
   * Every rule ADD applies to `config` (one plugin's stdin), in the verbs' order: thrown at the
   * first when `problems` is strict, each recorded with its JSON path when collecting.
   */
  checkConfig(config: Record<string, unknown>, problems: ProblemList, cniVersion: string): Promise<void>;
  /** Set when the plugin needs a previous result: where it belongs in a list, for validate. */
  chainedOnly?: string;
  /** What the config makes the plugin own or use on the host; never fails (unloadable parts are left out). */
  describe(config: Record<string, unknown>): Promise<PluginDescription>;
}

/** Plugin type -> its registry entry, or undefined for a plugin tscni does not provide. */
export type PluginLookup = (type: string) => Promise<PluginEntry | undefined>;

export function mergeDescriptions(ds: readonly PluginDescription[]): PluginDescription {
  return {
    devices: ds.flatMap((d) => d.devices),
    ipam: ds.flatMap((d) => d.ipam),
    firewall: [...new Set(ds.flatMap((d) => d.firewall))],
    createsInterface: ds.some((d) => d.createsInterface),
    drivers: [...new Set(ds.flatMap((d) => d.drivers ?? []))],
  };
}

/** The `ipam.type` of a plugin's stdin ("" when none): IPAM is delegated by this key, whatever the plugin. */
export function ipamType(config: Record<string, unknown>): string {
  const ipam = goField(config, "ipam");
  if (ipam === null || typeof ipam !== "object" || Array.isArray(ipam)) return "";
  const t = goField(ipam as Record<string, unknown>, "type");
  return typeof t === "string" ? t : "";
}

/**
 * A plugin's description including its delegated IPAM plugin's (which reads the same stdin), when
 * tscni provides them; a foreign plugin describes nothing.
 */
export async function describeConfig(lookup: PluginLookup, type: string, config: Record<string, unknown>): Promise<PluginDescription> {
  const main = await lookup(type);
  const ipam = ipamType(config);
  const delegated = ipam === "" || ipam === type ? undefined : await lookup(ipam);
  return mergeDescriptions([(await main?.describe(config)) ?? NOTHING, (await delegated?.describe(config)) ?? NOTHING]);
}
