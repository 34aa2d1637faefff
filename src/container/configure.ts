/**
 * Configuring the container's interface from a result (the reference's ConfigureIface): addresses,
 * link up, DAD settling, routes, through a netlink socket opened in the container netns. Error
 * messages are the reference's, with its Go renderings of routes and addresses.
 */
import { CniError, internalError, type Result, type Route } from "../cni/index.ts";
import { goIp, goIpConfig, goIpNetValue, goQuote, goScope } from "../gofmt/index.ts";
import { ipFamily } from "../ip/index.ts";
import { type Addr, addressFamily, type Link, type Rtnl } from "../netlink/index.ts";
import type { NetNs } from "../sys/index.ts";
import { enableIpv6 } from "./sysctls.ts";
import { find, some } from "../plain-array.ts";

const errText = (err: unknown): string => CniError.from(err).message;

const SETTLE_TIMEOUT_S = 5;

/** SettleAddresses' condition: an address failed DAD (reported below), or none is tentative. */
const settled = (addrs: readonly Addr[]): boolean => some(addrs, (a) => a.dadFailed) || !some(addrs, (a) => a.tentative);

/**
 * Waits until no address of the link is tentative (IPv6 DAD), as SettleAddresses does, but woken
 * by the kernel's RTM_NEWADDR when DAD ends instead of re-listing every 50 ms: the tentative flag
 * is cleared by a kernel work item just after the link comes up, so a fixed first pause cost ~50 ms
 * on nearly every dual-stack ADD. The addresses are read once before subscribing: with DAD off
 * (the default) that work item has usually run by then, and no event socket is opened in the
 * container. Otherwise the watch reads again after subscribing, so no event is missed.
 */
async function settleAddresses(nl: Rtnl, link: Link): Promise<void> {
  let last = nl.addrList({ index: link.index });
  let met = settled(last);
  if (!met) {
    using watch = nl.watchIpv6Addrs();
    const r = await watch.waitFor(() => nl.addrList({ index: link.index }), settled, SETTLE_TIMEOUT_S * 1000);
    last = r.last ?? [];
    met = r.met;
  }
  const failed = find(last, (a) => a.dadFailed);
  if (failed) throw new Error(`link ${link.name} has address ${failed.cidr} in DADFAILED state`);
  if (met) return;
  if (nl.linkFind(link.index)?.operstate !== "up") return;
  throw new Error(`link ${link.name} still has tentative addresses after ${SETTLE_TIMEOUT_S} seconds`);
}

function routeGateway(r: Route, v4gw: string | undefined, v6gw: string | undefined): string | undefined {
  if (r.gw !== undefined && r.gw !== "") return r.gw;
  return ipFamily(r.dst) === 6 ? v6gw : v4gw;
}

export interface ConfigureOptions {
  /** Routes appended by calcGateways (only their message formatting differs). */
  appended?: ReadonlySet<Route>;
  log?: (line: string) => void;
  /** CNI_IFNAME's link as the caller has just read it (a veth it created): no lookup. */
  link?: Link;
}

/** ConfigureIface: the result's addresses and routes on CNI_IFNAME, which is set up. */
export async function configureIface(nl: Rtnl, ns: NetNs, ifname: string, res: Result, opts: ConfigureOptions = {}): Promise<void> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const interfaces = res.interfaces ?? [];
  if (interfaces.length === 0) throw internalError("no interfaces to configure");
  let link: Link;
  try {
    link = opts.link ?? nl.linkGet(ifname);
  } catch (err) {
    throw internalError(`failed to lookup ${goQuote(ifname)}: ${errText(err)}`, err);
  }
  let v4gw: string | undefined;
  let v6gw: string | undefined;
  let ipv6Enabled = false;
  for (const ipc of res.ips ?? []) {
    if (ipc.interface === undefined) continue;
    if (interfaces[ipc.interface]?.name !== ifname) {
      throw internalError(`failed to add IP addr ${goIpConfig(ipc)} to ${goQuote(ifname)}: invalid interface index`);
    }
    const isV6 = ipFamily(ipc.address) === 6;
    if (isV6 && !ipv6Enabled) {
      enableIpv6(ns, ifname, log);
      ipv6Enabled = true;
    }
    try {
      nl.addrAdd(link.index, ipc.address);
    } catch (err) {
      throw internalError(`failed to add IP addr ${goIpConfig(ipc)} to ${goQuote(ifname)}: ${errText(err)}`, err);
    }
    const gw = ipc.gateway;
    const gwIsV4 = gw !== undefined && ipFamily(gw) === 4;
    if (gwIsV4 && v4gw === undefined) v4gw = gw;
    else if (!gwIsV4 && v6gw === undefined) v6gw = gw;
  }
  try {
    nl.linkSetUp(link.index);
  } catch (err) {
    throw internalError(`failed to set ${goQuote(ifname)} UP: ${errText(err)}`, err);
  }
  if (v6gw !== undefined) {
    try {
      await settleAddresses(nl, link);
    } catch (err) {
      throw internalError(`failed to settle addresses for ${goQuote(ifname)}: ${errText(err)}`, err);
    }
  }
  for (const r of res.routes ?? []) {
    const gw = routeGateway(r, v4gw, v6gw);
    const scope = r.scope ?? 0;
    const table = r.table ?? 0;
    try {
      nl.routeAdd(
        {
          dst: r.dst,
          family: addressFamily(r.dst),
          gw,
          oif: link.index,
          priority: r.priority !== undefined && r.priority !== 0 ? r.priority : undefined,
          table: r.table,
          scope,
        },
        "append",
      );
    } catch (err) {
      const dst = goIpNetValue(r.dst, opts.appended?.has(r) === true && ipFamily(r.dst) === 4);
      throw internalError(
        `failed to add route '${dst} via ${goIp(gw)} dev ${ifname} metric ${r.priority ?? 0} (Scope: ${goScope(scope)}, Table: ${table})': ${errText(err)}`,
        err,
      );
    }
  }
}

/** L2: the container end only needs to come up. */
export function containerLinkUp(nl: Rtnl, ifname: string): void {
  let link: Link;
  try {
    link = nl.linkGet(ifname);
  } catch (err) {
    throw internalError(`failed to retrieve link: ${errText(err)}`, err);
  }
  try {
    nl.linkSetUp(link.index);
  } catch (err) {
    throw internalError(`failed to set ${goQuote(ifname)} up: ${errText(err)}`, err);
  }
}
