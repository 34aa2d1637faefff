import type { Writer } from "../attrs.ts";
import { AttrTable } from "../attrs.ts";
import { IFLA_BR_STP_STATE, IFLA_BR_VLAN_DEFAULT_PVID, IFLA_BR_VLAN_FILTERING } from "../constants.ts";

/**
 * Bridge device attributes (IFLA_INFO_DATA of kind "bridge"): what `ip link add … type bridge`
 * sets and what a link dump reports, one type both ways. Absent means "not sent" / "not reported".
 */
export interface BridgeData {
  vlanFiltering?: boolean;
  vlanDefaultPvid?: number;
  /** 0 off, 1 kernel STP, 2 user-space STP (the kernel's u32 `stp_state`). */
  stpState?: number;
}

export function writeBridgeData(w: Writer, o: BridgeData): void {
  if (o.stpState !== undefined) w.attrU32(IFLA_BR_STP_STATE, o.stpState);
  if (o.vlanFiltering !== undefined) w.attrU8(IFLA_BR_VLAN_FILTERING, o.vlanFiltering ? 1 : 0);
  if (o.vlanDefaultPvid !== undefined) w.attrU16(IFLA_BR_VLAN_DEFAULT_PVID, o.vlanDefaultPvid);
}

export function hasBridgeData(o: BridgeData): boolean {
  return o.vlanFiltering !== undefined || o.vlanDefaultPvid !== undefined || o.stpState !== undefined;
}

export function readBridgeData(data: Uint8Array): BridgeData {
  const m = new AttrTable(data);
  const out: BridgeData = {};
  const vf = m.u8(IFLA_BR_VLAN_FILTERING);
  if (vf !== undefined) out.vlanFiltering = vf !== 0;
  const pvid = m.u16(IFLA_BR_VLAN_DEFAULT_PVID);
  if (pvid !== undefined) out.vlanDefaultPvid = pvid;
  const stp = m.u32(IFLA_BR_STP_STATE);
  if (stp !== undefined) out.stpState = stp;
  return out;
}
