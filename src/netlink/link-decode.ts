/**
 * RTM_NEWLINK decoded to what the plugins look at (the Link the requests in link.ts act on). Apart
 * from link.ts only to keep each file under 300 lines; link.ts re-exports it.
 */
import { AttrTable, getString } from "./attrs.ts";
import {
  IF_OPER_DORMANT,
  IF_OPER_DOWN,
  IF_OPER_LOWERLAYERDOWN,
  IF_OPER_NOTPRESENT,
  IF_OPER_TESTING,
  IF_OPER_UP,
  IFF_UP,
  IFLA_ADDRESS,
  IFLA_AF_SPEC,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_INFO_SLAVE_DATA,
  IFLA_INFO_SLAVE_KIND,
  IFLA_LINK,
  IFLA_LINK_NETNSID,
  IFLA_LINKINFO,
  IFLA_MASTER,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFLA_PROMISCUITY,
} from "./constants.ts";
import { type BridgeData, readBridgeData } from "./kinds/bridge.ts";
import { readVlanData } from "./kinds/vlan.ts";
import type { Message } from "./message.ts";
import { decodePortAttrs, type PortAttrs } from "./port.ts";
import { formatMac, IFINFOMSG_LEN, readIfInfo } from "./wire.ts";

export type OperState = "unknown" | "notpresent" | "down" | "lowerlayerdown" | "testing" | "dormant" | "up";

const OPER_STATES: Record<number, OperState> = {
  [IF_OPER_NOTPRESENT]: "notpresent",
  [IF_OPER_DOWN]: "down",
  [IF_OPER_LOWERLAYERDOWN]: "lowerlayerdown",
  [IF_OPER_TESTING]: "testing",
  [IF_OPER_DORMANT]: "dormant",
  [IF_OPER_UP]: "up",
};

/** A link as the kernel reports it (RTM_NEWLINK), decoded to what the plugins look at. */
export interface Link {
  index: number;
  name: string;
  /** IFF_* flags (ifi_flags). */
  flags: number;
  /** Administratively up (IFF_UP). */
  up: boolean;
  mtu: number;
  /** Lower-case colon-separated; "" when the device has none. */
  mac: string;
  /** Index of the master (bridge) this link is enslaved to. */
  master?: number;
  operstate: OperState;
  /** IFLA_INFO_KIND: "bridge", "veth", "vlan", … ; undefined for e.g. lo. */
  kind?: string;
  /** IFLA_INFO_SLAVE_KIND, e.g. "bridge" for a bridge port. */
  slaveKind?: string;
  /** A bridge port's state and settings (IFLA_INFO_SLAVE_DATA), read without an AF_BRIDGE dump. */
  port?: PortAttrs;
  /** IFLA_LINK: the peer's ifindex for veth, the parent's for vlan (in linkNetnsId when set). */
  link?: number;
  /** IFLA_LINK_NETNSID: `link` lives in the netns with this id. */
  linkNetnsId?: number;
  promiscuity: number;
  /** ARPHRD_* type. */
  type: number;
  /** IFLA_INFO_DATA of a bridge: the same type bridgeAddRequest writes. */
  bridge?: BridgeData;
  /** IFLA_VLAN_ID of a vlan: the same field vlanAddRequest writes. */
  vlanId?: number;
}

/**
 * `link.bridge`, decoded from a bridge's ~45 IFLA_BR_* attributes when first read: no ADD path
 * reads it, and walking them cost ~50 k instructions per bridge lookup in the interpreter
 * (docs/performance.md). An enumerable, assignable property like the others.
 */
function defineBridgeData(link: Link, data: Uint8Array): void {
  let value: BridgeData | undefined;
  let decoded = false;
  Object.defineProperty(link, "bridge", {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!decoded) value = readBridgeData(data);
      decoded = true;
      return value;
    },
    set: (v: BridgeData | undefined) => {
      value = v;
      decoded = true;
    },
  });
}

/**
 * Each decoded link's IFLA_AF_SPEC bytes (a view of its reply), for the per-family settings
 * `linkIpv6Conf` reads; outside the Link's own fields so a link compares and prints as before.
 */
const afSpecs = new WeakMap<Link, Uint8Array>();

/** The link reply's IFLA_AF_SPEC payload, if it had one. */
export function linkAfSpec(link: Link): Uint8Array | undefined {
  return afSpecs.get(link);
}

export function decodeLink(m: Message): Link {
  const h = readIfInfo(m.payload);
  const a = new AttrTable(m.payload.subarray(IFINFOMSG_LEN));
  const link: Link = {
    index: h.index,
    name: getString(a.get(IFLA_IFNAME)) ?? "",
    flags: h.flags,
    up: (h.flags & IFF_UP) !== 0,
    mtu: a.u32(IFLA_MTU) ?? 0,
    mac: a.has(IFLA_ADDRESS) ? formatMac(a.get(IFLA_ADDRESS) ?? new Uint8Array()) : "",
    operstate: OPER_STATES[a.u8(IFLA_OPERSTATE) ?? 0] ?? "unknown",
    promiscuity: a.u32(IFLA_PROMISCUITY) ?? 0,
    type: h.type,
  };
  const master = a.u32(IFLA_MASTER);
  if (master !== undefined && master !== 0) link.master = master;
  const peer = a.u32(IFLA_LINK);
  if (peer !== undefined) link.link = peer;
  const nsid = a.i32(IFLA_LINK_NETNSID);
  if (nsid !== undefined) link.linkNetnsId = nsid;
  const afSpec = a.get(IFLA_AF_SPEC);
  if (afSpec !== undefined) afSpecs.set(link, afSpec);
  const info = a.get(IFLA_LINKINFO);
  if (info) {
    const im = new AttrTable(info);
    link.kind = getString(im.get(IFLA_INFO_KIND));
    const slave = getString(im.get(IFLA_INFO_SLAVE_KIND));
    if (slave !== undefined) link.slaveKind = slave;
    const slaveData = im.get(IFLA_INFO_SLAVE_DATA);
    if (slaveData && slave === "bridge") link.port = decodePortAttrs(slaveData);
    const data = im.get(IFLA_INFO_DATA);
    if (data && link.kind === "bridge") defineBridgeData(link, data);
    if (data && link.kind === "vlan") Object.assign(link, readVlanData(data));
    if (link.kind === undefined) delete link.kind;
  }
  return link;
}
