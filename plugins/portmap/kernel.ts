/** What portmap asks of the kernel besides the firewall; a seam so unit tests need no root. */
import { conntrackDeleteUdpByDstPort, Rtnl } from "../../src/netlink/index.ts";
import { sysctlSet } from "../../src/sys/index.ts";

export interface PortmapKernel {
  /** Removes conntrack entries: UDP, original destination port in `ports`, this family. */
  deleteUdpConntrack(family: 4 | 6, ports: readonly number[]): Promise<void>;
  /** The host interface the route to `ip` goes out of (`ip route get`), if any. */
  routeInterface(ip: string): Promise<string | undefined>;
  /** `net.ipv4.conf.<ifname>.route_localnet = 1`. */
  enableRouteLocalnet(ifname: string): Promise<void>;
}

export const systemKernel: PortmapKernel = {
  deleteUdpConntrack: async (family, ports) => {
    conntrackDeleteUdpByDstPort(family, ports);
  },
  routeInterface: async (ip) => {
    // try/finally, not `using`: its dispose helper is a JS-written builtin JSC compiles on first use.
    const nl = Rtnl.open();
    try {
      const oif = nl.routeGet(ip).oif;
      return oif === undefined ? undefined : nl.linkGet(oif).name;
    } finally {
      nl.close();
    }
  },
  enableRouteLocalnet: async (ifname) => {
    // Interface names may contain dots, so the key is given with slashes.
    sysctlSet(`net/ipv4/conf/${ifname}/route_localnet`, "1");
  },
};
