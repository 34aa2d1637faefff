/**
 * The xt info blobs iptables-nft 1.8.9 writes into its compat `match`/`target` expressions: each
 * is the kernel's own struct (comment, addrtype, multiport, sctp, dccp, MARK, DNAT, MASQUERADE),
 * multi-byte fields in host order (little-endian here) unless the struct says __be16. Written
 * with byte stores into a zeroed buffer of the struct's size (no DataView: creating one costs
 * more than the blob's bytes in JSC's interpreter).
 */
import { le16At, le32At } from "../message.ts";

/** A big-endian u16 at `off` (the __be16 fields). */
function be16At(b: Uint8Array, off: number, v: number): void {
  b[off] = (v >>> 8) & 0xff;
  b[off + 1] = v & 0xff;
}

const enc = new TextEncoder();
export const XT_COMMENT_MAX = 256;

/** struct xt_comment_info: char comment[256], NUL-terminated. */
export function commentInfo(text: string): Uint8Array | undefined {
  const b = enc.encode(text);
  if (b.byteLength >= XT_COMMENT_MAX || b.includes(0)) return undefined;
  const info = new Uint8Array(XT_COMMENT_MAX);
  info.set(b);
  return info;
}

const RTN_LOCAL = 2;

/** struct xt_addrtype_info_v1 for `--dst-type LOCAL`: source, dest (u16 masks), flags. */
export function addrtypeDstLocalInfo(): Uint8Array {
  const info = new Uint8Array(8);
  le16At(info, 2, 1 << RTN_LOCAL);
  return info;
}

export const MULTIPORT_MAX = 15;
const XT_MULTIPORT_DESTINATION = 1;

/** struct xt_multiport_v1 for `--dports`: flags, count, ports[15], pflags[15], invert. */
export function multiportDportsInfo(ports: readonly number[]): Uint8Array | undefined {
  if (ports.length === 0 || ports.length > MULTIPORT_MAX) return undefined;
  const info = new Uint8Array(48);
  info[0] = XT_MULTIPORT_DESTINATION;
  info[1] = ports.length;
  for (let i = 0; i < ports.length; i++) le16At(info, 2 + 2 * i, ports[i] as number);
  return info;
}

const XT_SCTP_DEST_PORTS = 2;
const SCTP_FLAG_INFO_TAIL = Uint8Array.of(0xff, 0, 0, 0xff, 0, 0, 0xff, 0, 0, 0xff, 0, 0);

/**
 * struct xt_sctp_info for `--dport`: dpts, spts, chunkmap[64], chunk_match_type, flag_info[4]
 * (iptables initialises their chunk types to 0xff), flag_count, flags, invflags.
 */
export function sctpDportInfo(port: number): Uint8Array {
  const info = new Uint8Array(296);
  le16At(info, 0, port);
  le16At(info, 2, port);
  info.set(SCTP_FLAG_INFO_TAIL, 268);
  le32At(info, 284, XT_SCTP_DEST_PORTS);
  return info;
}

const XT_DCCP_DEST_PORTS = 2;

/** struct xt_dccp_info for `--dport`: dpts, spts, flags, invflags, typemask, option. */
export function dccpDportInfo(port: number): Uint8Array {
  const info = new Uint8Array(16);
  le16At(info, 0, port);
  le16At(info, 2, port);
  le16At(info, 8, XT_DCCP_DEST_PORTS);
  return info;
}

/** struct xt_mark_tginfo2 (MARK rev 2, `--set-xmark value/mask`). */
export function markTargetInfo(value: number, mask: number): Uint8Array {
  const info = new Uint8Array(8);
  le32At(info, 0, value);
  le32At(info, 4, mask);
  return info;
}

const NF_NAT_RANGE_MAP_IPS = 1;
const NF_NAT_RANGE_PROTO_SPECIFIED = 2;

/** struct nf_nat_range2 (DNAT rev 2) for one address and one port (port big-endian). */
export function dnatInfo(addr: Uint8Array, port: number): Uint8Array {
  const info = new Uint8Array(48);
  le32At(info, 0, NF_NAT_RANGE_MAP_IPS | NF_NAT_RANGE_PROTO_SPECIFIED);
  info.set(addr, 4);
  info.set(addr, 20);
  be16At(info, 36, port);
  be16At(info, 38, port);
  return info;
}

/**
 * MASQUERADE rev 0 without options: IPv4 takes struct nf_nat_ipv4_multi_range_compat (rangesize
 * 1, one zeroed range), IPv6 a zeroed struct nf_nat_range.
 */
export function masqueradeInfo(v6: boolean): Uint8Array {
  if (v6) return new Uint8Array(40);
  const info = new Uint8Array(24);
  info[0] = 1;
  return info;
}
