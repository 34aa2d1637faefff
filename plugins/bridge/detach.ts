/**
 * DEL's container side: the link goes (taking its peer along), but only when it is a veth whose
 * peer is a port of this bridge, so DEL after a failed ADD never removes a same-named interface
 * someone else made. A vanished netns is fine.
 */
import { CniError, internalError } from "../../src/cni/index.ts";
import { goQuote } from "../../src/gofmt/index.ts";
import { isNetlinkErrno, type Link, Rtnl } from "../../src/netlink/index.ts";
import { Errno, NetNs, NetNsError } from "../../src/sys/index.ts";

export function deleteContainerLink(path: string, ifname: string, bridgeName: string): void {
  let ns: NetNs;
  try {
    ns = NetNs.open(path);
  } catch (err) {
    if (err instanceof NetNsError && err.kind === "not-found") return;
    throw err;
  }
  using _ns = ns;
  using cont = Rtnl.open(ns);
  const link = cont.linkFind(ifname);
  if (link === undefined || !peerOnBridge(link, bridgeName)) return;
  try {
    cont.linkDel(link.index);
  } catch (err) {
    if (isNetlinkErrno(err, Errno.ENODEV)) return;
    throw internalError(`failed to delete ${goQuote(ifname)}: ${CniError.from(err).message}`, err);
  }
}

/** Whether `link` (in the container) is a veth whose host end is enslaved to `bridgeName`. */
function peerOnBridge(link: Link, bridgeName: string): boolean {
  if (link.kind !== "veth" || link.link === undefined || link.linkNetnsId === undefined) return false;
  using host = Rtnl.open();
  const bridge = host.linkFind(bridgeName);
  const peer = host.linkFind(link.link);
  return bridge !== undefined && peer?.kind === "veth" && peer.link === link.index && peer.master === bridge.index;
}
