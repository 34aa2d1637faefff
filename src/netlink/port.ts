import { AttrTable, attrs, getString, getU16 } from "./attrs.ts";
import {
  AF_BRIDGE,
  BR_STATE_BLOCKING,
  BR_STATE_DISABLED,
  BR_STATE_FORWARDING,
  BR_STATE_LEARNING,
  BR_STATE_LISTENING,
  BRIDGE_FLAGS_MASTER,
  BRIDGE_VLAN_INFO_PVID,
  BRIDGE_VLAN_INFO_UNTAGGED,
  IFLA_AF_SPEC,
  IFLA_BRIDGE_FLAGS,
  IFLA_BRIDGE_VLAN_INFO,
  IFLA_BRPORT_ISOLATED,
  IFLA_BRPORT_LEARNING,
  IFLA_BRPORT_MODE,
  IFLA_BRPORT_STATE,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_MASTER,
  IFLA_PROTINFO,
  NLA_F_NESTED,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_REQUEST,
  RTEXT_FILTER_BRVLAN,
  RTM_DELLINK,
  RTM_GETLINK,
  RTM_SETLINK,
} from "./constants.ts";
import type { Link } from "./link.ts";
import type { Message, Request } from "./message.ts";
import { body } from "./message.ts";
import { IFINFOMSG_LEN, readIfInfo, writeIfInfo } from "./wire.ts";

/**
 * Bridge ports: the per-port view of a link lives in AF_BRIDGE messages. Settings go in
 * IFLA_PROTINFO (nested IFLA_BRPORT_*), VLAN membership in IFLA_AF_SPEC.
 */

export type PortState = "disabled" | "listening" | "learning" | "forwarding" | "blocking";

const PORT_STATES: Record<number, PortState> = {
  [BR_STATE_DISABLED]: "disabled",
  [BR_STATE_LISTENING]: "listening",
  [BR_STATE_LEARNING]: "learning",
  [BR_STATE_FORWARDING]: "forwarding",
  [BR_STATE_BLOCKING]: "blocking",
};

/** IFLA_PROTINFO settings: what portSetRequest writes is what decodePort reads back. */
export interface PortSettings {
  hairpin?: boolean;
  learning?: boolean;
  isolated?: boolean;
}

/** A port as the kernel reports it: its settings plus state and VLAN membership. */
export interface BridgePort extends PortSettings {
  index: number;
  name: string;
  /** The bridge's ifindex. */
  master?: number;
  state?: PortState;
  /** Only filled when the dump asked for VLANs (and the bridge filters VLANs). */
  vlans: PortVlan[];
}

/** `bridge link set dev <index> [hairpin on|off] [learning on|off] [isolated on|off]`. */
export function portSetRequest(index: number, s: PortSettings): Request {
  return {
    type: RTM_SETLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    body: body((w) => {
      writeIfInfo(w, { family: AF_BRIDGE, index });
      w.attr(IFLA_PROTINFO | NLA_F_NESTED, (p) => {
        if (s.hairpin !== undefined) p.attrU8(IFLA_BRPORT_MODE, s.hairpin ? 1 : 0);
        if (s.learning !== undefined) p.attrU8(IFLA_BRPORT_LEARNING, s.learning ? 1 : 0);
        if (s.isolated !== undefined) p.attrU8(IFLA_BRPORT_ISOLATED, s.isolated ? 1 : 0);
      });
    }),
  };
}

/** `bridge link show` (or `bridge vlan show` with `withVlans`): dump of every bridge port. */
export function portDumpRequest(withVlans = false): Request {
  return {
    type: RTM_GETLINK,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    body: body((w) => {
      writeIfInfo(w, { family: AF_BRIDGE });
      if (withVlans) w.attrU32(IFLA_EXT_MASK, RTEXT_FILTER_BRVLAN);
    }),
  };
}

/** One IFLA_BRIDGE_VLAN_INFO as portVlanRequest writes it; absent flags are off. */
export interface PortVlanSpec {
  vid: number;
  pvid?: boolean;
  untagged?: boolean;
}

