/**
 * Where a plugin that needs a previous result (portmap) stands in a list, judged from the list
 * alone: it acts on the container addresses of the result before it, through the host. A chain
 * that hands it no address, or a host device the host has no address on, passes every loader and
 * ADD, and then does nothing. tscni's plugins describe themselves; others are known by kind.
 */
import { goField } from "../cni/index.ts";
import { describeConfig, ipamType, type PluginLookup } from "../container/index.ts";
import { type NetworkList, Runtime } from "../runtime/index.ts";

/** Reference plugins tscni does not provide that create the container's interface. */
const FOREIGN_CREATORS = new Set(["ptp", "macvlan", "ipvlan", "host-device", "vlan", "dummy", "tap"]);
/** Reference plugins tscni does not provide that create no container interface. */
const FOREIGN_NO_INTERFACE = new Set(["firewall", "tuning", "bandwidth", "sbr", "vrf"]);

function config(list: NetworkList, index: number): Record<string, unknown> {
  const p = list.plugins[index];
  return p === undefined ? {} : (JSON.parse(Runtime.pluginStdin(list, p, undefined, undefined)) as Record<string, unknown>);
}

type Kind = "creates" | "none" | "unknown";

async function kindOf(plugins: PluginLookup, list: NetworkList, index: number): Promise<Kind> {
  const type = list.plugins[index]?.type ?? "";
  const entry = await plugins(type);
  if (entry !== undefined) return (await entry.describe(config(list, index))).createsInterface ? "creates" : "none";
  return FOREIGN_CREATORS.has(type) ? "creates" : FOREIGN_NO_INTERFACE.has(type) ? "none" : "unknown";
}

/** Why the interface plugin at `index` leaves `chained` nothing to act on, if it does. */
async function interfaceProblem(plugins: PluginLookup, list: NetworkList, index: number, chained: string): Promise<string | undefined> {
  const c = config(list, index);
  const type = list.plugins[index]?.type ?? "";
  if (ipamType(c) === "") return `plugins[${index}] ${type} has no ipam, so its result holds no container address and ${chained} maps nothing`;
  const routes = goField(goField(c, "ipam") as Record<string, unknown>, "routes");
  if (Array.isArray(routes) && routes.length > 0) return undefined;
  const l2 = (await describeConfig(plugins, type, c)).devices.find((d) => !d.gateway);
  if (l2 === undefined) return undefined;
  return `plugins[${index}] ${type} is an L2 ${l2.kind} (no gateway, no ipam routes): the host has no address on ${JSON.stringify(l2.name)}, so the ports ${chained} forwards cannot reach the containers; ${l2.gatewayFix}`;
}

/** Warnings (not errors: the list loads and ADD succeeds) for every chained-only plugin after the first. */
export async function chainWarnings(list: NetworkList, plugins: PluginLookup): Promise<string[]> {
  const out: string[] = [];
  for (const [i, p] of list.plugins.entries()) {
    const place = (await plugins(p.type))?.chainedOnly;
    if (place === undefined || i === 0) continue;
    const kinds = await Promise.all(list.plugins.slice(0, i).map((_, j) => kindOf(plugins, list, j)));
    const creator = kinds.lastIndexOf("creates");
    if (creator < 0) {
      if (kinds.every((k) => k === "none")) {
        const before = list.plugins.slice(0, i).map((b) => b.type);
        out.push(`plugins[${i}] ${p.type} follows only ${before.join(", ")}, which ${before.length === 1 ? "creates" : "create"} no container interface: it gets no container address and maps nothing; ${place}`);
      }
      continue;
    }
    const why = await interfaceProblem(plugins, list, creator, p.type);
    if (why !== undefined) out.push(`plugins[${i}] ${p.type}: ${why}`);
  }
  return out;
}
