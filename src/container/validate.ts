/**
 * CHECK's container side (the reference's ValidateExpectedInterfaceIPs and ValidateExpectedRoute):
 * what a result says was configured must still be in the container netns. Messages are the
 * reference's.
 */
import { internalError, type Result } from "../cni/index.ts";
import { goIp, goRoute } from "../gofmt/index.ts";
import { cidrText, networkAddress, parseCIDR } from "../ip/index.ts";
import { AF_INET, addressFamily, type Rtnl } from "../netlink/index.ts";

function canonical(cidr: string): string {
  const c = parseCIDR(cidr);
  return c === undefined ? cidr : cidrText(c.ip, c.prefix);
}

/** Every address of the result is on the interface, with a route to its subnet. */
export function validateExpectedIps(cont: Rtnl, ifname: string, res: Result): void {
  for (const ipc of res.ips ?? []) {
    const link = cont.linkFind(ifname);
    if (link === undefined) throw internalError(`Cannot find container link ${ifname}`);
    const want = canonical(ipc.address);
    const have = cont.addrList({ index: link.index }).map((a) => canonical(a.cidr));
    if (!have.includes(want)) throw internalError(`Failed to match addr ${want} on interface ${ifname}`);
    const c = parseCIDR(ipc.address);
    if (c === undefined) continue;
    const prefix = cidrText(networkAddress(c.ip, c.prefix), c.prefix);
    const routes = cont.routeList({ family: addressFamily(ipc.address) });
    if (!routes.some((r) => canonical(r.dst) === prefix)) {
      throw internalError(`Failed to find Gateway ${goIp(ipc.gateway)} for interface ${ifname}`);
    }
  }
}

/** Every route of the result is in the container's table (a default route by family only). */
export function validateExpectedRoutes(cont: Rtnl, res: Result): void {
  for (const r of res.routes ?? []) {
    const family = addressFamily(r.dst);
    const c = parseCIDR(r.dst);
    const isDefault = c !== undefined && c.prefix === 0;
    const routes = cont.routeList({ family });
    const dst = c === undefined ? r.dst : cidrText(networkAddress(c.ip, c.prefix), c.prefix);
    const found = routes.some((k) => {
      if (isDefault) return k.dst === (family === AF_INET ? "0.0.0.0/0" : "::/0");
      if (canonical(k.dst) !== canonical(dst)) return false;
      return r.gw === undefined || r.gw === "" || (k.gw !== undefined && canonical(`${k.gw}/0`) === canonical(`${r.gw}/0`));
    });
    if (!found) throw internalError(`Expected Route ${goRoute(r)} not found in routing table`);
  }
}
