/**
 * Where portmap stands in a list, judged from the list alone: portmap forwards to the container
 * addresses of the result before it, through the host. A chain that hands it no address, or a
 * bridge the host has no address on, passes every loader and ADD, and then maps nothing.
 */
import { goField } from "../cni/index.ts";
import { type NetworkList, Runtime } from "../runtime/index.ts";

/** Plugins that create the container's interface (the reference set; others are unknown here). */
const INTERFACE_PLUGINS = new Set(["bridge", "ptp", "macvlan", "ipvlan", "host-device", "vlan", "dummy", "tap"]);
/** Plugins known to create no container interface, so no address for portmap. */
const NO_INTERFACE = new Set(["loopback", "portmap", "firewall", "tuning", "bandwidth", "sbr", "vrf"]);

const PLACE = "portmap must come after the plugin that creates the container's interface (bridge, ptp, macvlan, …)";

/** portmap first in a list: ADD fails before doing anything. */
export const PORTMAP_FIRST = `must be called as chained plugin: ${PLACE}`;

function config(list: NetworkList, index: number): Record<string, unknown> {
  const p = list.plugins[index];
  return p === undefined ? {} : (JSON.parse(Runtime.pluginStdin(list, p, undefined, undefined)) as Record<string, unknown>);
}

const object = (v: unknown): Record<string, unknown> | undefined =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Why the interface plugin at `index` leaves portmap nothing to forward to, if it does. */
function interfaceProblem(list: NetworkList, index: number): string | undefined {
  const c = config(list, index);
  const type = list.plugins[index]?.type ?? "";
  const ipam = object(goField(c, "ipam"));
  const ipamType = ipam === undefined ? undefined : goField(ipam, "type");
  if (typeof ipamType !== "string" || ipamType === "") return `plugins[${index}] ${type} has no ipam, so its result holds no container address and portmap maps nothing`;
  if (type !== "bridge") return undefined;
  const gateway = goField(c, "isGateway") === true || goField(c, "isDefaultGateway") === true;
  const routes = goField(ipam ?? {}, "routes");
  if (gateway || (Array.isArray(routes) && routes.length > 0)) return undefined;
  const bridge = goField(c, "bridge");
  const name = typeof bridge === "string" && bridge !== "" ? bridge : "cni0";
  return `plugins[${index}] bridge is an L2 bridge (no isGateway, no ipam routes): the host has no address on ${JSON.stringify(name)}, so the ports portmap forwards cannot reach the containers; set "isGateway": true`;
}

/** Warnings (not errors: the list loads and ADD succeeds) for every portmap after the first plugin. */
export function chainWarnings(list: NetworkList): string[] {
  const out: string[] = [];
  list.plugins.forEach((p, i) => {
    if (p.type !== "portmap" || i === 0) return;
    const before = list.plugins.slice(0, i);
    const creator = before.findLastIndex((b) => INTERFACE_PLUGINS.has(b.type));
    if (creator < 0) {
      if (before.every((b) => NO_INTERFACE.has(b.type))) {
        out.push(`plugins[${i}] portmap follows only ${before.map((b) => b.type).join(", ")}, which ${before.length === 1 ? "creates" : "create"} no container interface: it gets no container address and maps nothing; ${PLACE}`);
      }
      return;
    }
    const why = interfaceProblem(list, creator);
    if (why !== undefined) out.push(`plugins[${i}] portmap: ${why}`);
  });
  return out;
}
