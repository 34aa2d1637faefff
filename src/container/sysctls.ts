/**
 * Per-interface sysctls inside a container netns, written through src/sys in one synchronous
 * netns scope each: /proc/sys/net resolves against the netns of the thread that opens it.
 */
import { CniError, internalError } from "../cni/index.ts";
import { goQuote } from "../gofmt/index.ts";
import { IPV4_DEVCONF_ARP_NOTIFY, type LinkRtnl } from "../netlink/index.ts";
import { type NetNs, sysctlGet, sysctlSet, withNetnsSync } from "../sys/index.ts";

const errText = (err: unknown): string => CniError.from(err).message;

function trySet(name: string, value: string): void {
  try {
    sysctlSet(name, value);
  } catch {
    // ignored, as by the reference (e.g. IPv6 disabled in the container)
  }
}

/**
 * accept_dad / enhanced_dad / arp_notify of the container's interface (`cont` is a handle in its
 * netns, `iface` the interface); failures ignored. arp_notify goes over netlink, which sets it
 * as the sysctl write does, without a /proc/sys lookup in the pod's new netns (its cost grows
 * with the pods on the node: src/netlink/devconf.ts); ipv6's settings have no netlink setter.
 */
export function setContainerSysctls(cont: LinkRtnl, ns: NetNs, iface: { name: string; index: number }, enableDad: boolean): void {
  const ifname = iface.name;
  let arpNotifySet = true;
  try {
    cont.linkSet(iface.index, { ipv4Conf: [[IPV4_DEVCONF_ARP_NOTIFY, 1]] });
  } catch {
    arpNotifySet = false; // the sysctl below, as before (e.g. IPv4 off on the interface)
  }
  withNetnsSync(ns, () => {
    if (enableDad) {
      trySet(`net/ipv6/conf/${ifname}/enhanced_dad`, "1");
      trySet(`net/ipv6/conf/${ifname}/accept_dad`, "1");
    } else {
      trySet(`net/ipv6/conf/${ifname}/accept_dad`, "0");
    }
    if (!arpNotifySet) trySet(`net/ipv4/conf/${ifname}/arp_notify`, "1");
  });
}

/** Before the first IPv6 address: disable_ipv6=0 on lo and the interface, keep_addr_on_down=1. */
export function enableIpv6(ns: NetNs, ifname: string, log: (line: string) => void): void {
  withNetnsSync(ns, () => {
    for (const iface of ["lo", ifname]) {
      const name = `net/ipv6/conf/${iface}/disable_ipv6`;
      let value: string;
      try {
        value = sysctlGet(name).trim();
      } catch (err) {
        log(`ipam_linux: failed to read sysctl ${goQuote(name)}: ${errText(err)}`);
        continue;
      }
      if (value === "0") continue;
      try {
        sysctlSet(name, "0");
      } catch (err) {
        throw internalError(`failed to enable IPv6 for interface ${goQuote(iface)} (${name}=${value}): ${errText(err)}`, err);
      }
    }
    const keep = `net/ipv6/conf/${ifname}/keep_addr_on_down`;
    try {
      sysctlSet(keep, "1");
    } catch (err) {
      throw internalError(`failed to enable keep_addr_on_down for interface ${goQuote(ifname)}: ${errText(err)}`, err);
    }
  });
}
