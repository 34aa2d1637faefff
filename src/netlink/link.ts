import type { Writer } from "./attrs.ts";
import {
  AF_PACKET,
  IFF_PROMISC,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_TXQLEN,
  IFLA_NET_NS_FD,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REQUEST,
  RTEXT_FILTER_SKIP_STATS,
  RTEXT_FILTER_VF,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_NEWLINK,
} from "./constants.ts";
import { type Ipv4Conf, writeIpv4Conf } from "./devconf.ts";
import type { BridgeData } from "./kinds/bridge.ts";
import { hasBridgeData, writeBridgeData } from "./kinds/bridge.ts";
import { type VlanData, writeVlanData } from "./kinds/vlan.ts";
import { writeVethData } from "./kinds/veth.ts";
import { body, type Request } from "./message.ts";
import { parseMac, writeIfInfo } from "./wire.ts";

// The decode half (Link, decodeLink) lives in link-decode.ts; re-exported for the area.
export { decodeLink, type Link, type OperState } from "./link-decode.ts";

// iproute2 asks for VF info and no stats when resolving a name; we ask the same.
const GET_EXT_MASK = RTEXT_FILTER_VF | RTEXT_FILTER_SKIP_STATS;

/** `ip link show dev <name>`: RTM_GETLINK by IFLA_IFNAME (no dump). */
export function linkGetByNameRequest(name: string): Request {
  return {
    type: RTM_GETLINK,
    flags: NLM_F_REQUEST,
    body: body((w) => {
      writeIfInfo(w);
      w.attrU32(IFLA_EXT_MASK, GET_EXT_MASK).attrString(IFLA_IFNAME, name);
    }),
  };
}

/** RTM_GETLINK by ifindex. */
export function linkGetByIndexRequest(index: number): Request {
  return { type: RTM_GETLINK, flags: NLM_F_REQUEST, body: body((w) => writeIfInfo(w, { index })) };
}

/** `ip link show`: dump of every link. */
export function linkDumpRequest(): Request {
  return {
    type: RTM_GETLINK,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    body: body((w) => {
      writeIfInfo(w, { family: AF_PACKET });
      w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_VF);
    }),
  };
}

/** `ip link del dev <index>`. */
export function linkDelRequest(index: number): Request {
  return { type: RTM_DELLINK, flags: NLM_F_REQUEST | NLM_F_ACK, body: body((w) => writeIfInfo(w, { index })) };
}

/** Attributes shared by "add" and "set" and by a veth peer; written in iproute2's order. */
export interface LinkAttrs {
  name?: string;
  mtu?: number;
  mac?: string;
  /** IFLA_LINK: parent device (vlan). */
  parent?: number;
  /** IFLA_MASTER; 0 detaches (nomaster). */
  master?: number;
  /** IFLA_NET_NS_FD: create in / move to the netns behind this fd. */
  netnsFd?: number;
  /** IFLA_TXQLEN. */
  txqlen?: number;
}

function writeLinkAttrs(w: Writer, a: LinkAttrs): void {
  if (a.mtu !== undefined) w.attrU32(IFLA_MTU, a.mtu);
  if (a.mac !== undefined) w.attrBytes(IFLA_ADDRESS, parseMac(a.mac));
  if (a.txqlen !== undefined) w.attrU32(IFLA_TXQLEN, a.txqlen);
  if (a.parent !== undefined) w.attrU32(IFLA_LINK, a.parent);
  if (a.master !== undefined) w.attrU32(IFLA_MASTER, a.master);
  if (a.netnsFd !== undefined) w.attrU32(IFLA_NET_NS_FD, a.netnsFd);
  if (a.name !== undefined) w.attrString(IFLA_IFNAME, a.name);
}

/** IFLA_LINKINFO { IFLA_INFO_KIND (no NUL, as iproute2 sends it), IFLA_INFO_DATA }. */
function writeLinkInfo(w: Writer, kind: string, data?: (w: Writer) => void): void {
  w.attr(IFLA_LINKINFO, (li) => {
    li.attrBytes(IFLA_INFO_KIND, new TextEncoder().encode(kind));
    if (data) li.attr(IFLA_INFO_DATA, data);
  });
}

export interface LinkAddOptions {
  /** Fail with EEXIST when the name is taken (default true; false updates the existing link). */
  exclusive?: boolean;
}

