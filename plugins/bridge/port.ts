/**
 * The host end as a bridge port: master, hairpin, isolation, VLANs; and the wait until it is up
 * and taken in by the bridge, woken by netlink link events.
 */
import { CniError, internalError } from "../../src/cni/index.ts";
import { goQuote } from "../../src/gofmt/index.ts";
import type { Link, PortState, Rtnl } from "../../src/netlink/index.ts";

const errText = (err: unknown): string => CniError.from(err).message;

export interface PortRequest {
  hairpin: boolean;
  isolated: boolean;
  /** Access VLAN (PVID, untagged); 0 for none. */
  vlan: number;
  /** Trunk VIDs (tagged). */
  trunk: readonly number[];
  preserveDefaultVlan: boolean;
}

function step(what: string, fn: () => void): void {
  try {
    fn();
  } catch (err) {
    throw internalError(`${what}: ${errText(err)}`, err);
  }
}

/** Every VLAN on the port goes (the kernel puts VID 1 there when it joins a filtering bridge). */
function removeVlans(nl: Rtnl, index: number): void {
  for (const v of nl.portGet(index, true)?.vlans ?? []) nl.bridgeVlanDel(index, v.vid);
}

export function setupPort(nl: Rtnl, port: Link, bridge: Link, req: PortRequest): void {
  const name = port.name;
  // A veth created with its master (the container's host end) is a port already: no second round trip.
  if (port.master !== bridge.index) {
    step(`failed to connect ${goQuote(name)} to bridge ${bridge.name}`, () => nl.linkSet(port.index, { master: bridge.index }));
  }
  // A setting the port's own link message already shows as wanted (a new port: both off) is not
  // written again: the same kernel state, a round trip less each.
  if (port.port?.hairpin !== req.hairpin) {
    step(`failed to setup hairpin mode for ${name}`, () => nl.portSet(port.index, { hairpin: req.hairpin }));
  }
  if (port.port?.isolated !== req.isolated) {
    step(`failed to set isolated on for ${name}`, () => nl.portSet(port.index, { isolated: req.isolated }));
  }
  setupPortVlans(nl, port, req);
}

export function setupPortVlans(nl: Rtnl, port: Link, req: Pick<PortRequest, "vlan" | "trunk" | "preserveDefaultVlan">): void {
  if (req.vlan === 0 && req.trunk.length === 0) return; // nothing to do, not even the name to quote
  const q = goQuote(port.name);
  if ((req.vlan !== 0 || req.trunk.length > 0) && !req.preserveDefaultVlan) {
    step(`failed to remove default vlan on interface ${q}`, () => removeVlans(nl, port.index));
  }
  if (req.vlan !== 0) {
    step(`failed to setup vlan tag on interface ${q}`, () => nl.bridgeVlanAdd(port.index, { vid: req.vlan, pvid: true, untagged: true }));
  }
  for (const vid of req.trunk) {
    step(`failed to setup vlan tag on interface ${q}`, () => nl.bridgeVlanAdd(port.index, { vid }));
  }
  if (req.vlan === 0 && req.trunk.length > 0) {
    step(`failed to setup default native vlan tag on interface ${q}`, () =>
      nl.bridgeVlanAdd(port.index, { vid: 1, pvid: true, untagged: true }),
    );
  }
}

/** The reference gives up after sleeping 0+50+500+1000+1000 ms; so do we, but wake on events. */
export const PORT_WAIT_MS = 2550;

interface PortView {
  link: Link;
  /** undefined: the kernel reports no STP state for it (not, or no longer, a bridge port). */
  stp: PortState | undefined;
}

function portView(nl: Rtnl, port: number | string): PortView | undefined {
  const link = nl.linkFind(port);
  if (link === undefined) return undefined;
  // A bridge port's own link message carries its STP state: one round trip, no port dump.
  return { link, stp: link.port !== undefined ? link.port.state : nl.portGet(link.index)?.state };
}

/**
 * Resolves once the host end is up (the reference's whole condition) and the bridge has taken it
 * in: "forwarding" on a bridge without STP, which happens with the same carrier event. On a bridge
 * running STP the port passes listening and learning for 2 x forward_delay (30 s by default) before
 * it forwards: the reference does not wait for that, and waiting for it here failed the ADD at the
 * bound, so any state but "disabled" counts. At the bound only the reference's condition decides:
 * up succeeds, anything else is its `bridge port in error state`. Returns the port's link as last
 * read (the result's MAC comes from it). `port`: its ifindex, or its name when that is unknown.
 * `firstRead` sees the port's first read (bridge ADD checks a default port's settings there).
 */
export async function waitPortUp(nl: Rtnl, port: number | string, firstRead?: (link: Link) => void, timeoutMs = PORT_WAIT_MS): Promise<Link> {
  const ready = (v: PortView): boolean => v.link.operstate === "up" && v.stp !== "disabled";
  // Usually up already (the container end came up with its addresses): then no event socket.
  // Otherwise the watch is opened and the port read again, so no event between is missed.
  const now = portView(nl, port);
  if (now !== undefined) firstRead?.(now.link);
  if (now !== undefined && ready(now)) return now.link;
  using watch = nl.watchLinks();
  const r = await watch.waitFor(() => portView(nl, port), ready, timeoutMs);
  const link = r.met ? r.last?.link : nl.linkFind(port);
  if (link?.operstate !== "up") throw internalError(`bridge port in error state: ${link?.operstate ?? "unknown"}`);
  return link;
}
