import type { Writer } from "../attrs.ts";
import { VETH_INFO_PEER } from "../constants.ts";
import { writeIfInfo } from "../wire.ts";

/**
 * The peer of a veth pair (IFLA_INFO_DATA of kind "veth"). VETH_INFO_PEER carries a whole
 * ifinfomsg followed by the peer's own link attributes, so the peer can get its name, MTU, MAC
 * and even a different netns (IFLA_NET_NS_FD) in the same RTM_NEWLINK as the local end.
 */
export function writeVethData(w: Writer, writePeerAttrs: (w: Writer) => void): void {
  w.attr(VETH_INFO_PEER, (p) => {
    writeIfInfo(p);
    writePeerAttrs(p);
  });
}