/** `up`: created administratively up (`ip link add … up`: IFF_UP in ifi_flags and ifi_change). */
function newLink(opts: LinkAddOptions | undefined, fill: (w: Writer) => void, up = false): Request {
  const excl = opts?.exclusive ?? true ? NLM_F_EXCL : 0;
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | excl,
    body: body((w) => {
      writeIfInfo(w, up ? { flags: IFF_UP, change: IFF_UP } : {});
      fill(w);
    }),
  };
}

export interface BridgeSpec extends BridgeData {
  name: string;
  mtu?: number;
  mac?: string;
}

/** `ip link add <name> [mtu M] [address MAC] type bridge [vlan_filtering 1] [vlan_default_pvid N]`. */
export function bridgeAddRequest(spec: BridgeSpec, opts?: LinkAddOptions): Request {
  return newLink(opts, (w) => {
    writeLinkAttrs(w, { mtu: spec.mtu, mac: spec.mac, name: spec.name });
    writeLinkInfo(w, "bridge", hasBridgeData(spec) ? (d) => writeBridgeData(d, spec) : undefined);
  });
}

export interface VethSpec {
  name: string;
  mtu?: number;
  mac?: string;
  txqlen?: number;
  /** Created already enslaved to this bridge (IFLA_MASTER in the same request). */
  master?: number;
  /**
   * This end created up (the peer stays down): the kernel brings it up right after registering
   * it and before enslaving it, in the same request, which saves `ip link set up` a round trip.
   */
  up?: boolean;
  peer: { name: string; mtu?: number; mac?: string; netnsFd?: number };
}

/** `ip link add <name> [mtu] [address] [up] type veth peer name <p> [mtu] [address] [netns <fd>]`. */
export function vethAddRequest(spec: VethSpec, opts?: LinkAddOptions): Request {
  return newLink(
    opts,
    (w) => {
      writeLinkAttrs(w, { mtu: spec.mtu, mac: spec.mac, txqlen: spec.txqlen, master: spec.master, name: spec.name });
      writeLinkInfo(w, "veth", (d) => writeVethData(d, (p) => writeLinkAttrs(p, spec.peer)));
    },
    spec.up === true,
  );
}

export interface VlanSpec extends Required<VlanData> {
  name: string;
  parent: number;
  mtu?: number;
  mac?: string;
}

/** `ip link add link <parent> name <name> [mtu] type vlan id <vlanId>`. */
export function vlanAddRequest(spec: VlanSpec, opts?: LinkAddOptions): Request {
  return newLink(opts, (w) => {
    writeLinkAttrs(w, { mtu: spec.mtu, mac: spec.mac, parent: spec.parent, name: spec.name });
    writeLinkInfo(w, "vlan", (d) => writeVlanData(d, spec));
  });
}

export interface LinkChanges {
  up?: boolean;
  promisc?: boolean;
  mtu?: number;
  mac?: string;
  /** Enslave to this bridge index; null = nomaster. */
  master?: number | null;
  /** Rename. */
  name?: string;
  /** Move to the netns behind this fd. */
  netnsFd?: number;
  /** ipv4 device settings (`sysctl net.ipv4.conf.<dev>.<key>=<value>`), IPV4_DEVCONF_* numbers. */
  ipv4Conf?: Ipv4Conf;
}

/** `ip link set dev <index> …`: RTM_NEWLINK without NLM_F_CREATE on an existing index, as iproute2 does. */
export function linkSetRequest(index: number, c: LinkChanges): Request {
  let flags = 0;
  let change = 0;
  if (c.up !== undefined) {
    change |= IFF_UP;
    if (c.up) flags |= IFF_UP;
  }
  if (c.promisc !== undefined) {
    change |= IFF_PROMISC;
    if (c.promisc) flags |= IFF_PROMISC;
  }
  return {
    type: RTM_NEWLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    body: body((w) => {
      writeIfInfo(w, { index, flags, change });
      writeLinkAttrs(w, {
        mtu: c.mtu,
        mac: c.mac,
        master: c.master === null ? 0 : c.master,
        netnsFd: c.netnsFd,
        name: c.name,
      });
      if (c.ipv4Conf !== undefined) writeIpv4Conf(w, c.ipv4Conf);
    }),
  };
}
