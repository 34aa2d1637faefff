/**
 * The kernel side of peer routing: routes in the main table marked with tscni's own protocol
 * number, so the agent lists, replaces and removes only routes it made (`ip route show proto 122`).
 */
import { AF_INET, AF_INET6, isNetlinkErrno, Rtnl } from "../netlink/index.ts";
import { Errno } from "../sys/index.ts";
import type { PeerRoute, Reach } from "./peers.ts";

/** Unassigned in /etc/iproute2/rt_protos; `ip route show proto 122` lists the agent's routes. */
export const RTPROT_TSCNI = 122;

export interface RouteChange {
  action: "add" | "remove" | "skip";
  dst: string;
  gw: string;
  detail?: string;
}

export function reachOf(nl: Rtnl, ip: string): Reach {
  try {
    const r = nl.routeGet(ip);
    if (r.type !== 1) return { kind: "none", why: `route type ${r.type}` };
    // A route of our own to the peer itself would say nothing about the underlay.
    if (r.gw !== undefined && r.protocol !== RTPROT_TSCNI) return { kind: "gateway", gw: r.gw };
    return { kind: "link" };
  } catch (e) {
    return { kind: "none", why: (e as Error).message };
  }
}

const key = (dst: string, gw: string): string => `${dst} via ${gw}`;

/** Makes the marked routes exactly `want`; a destination someone else routes is left to them. */
export function syncRoutes(nl: Rtnl, want: readonly PeerRoute[]): RouteChange[] {
  const all = [AF_INET, AF_INET6].flatMap((family) => nl.routeList({ family }));
  const ours = all.filter((r) => r.protocol === RTPROT_TSCNI);
  const foreignDst = new Set(all.filter((r) => r.protocol !== RTPROT_TSCNI).map((r) => r.dst));
  const wanted = new Set(want.map((w) => key(w.dst, w.gw)));
  const changes: RouteChange[] = [];
  for (const r of ours) {
    if (r.gw !== undefined && wanted.has(key(r.dst, r.gw))) continue;
    try {
      nl.routeDel({ dst: r.dst, gw: r.gw, protocol: RTPROT_TSCNI, table: r.table });
    } catch (e) {
      if (!isNetlinkErrno(e, Errno.ESRCH)) throw e;
    }
    changes.push({ action: "remove", dst: r.dst, gw: r.gw ?? "" });
  }
  const have = new Set(ours.flatMap((r) => (r.gw === undefined ? [] : [key(r.dst, r.gw)])));
  for (const w of want) {
    if (have.has(key(w.dst, w.gw))) continue;
    if (foreignDst.has(normalise(w.dst))) {
      changes.push({ action: "skip", dst: w.dst, gw: w.gw, detail: "a route to it exists that tscni did not make" });
      continue;
    }
    nl.routeAdd({ dst: w.dst, gw: w.gw, protocol: RTPROT_TSCNI }, "replace");
    changes.push({ action: "add", dst: w.dst, gw: w.gw });
  }
  return changes;
}

/** Removes every route the agent made (uninstall). */
export function removeAllRoutes(nl: Rtnl): RouteChange[] {
  return syncRoutes(nl, []);
}

/** The form the kernel reports a destination in (network address, lower-case). */
function normalise(cidr: string): string {
  return cidr.toLowerCase();
}

export { Rtnl };