/** The same entry as decodePort reads it, every flag explicit. */
export type PortVlan = Required<PortVlanSpec>;

/**
 * `bridge vlan add|del dev <index> vid V [pvid] [untagged] master`: RTM_SETLINK / RTM_DELLINK
 * with IFLA_AF_SPEC { IFLA_BRIDGE_FLAGS = master, IFLA_BRIDGE_VLAN_INFO { flags, vid } }.
 */
export function portVlanRequest(op: "add" | "del", index: number, v: PortVlanSpec): Request {
  const flags = (v.pvid ? BRIDGE_VLAN_INFO_PVID : 0) | (v.untagged ? BRIDGE_VLAN_INFO_UNTAGGED : 0);
  return {
    type: op === "add" ? RTM_SETLINK : RTM_DELLINK,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    body: body((w) => {
      writeIfInfo(w, { family: AF_BRIDGE, index });
      w.attr(IFLA_AF_SPEC, (s) => {
        s.attrU16(IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_MASTER);
        s.attr(IFLA_BRIDGE_VLAN_INFO, (i) => i.u16(flags).u16(v.vid));
      });
    }),
  };
}

function flag(v: number | undefined): boolean | undefined {
  return v === undefined ? undefined : v !== 0;
}

/** A port's state and settings as nested IFLA_BRPORT_* attributes. */
export type PortAttrs = PortSettings & { state?: PortState };

/**
 * IFLA_BRPORT_*: the same nest is the IFLA_PROTINFO of an AF_BRIDGE message and the
 * IFLA_INFO_SLAVE_DATA of a bridge port's ordinary RTM_NEWLINK (the kernel fills both alike).
 */
export function decodePortAttrs(nest: Uint8Array): PortAttrs {
  const p = new AttrTable(nest);
  const out: PortAttrs = {};
  const state = p.u8(IFLA_BRPORT_STATE);
  if (state !== undefined) out.state = PORT_STATES[state] ?? "disabled";
  out.hairpin = flag(p.u8(IFLA_BRPORT_MODE));
  out.learning = flag(p.u8(IFLA_BRPORT_LEARNING));
  out.isolated = flag(p.u8(IFLA_BRPORT_ISOLATED));
  return out;
}

/** Decodes an AF_BRIDGE RTM_NEWLINK (dump reply or RTNLGRP_LINK event). */
export function decodePort(m: Message): BridgePort | undefined {
  const h = readIfInfo(m.payload);
  if (h.family !== AF_BRIDGE) return undefined;
  const a = new AttrTable(m.payload.subarray(IFINFOMSG_LEN));
  const port: BridgePort = { index: h.index, name: getString(a.get(IFLA_IFNAME)) ?? "", vlans: [] };
  const master = a.u32(IFLA_MASTER);
  if (master !== undefined) port.master = master;
  const info = a.get(IFLA_PROTINFO);
  if (info) Object.assign(port, decodePortAttrs(info));
  const spec = a.get(IFLA_AF_SPEC);
  if (spec) {
    for (const attr of attrs(spec)) {
      if (attr.type !== IFLA_BRIDGE_VLAN_INFO || attr.data.byteLength < 4) continue;
      const flags = getU16(attr.data) ?? 0;
      const vid = getU16(attr.data.subarray(2)) ?? 0;
      port.vlans.push({ vid, pvid: (flags & BRIDGE_VLAN_INFO_PVID) !== 0, untagged: (flags & BRIDGE_VLAN_INFO_UNTAGGED) !== 0 });
    }
  }
  return port;
}

/** A bridge port as its own RTM_NEWLINK reports it (`link.port` set): what decodePort reads, minus VLANs. */
export function portOfLink(link: Link & { port: PortAttrs }): BridgePort {
  const port: BridgePort = { index: link.index, name: link.name, vlans: [] };
  if (link.master !== undefined) port.master = link.master;
  return Object.assign(port, link.port);
}
