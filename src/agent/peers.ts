/**
 * Which route each peer node's pod CIDRs need: via the peer's InternalIP of the same family, and
 * only when that address is on a directly connected network (the kernel's own route to it has no
 * gateway) — otherwise the peer is reported, since a route via a next hop would blackhole.
 */
import { type NodeInfo, rejectedReason } from "./kube-types.ts";

export interface PeerRoute {
  node: string;
  dst: string;
  gw: string;
}

/** What keeps a peer's pod CIDR unrouted; each has its own remedy (tscni doctor). */
export type UnreachableCause = "bad-pod-cidr" | "bad-internal-ip" | "no-internal-ip" | "shared-pod-cidr" | "not-direct" | "no-route";

export interface Unreachable {
  node: string;
  reason: string;
  /** Absent in status files of agents before it was recorded. */
  cause?: UnreachableCause;
}

/** What the kernel says about reaching `ip`: directly ("link") or via a gateway, or not at all. */
export type Reach = { kind: "link" } | { kind: "gateway"; gw: string } | { kind: "none"; why: string };

const isV6 = (text: string): boolean => text.includes(":");

export function planPeerRoutes(nodes: Iterable<NodeInfo>, self: string, reach: (ip: string) => Reach): { routes: PeerRoute[]; unreachable: Unreachable[] } {
  const routes: PeerRoute[] = [];
  const unreachable: Unreachable[] = [];
  for (const n of nodes) {
    if (n.name === self) continue;
    for (const r of n.rejected) unreachable.push({ node: n.name, reason: `${rejectedReason(r)}; it is not used`, cause: r.field === "podCIDR" ? "bad-pod-cidr" : "bad-internal-ip" });
    for (const cidr of n.podCIDRs) {
      const ip = n.internalIPs.find((a) => isV6(a) === isV6(cidr));
      if (ip === undefined) {
        unreachable.push({ node: n.name, reason: `no ${isV6(cidr) ? "IPv6" : "IPv4"} InternalIP for its pod CIDR ${cidr}`, cause: "no-internal-ip" });
        continue;
      }
      const taken = routes.find((x) => x.dst === cidr);
      if (taken !== undefined) {
        // Two routes for one destination would replace each other on every pass.
        unreachable.push({ node: n.name, reason: `its pod CIDR ${cidr} is also node ${taken.node}'s; only ${taken.node}'s is routed`, cause: "shared-pod-cidr" });
        continue;
      }
      const r = reach(ip);
      if (r.kind === "link") routes.push({ node: n.name, dst: cidr, gw: ip });
      else if (r.kind === "gateway") {
        unreachable.push({ node: n.name, reason: `its InternalIP ${ip} is not on a directly connected network (reached via ${r.gw}); pods on ${cidr} are unreachable from here`, cause: "not-direct" });
      } else unreachable.push({ node: n.name, reason: `its InternalIP ${ip} cannot be reached (${r.why}); pods on ${cidr} are unreachable from here`, cause: "no-route" });
    }
  }
  return { routes, unreachable };
}
