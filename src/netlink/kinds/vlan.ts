import type { Writer } from "../attrs.ts";
import { attrMap, getU16 } from "../attrs.ts";
import { IFLA_VLAN_ID } from "../constants.ts";

/** 802.1Q sub-interface data (IFLA_INFO_DATA of kind "vlan"); the parent goes in IFLA_LINK. */
export function writeVlanData(w: Writer, vid: number): void {
  w.attrU16(IFLA_VLAN_ID, vid);
}

export function readVlanData(data: Uint8Array): { vlanId?: number } {
  return { vlanId: getU16(attrMap(data).get(IFLA_VLAN_ID)) };
}
