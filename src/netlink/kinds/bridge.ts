import type { Writer } from "../attrs.ts";
import { attrMap, getU16, getU8 } from "../attrs.ts";
import { IFLA_BR_STP_STATE, IFLA_BR_VLAN_DEFAULT_PVID, IFLA_BR_VLAN_FILTERING } from "../constants.ts";

/** Bridge device options (IFLA_INFO_DATA of kind "bridge"), as `ip link add … type bridge` takes them. */
export interface BridgeOptions {
  vlanFiltering?: boolean;
  vlanDefaultPvid?: number;
}

export interface BridgeInfo {
  vlanFiltering?: boolean;
  vlanDefaultPvid?: number;
  stpState?: number;
}

export function writeBridgeData(w: Writer, o: BridgeOptions): void {
  if (o.vlanFiltering !== undefined) w.attrU8(IFLA_BR_VLAN_FILTERING, o.vlanFiltering ? 1 : 0);
  if (o.vlanDefaultPvid !== undefined) w.attrU16(IFLA_BR_VLAN_DEFAULT_PVID, o.vlanDefaultPvid);
}

export function hasBridgeData(o: BridgeOptions): boolean {
  return o.vlanFiltering !== undefined || o.vlanDefaultPvid !== undefined;
}

export function readBridgeData(data: Uint8Array): BridgeInfo {
  const m = attrMap(data);
  const out: BridgeInfo = {};
  const vf = getU8(m.get(IFLA_BR_VLAN_FILTERING));
  if (vf !== undefined) out.vlanFiltering = vf !== 0;
  const pvid = getU16(m.get(IFLA_BR_VLAN_DEFAULT_PVID));
  if (pvid !== undefined) out.vlanDefaultPvid = pvid;
  const stp = getU8(m.get(IFLA_BR_STP_STATE));
  if (stp !== undefined) out.stpState = stp;
  return out;
}
