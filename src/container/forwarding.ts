import { CniError, internalError } from "../cni/index.ts";
import type { IpFamily } from "../ip/index.ts";
import type { Rtnl } from "../netlink/index.ts";
import { sysctlGet, sysctlSet } from "../sys/index.ts";

const FORWARDING: Record<IpFamily, string> = {
  4: "net/ipv4/ip_forward",
  6: "net/ipv6/conf/all/forwarding",
};

/**
 * Whether the host forwards `family` already; a sysctl it cannot read counts as no. Asked of the
 * kernel's netconf through `host` (a handle in the host netns) when given: the same value without
 * a /proc/sys lookup, whose cost grows with the pods on the node (src/netlink/devconf.ts).
 */
export function forwardingOn(family: IpFamily, host?: Rtnl): boolean {
  if (host !== undefined) {
    try {
      const on = host.forwarding(family);
      if (on !== undefined) return on === 1;
    } catch {
      // the sysctl below decides
    }
  }
  try {
    return sysctlGet(FORWARDING[family]).trim() === "1";
  } catch {
    return false;
  }
}

/**
 * The host forwards the family a container's gateway serves. Writes 1 only when the value is not
 * already 1, so a node whose /proc/sys is read-only but already forwarding is fine.
 */
export function enableForwarding(family: IpFamily): void {
  const name = FORWARDING[family];
  try {
    if (sysctlGet(name).trim() === "1") return;
    sysctlSet(name, "1");
  } catch (err) {
    throw internalError(`failed to enable forwarding: ${CniError.from(err).message}`, err);
  }
}
