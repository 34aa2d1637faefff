import type { Writer } from "../attrs.ts";
import { attrMap, getU16 } from "../attrs.ts";
import { IFLA_VLAN_ID } from "../constants.ts";

/** 802.1Q sub-interface data (IFLA_INFO_DATA of kind "vlan"), written and read; the parent goes in IFLA_LINK. */
export interface VlanData {
  vlanId?: number;
}

export function writeVlanData(w: Writer, d: VlanData): void {
  if (d.vlanId !== undefined) w.attrU16(IFLA_VLAN_ID, d.vlanId);
}

export function readVlanData(data: Uint8Array): VlanData {
  const vlanId = getU16(attrMap(data).get(IFLA_VLAN_ID));
  return vlanId === undefined ? {} : { vlanId };
}
