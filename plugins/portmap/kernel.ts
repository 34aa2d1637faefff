/** What portmap asks of the kernel besides the firewall; a seam so unit tests need no root. */
import { conntrackDeleteUdpByDstPort, IPV4_DEVCONF_ROUTE_LOCALNET, Rtnl } from "../../src/netlink/index.ts";
import { sysctlSet } from "../../src/sys/index.ts";

export interface PortmapKernel {
  /** Removes conntrack entries: UDP, original destination port in `ports`, this family. */
  deleteUdpConntrack(family: 4 | 6, ports: readonly number[]): Promise<void>;
  /**
   * `net.ipv4.conf.<ifname>.route_localnet = 1` on the host interface the route to `ip` goes out
   * of (`ip route get`). Nothing when there is no such route or it cannot be looked up (the
   * reference then skips the step); throws when the setting cannot be written.
   */
  enableRouteLocalnet(ip: string): Promise<void>;
}

export const systemKernel: PortmapKernel = {
  deleteUdpConntrack: async (family, ports) => {
    conntrackDeleteUdpByDstPort(family, ports);
  },
  enableRouteLocalnet: async (ip) => {
    // try/finally, not `using`: its dispose helper is a JS-written builtin JSC compiles on first use.
    const nl = Rtnl.open();
    try {
      let oif: number | undefined;
      try {
        oif = nl.routeGet(ip).oif;
      } catch {
        return;
      }
      if (oif === undefined) return;
      // Over netlink, as the sysctl write would set it: a /proc/sys path costs more with every
      // pod's netns on the node (src/netlink/devconf.ts).
      try {
        nl.linkSet(oif, { ipv4Conf: [[IPV4_DEVCONF_ROUTE_LOCALNET, 1]] });
        return;
      } catch {
        // the sysctl below decides, and its error is the one reported
      }
      let ifname: string;
      try {
        ifname = nl.linkGet(oif).name;
      } catch {
        return; // gone since the route lookup: as when the lookup fails
      }
      // Interface names may contain dots, so the key is given with slashes.
      sysctlSet(`net/ipv4/conf/${ifname}/route_localnet`, "1");
    } finally {
      nl.close();
    }
  },
};
