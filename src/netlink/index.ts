/**
 * rtnetlink in `ip`-like verbs. One `Rtnl` handle owns one NETLINK_ROUTE socket, opened inside
 * the namespace it manages and used from the host thread:
 *
 *   using ns = NetNs.open(netnsPath);
 *   using nl = Rtnl.open(ns);
 *   nl.linkSetUp(nl.linkGet("lo").index);
 *
 * Requests are synchronous (the kernel answers rtnetlink within the send call); waits are
 * async. Failures throw NetlinkError whose message is the errno text ("file exists").
 */
import type { NetNs } from "../sys/index.ts";
import { Errno } from "../sys/index.ts";
import type { Addr, AddrOptions } from "./addr.ts";
import { AF_INET, AF_INET6, NETLINK_ROUTE, RTM_NEWLINK, RTM_NEWROUTE, RTNLGRP_IPV6_IFADDR } from "./constants.ts";
import type { ConnOptions } from "./conn.ts";
import { Conn } from "./conn.ts";
import { netconfAllRequest, netconfForwarding } from "./devconf.ts";
import { isNetlinkErrno } from "./errors.ts";
import type { WaitResult } from "./events.ts";
import { LinkWatch } from "./events.ts";
import type { BridgeSpec, Link, LinkAddOptions, LinkChanges, VethSpec, VlanSpec } from "./link.ts";
import { bridgeAddRequest, vethAddRequest, vlanAddRequest } from "./link.ts";
import { LinkRtnl } from "./links.ts";
import type { BridgePort, PortSettings, PortVlanSpec } from "./port.ts";
import { decodePort, portDumpRequest, portOfLink, portSetRequest, portVlanRequest } from "./port.ts";
import type { Route, RouteAddMode, RouteSpec } from "./route.ts";
import { decodeRoute, routeAddRequest, routeDelRequest, routeDumpRequest, routeGetRequest } from "./route.ts";
import type { Transport } from "./socket.ts";
import { NetlinkSocket } from "./socket.ts";

export * from "./constants.ts";
export { LinkRtnl, type AddrFilter } from "./links.ts";
export { NetlinkError, isNetlinkErrno } from "./errors.ts";
export { LinkWatch, type WaitResult } from "./events.ts";
export { NetlinkSocket, type Transport } from "./socket.ts";
export { Conn, type ConnOptions } from "./conn.ts";
export { linkIpv6Conf } from "./devconf.ts";
export { encodeMessage, parseMessages, parseError, type Message, type Request } from "./message.ts";
export { addressFamily, formatMac, parseMac } from "./wire.ts";
export type { Addr, AddrOptions, BridgePort, BridgeSpec, Link, LinkAddOptions, LinkChanges, PortSettings, PortVlanSpec, Route, RouteAddMode, RouteSpec, VethSpec, VlanSpec };
export type { OperState } from "./link.ts";
export type { PortState, PortVlan } from "./port.ts";

export interface RouteFilter {
  family: number;
  /** Default main; null for every table. */
  table?: number | null;
  oif?: number;
}

export class Rtnl extends LinkRtnl {
  /**
   * Opens a NETLINK_ROUTE socket inside `ns` (default: the current netns). `ns` must stay open
   * while this handle opens watches; requests only need the socket.
   */
  static override open(ns?: NetNs, opts?: ConnOptions): Rtnl {
    return new Rtnl(new Conn(NetlinkSocket.open(NETLINK_ROUTE, ns), opts), ns);
  }

  /** A handle over any transport (a fake kernel in unit tests). */
  static over(transport: Transport, opts?: ConnOptions): Rtnl {
    return new Rtnl(new Conn(transport, opts), undefined);
  }

  /** `ip link add <name> [mtu] [address] type bridge [vlan_filtering] [vlan_default_pvid]`. EEXIST when taken (exclusive). */
  bridgeAdd(spec: BridgeSpec, opts?: LinkAddOptions): void {
    this.conn.ack(`link add ${spec.name} type bridge`, bridgeAddRequest(spec, opts));
  }

  /**
   * `ip link add <name> type veth peer name <peer> [netns <fd>]`: both ends in one request, the
   * peer created directly in the netns behind `peer.netnsFd` when given.
   */
  vethAdd(spec: VethSpec, opts?: LinkAddOptions): void {
    this.conn.ack(`link add ${spec.name} type veth`, vethAddRequest(spec, opts));
  }

  /** `ip link add link <parent> name <name> type vlan id <vid>`. */
  vlanAdd(spec: VlanSpec, opts?: LinkAddOptions): void {
    this.conn.ack(`link add ${spec.name} type vlan`, vlanAddRequest(spec, opts));
  }

  // ---- bridge ports ----------------------------------------------------------------------

  /** `bridge link set dev <index> [hairpin on|off] [learning on|off] [isolated on|off]`. */
  portSet(index: number, settings: PortSettings): void {
    this.conn.ack(`bridge link set ${index}`, portSetRequest(index, settings));
  }

