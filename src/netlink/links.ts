/**
 * The link and address half of rtnetlink (`ip link`, `ip addr`): a second public surface of the
 * area, beside index.ts, for callers that need nothing else. loopback imports this file alone so
 * its exec never loads the route, bridge-port, watch and conntrack code (`Rtnl` in index.ts
 * extends this class with those); docs/performance.md has the A/B.
 */
import type { NetNs } from "../sys/netns.ts";
import { Errno } from "../sys/errno.ts";
import type { Addr, AddrOptions } from "./addr.ts";
import { addrAddRequest, addrDelRequest, addrDumpRequest, decodeAddr } from "./addr.ts";
import { IFF_UP, NETLINK_ROUTE, RTM_NEWADDR, RTM_NEWLINK } from "./constants.ts";
import type { ConnOptions } from "./conn.ts";
import { Conn } from "./conn.ts";
import { isNetlinkErrno } from "./errors.ts";
import type { Link, LinkChanges } from "./link.ts";
import { decodeLink, linkDelRequest, linkDumpRequest, linkGetByIndexRequest, linkGetByNameRequest, linkSetRequest } from "./link.ts";
import { NetlinkSocket } from "./socket.ts";
import { readIfInfo } from "./wire.ts";

export { AF_INET, AF_INET6 } from "./constants.ts";
export type { Addr, Link };

export interface AddrFilter {
  /** Only this interface (the kernel filters). */
  index?: number;
  /** AF_INET / AF_INET6; 0 or undefined for both. */
  family?: number;
}

export class LinkRtnl implements Disposable {
  protected readonly conn: Conn;
  protected readonly ns: NetNs | undefined;

  protected constructor(conn: Conn, ns: NetNs | undefined) {
    this.conn = conn;
    this.ns = ns;
  }

  /** Opens a NETLINK_ROUTE socket inside `ns` (default: the current netns). */
  static open(ns?: NetNs, opts?: ConnOptions): LinkRtnl {
    return new LinkRtnl(new Conn(NetlinkSocket.open(NETLINK_ROUTE, ns), opts), ns);
  }

  close(): void {
    this.conn.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }

  // ---- links ---------------------------------------------------------------------------

  /** `ip link show dev <name|index>`. Throws NetlinkError ENODEV when it does not exist. */
  linkGet(nameOrIndex: string | number): Link {
    const req = typeof nameOrIndex === "string" ? linkGetByNameRequest(nameOrIndex) : linkGetByIndexRequest(nameOrIndex);
    return decodeLink(this.conn.get(`link get ${nameOrIndex}`, req));
  }

  /**
   * linkGet's index and up flag, read from the reply's ifinfomsg header alone: no attribute is
   * decoded, which for a caller needing no more (loopback) is the largest part of its first
   * round trip's first-run code and heap (docs/performance.md, "Storm memory").
   */
  linkState(name: string): { index: number; up: boolean } {
    const h = readIfInfo(this.conn.get(`link get ${name}`, linkGetByNameRequest(name)).payload);
    return { index: h.index, up: (h.flags & IFF_UP) !== 0 };
  }

  /** Like linkGet, but undefined when there is no such link. */
  linkFind(nameOrIndex: string | number): Link | undefined {
    try {
      return this.linkGet(nameOrIndex);
    } catch (err) {
      if (isNetlinkErrno(err, Errno.ENODEV)) return undefined;
      throw err;
    }
  }

  /** `ip link show`. */
  linkList(): Link[] {
    return this.conn.dump("link dump", linkDumpRequest()).filter((m) => m.type === RTM_NEWLINK).map(decodeLink);
  }

  /** `ip link del dev <index>` (deleting one end of a veth removes both). */
  linkDel(index: number): void {
    this.conn.ack(`link del ${index}`, linkDelRequest(index));
  }

  /** `ip link set dev <index> [up|down] [promisc on|off] [mtu] [address] [master|nomaster] [name] [netns]`. */
  linkSet(index: number, changes: LinkChanges): void {
    this.conn.ack(`link set ${index}`, linkSetRequest(index, changes));
  }

  /** `ip link set dev <index> up`. */
  linkSetUp(index: number): void {
    this.linkSet(index, { up: true });
  }

  /** `ip link set dev <index> down`. */
  linkSetDown(index: number): void {
    this.linkSet(index, { up: false });
  }

  // ---- addresses -------------------------------------------------------------------------

  /** `ip addr add <cidr> [brd +] dev <index> [nodad]`. EEXIST when already present. */
  addrAdd(index: number, cidr: string, opts?: AddrOptions): void {
    this.conn.ack(`addr add ${cidr} dev ${index}`, addrAddRequest(index, cidr, opts));
  }

  /** `ip addr del <cidr> dev <index>`. */
  addrDel(index: number, cidr: string): void {
    this.conn.ack(`addr del ${cidr} dev ${index}`, addrDelRequest(index, cidr));
  }

  /** `ip [-4|-6] addr show [dev <index>]`. */
  addrList(filter: AddrFilter = {}): Addr[] {
    // Loops, not filter/map: each of JSC's array builtins is compiled from source on its first
    // use in a process, and loopback ADD runs nothing else that uses them (docs/performance.md).
    const out: Addr[] = [];
    for (const m of this.conn.dump("addr dump", addrDumpRequest(filter.family ?? 0, filter.index ?? 0))) {
      if (m.type !== RTM_NEWADDR) continue;
      const a = decodeAddr(m);
      if ((filter.index === undefined || a.index === filter.index) && (!filter.family || a.family === filter.family)) out.push(a);
    }
    return out;
  }
}
