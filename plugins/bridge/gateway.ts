/**
 * Gateways: which addresses the bridge gets, the default routes isDefaultGateway adds, and
 * ensureAddr with forceAddress.
 */
import { CniError, internalError, type Result, type Route } from "../../src/cni/index.ts";
import { goQuote } from "../../src/gofmt/index.ts";
import { type Addr, cidrText, inSubnet, type IpFamily, ipString, networkAddress, nextIP, type ParsedCidr, parseCIDR, parseIP } from "../../src/ip/index.ts";
import { AF_INET, AF_INET6, type Addr as KernelAddr, isNetlinkErrno, type Link, type Rtnl } from "../../src/netlink/index.ts";
import { Errno } from "../../src/sys/index.ts";
import { every, some } from "../../src/plain-array.ts";

export interface GatewayPlan {
  /** `gateway/prefix` per family, in result order, for the bridge (isGateway only). */
  readonly gateways: Readonly<Record<IpFamily, string[]>>;
  /** Default routes appended here (not from IPAM); their Go formatting differs in messages. */
  readonly appended: ReadonlySet<Route>;
}

function familyOf(ip: Addr): IpFamily {
  return ip.kind() === "ipv4" ? 4 : 6;
}

function isDefaultDst(dst: string, family: IpFamily): boolean {
  const c = parseCIDR(dst);
  return c !== undefined && c.prefix === 0 && familyOf(c.ip) === family && every(c.ip.toByteArray(), (b) => b === 0);
}

/** The first address of the subnet plus one: the gateway when IPAM gives none. */
export function defaultGateway(address: string): string {
  const c = parseCIDR(address);
  if (c === undefined) throw internalError(`Unknown IP object: ${address}`);
  return ipString(nextIP(networkAddress(c.ip, c.prefix)));
}

/**
 * calcGateways: every IP gets `interface: 2`, a missing gateway is derived when isGateway, and
 * isDefaultGateway appends one default route per family unless IPAM gave one.
 * Mutates `result` as the reference does.
 */
export function calcGateways(result: Result, opts: { isGateway: boolean; isDefaultGateway: boolean }): GatewayPlan {
  const gateways: Record<IpFamily, string[]> = { 4: [], 6: [] };
  const defaultFound: Record<IpFamily, boolean> = { 4: false, 6: false };
  const appended = new Set<Route>();
  result.routes ??= [];
  for (const ipc of result.ips ?? []) {
    const c = parseCIDR(ipc.address);
    if (c === undefined) throw internalError(`Unknown IP object: ${ipc.address}`);
    const family = familyOf(c.ip);
    ipc.interface = 2;
    if (ipc.gateway === undefined && opts.isGateway) ipc.gateway = defaultGateway(ipc.address);
    if (opts.isDefaultGateway) {
      if (!defaultFound[family]) {
        // The reference counts only a default route with a gw and then adds a second one, which
        // the kernel refuses (EEXIST). A gw-less one is installed via the gateway anyway: it counts.
        defaultFound[family] = some(result.routes, (r) => isDefaultDst(r.dst, family));
      }
      if (!defaultFound[family]) {
        const route: Route = { dst: family === 4 ? "0.0.0.0/0" : "::/0", gw: ipc.gateway };
        result.routes.push(route);
        appended.add(route);
        defaultFound[family] = true;
      }
    }
    if (opts.isGateway && ipc.gateway !== undefined) gateways[family].push(`${ipc.gateway}/${c.prefix}`);
  }
  if (result.routes.length === 0) delete result.routes;
  return { gateways, appended };
}

const errText = (err: unknown): string => CniError.from(err).message;

/** One of the device's addresses against the wanted one: ensureAddr's verdict on it. */
function compare(a: KernelAddr, family: IpFamily, want: ParsedCidr, wantText: string): "same" | "conflict" | "other" {
  const have = parseIP(a.ip);
  if (have === undefined) return "other";
  if (`${ipString(have)}/${a.prefixLen}` === wantText) return "same";
  const conflict = family === 4 || inSubnet(want.ip, have, a.prefixLen) || inSubnet(have, want.ip, want.prefix);
  return conflict ? "conflict" : "other";
}

const kernelFamily = (family: IpFamily): number => (family === 4 ? AF_INET : AF_INET6);

function listAddrs(nl: Rtnl, dev: Link, family: IpFamily): KernelAddr[] {
  return nl.addrList({ index: dev.index, family: kernelFamily(family) });
}

/**
 * Whether ensureAddr would change nothing and succeed: in the kernel's order, the wanted address
 * comes before any address it would replace or refuse. `addrs`: the device's addresses as listed
 * (other families among them are passed over), so one dump serves both families.
 */
export function addrInPlace(addrs: readonly KernelAddr[], family: IpFamily, cidr: string): boolean {
  const want = parseCIDR(cidr);
  if (want === undefined) return false;
  const wantText = cidrText(want.ip, want.prefix);
  const af = kernelFamily(family);
  for (const a of addrs) {
    if (a.family !== af) continue;
    const verdict = compare(a, family, want, wantText);
    if (verdict !== "other") return verdict === "same";
  }
  return false;
}

/**
 * ensureAddr: an identical address is success; a conflicting one (any other IPv4, an overlapping
 * IPv6) is replaced with forceAddress or refused. The device MAC is then pinned to `mac` so a
 * bridge stops following its lowest port.
 */
export function ensureAddr(nl: Rtnl, dev: Link, family: IpFamily, cidr: string, force: boolean, mac: string): void {
  const want = parseCIDR(cidr);
  if (want === undefined) throw internalError(`invalid CIDR address: ${cidr}`);
  const addrs = listAddrs(nl, dev, family);
  const wantText = cidrText(want.ip, want.prefix);
  for (const a of addrs) {
    const verdict = compare(a, family, want, wantText);
    if (verdict === "same") return;
    if (verdict === "other") continue;
    if (!force) throw internalError(`${goQuote(dev.name)} already has an IP address different from ${wantText}`);
    try {
      nl.addrDel(dev.index, a.cidr);
    } catch (err) {
      throw internalError(`could not remove IP address from ${goQuote(dev.name)}: ${errText(err)}`, err);
    }
  }
  try {
    nl.addrAdd(dev.index, wantText);
  } catch (err) {
    // A concurrent ADD (or another network on this bridge) got there first: same outcome.
    if (!isNetlinkErrno(err, Errno.EEXIST)) {
      // The kernel refuses IPv6 addresses with EACCES when IPv6 is disabled on the device.
      const why = family === 6 && isNetlinkErrno(err, Errno.EACCES) ? ` (IPv6 is disabled on the host: net.ipv6.conf.${dev.name}.disable_ipv6 = 1)` : "";
      throw internalError(`could not add IP address ${wantText} to ${goQuote(dev.name)}: ${errText(err)}${why}`, err);
    }
  }
  if (mac === "") return;
  try {
    nl.linkSet(dev.index, { mac });
  } catch (err) {
    throw internalError(`could not set bridge's mac: ${errText(err)}`, err);
  }
}