  /** `bridge link show` (`bridge vlan show` with withVlans). */
  portList(withVlans = false): BridgePort[] {
    return this.conn
      .dump("bridge link dump", portDumpRequest(withVlans))
      .filter((m) => m.type === RTM_NEWLINK)
      .flatMap((m) => decodePort(m) ?? []);
  }

  /**
   * One port's state and settings; undefined when the link is not a bridge port. A bridge port's
   * own RTM_GETLINK carries them (no dump of every port, which grows with the pods on the node);
   * VLANs, and any other link, still come from the AF_BRIDGE dump.
   */
  portGet(index: number, withVlans = false): BridgePort | undefined {
    if (!withVlans) {
      const link = this.linkFind(index);
      if (link === undefined) return undefined;
      if (link.port !== undefined) return portOfLink({ ...link, port: link.port });
    }
    return this.portList(withVlans).find((p) => p.index === index);
  }

  /** `bridge vlan add dev <index> vid <vid> [pvid] [untagged] master`. */
  bridgeVlanAdd(index: number, vlan: PortVlanSpec): void {
    this.conn.ack(`bridge vlan add ${index} vid ${vlan.vid}`, portVlanRequest("add", index, vlan));
  }

  /** `bridge vlan del dev <index> vid <vid> master`. */
  bridgeVlanDel(index: number, vid: number): void {
    this.conn.ack(`bridge vlan del ${index} vid ${vid}`, portVlanRequest("del", index, { vid }));
  }

  // ---- routes ----------------------------------------------------------------------------

  /** `ip route add|append|replace …`. */
  routeAdd(spec: RouteSpec, mode: RouteAddMode = "create"): void {
    this.conn.ack(`route ${mode} ${spec.dst ?? "default"}`, routeAddRequest(spec, mode));
  }

  /** `ip route del …`. ESRCH when no such route. */
  routeDel(spec: RouteSpec): void {
    this.conn.ack(`route del ${spec.dst ?? "default"}`, routeDelRequest(spec));
  }

  /** `ip route get <ip>`: the route the kernel would use. ENETUNREACH/EHOSTUNREACH when none. */
  routeGet(ip: string): Route {
    return decodeRoute(this.conn.get(`route get ${ip}`, routeGetRequest(ip)));
  }

  /** `ip [-4|-6] route show [table <t>] [dev <oif>]`. */
  routeList(filter: RouteFilter): Route[] {
    const table = filter.table === null ? undefined : filter.table ?? 254;
    let replies;
    try {
      replies = this.conn.dump("route dump", routeDumpRequest(filter.family, table));
    } catch (err) {
      // Strict dumps of a table that was never created (a fresh netns) fail with ENOENT.
      if (table !== undefined && isNetlinkErrno(err, Errno.ENOENT)) return [];
      throw err;
    }
    return replies
      .filter((m) => m.type === RTM_NEWROUTE)
      .map(decodeRoute)
      .filter((r) => (table === undefined || r.table === table) && (filter.oif === undefined || r.oif === filter.oif));
  }

  // ---- per-family settings ---------------------------------------------------------------

  /**
   * `net.ipv4.ip_forward` (4) or `net.ipv6.conf.all.forwarding` (6) as the kernel's netconf
   * reports it, without a /proc/sys lookup (src/netlink/devconf.ts says why); undefined when the
   * reply does not carry it.
   */
  forwarding(family: 4 | 6): number | undefined {
    return netconfForwarding(this.conn.get(`netconf ipv${family} all`, netconfAllRequest(family === 4 ? AF_INET : AF_INET6)));
  }

  // ---- waiting ---------------------------------------------------------------------------

  /** Subscribes to link events in this handle's netns (`ip monitor link`). */
  watchLinks(): LinkWatch {
    return LinkWatch.open(this.ns);
  }

  /** Subscribes to IPv6 address events in this handle's netns (`ip -6 monitor address`). */
  watchIpv6Addrs(): LinkWatch {
    return LinkWatch.open(this.ns, RTNLGRP_IPV6_IFADDR);
  }

  /**
   * Waits until the link's operstate is "up" (the reference polls for the same condition).
   * Pass a watch opened before acting to be woken by the first event.
   */
  async waitOperUp(index: number, timeoutMs: number, watch?: LinkWatch): Promise<WaitResult<Link>> {
    return this.#waitWith(watch, (w) => w.waitFor(() => this.linkFind(index), (l) => l.operstate === "up", timeoutMs));
  }

  /** Waits until the bridge port is in STP state forwarding. */
  async waitPortForwarding(index: number, timeoutMs: number, watch?: LinkWatch): Promise<WaitResult<BridgePort>> {
    return this.#waitWith(watch, (w) => w.waitFor(() => this.portGet(index), (p) => p.state === "forwarding", timeoutMs));
  }

  async #waitWith<T>(watch: LinkWatch | undefined, fn: (w: LinkWatch) => Promise<T>): Promise<T> {
    if (watch) return fn(watch);
    using own = this.watchLinks();
    return await fn(own);
  }
}

export { Conntrack, conntrackDeleteUdpByDstPort } from "./conntrack-table.ts";
export type { CtEntry } from "./conntrack.ts";
