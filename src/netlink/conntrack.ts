/**
 * ctnetlink messages (NETLINK_NETFILTER, subsystem CTNETLINK): the family dump and the
 * single-entry delete as conntrack-tools sends them, and the kernel-filtered delete by protocol
 * and destination port. Every body starts with
 * struct nfgenmsg { u8 family; u8 version; be16 res_id; }. Unlike rtnetlink, ports, IDs and
 * zones inside conntrack attributes are big-endian.
 */
import { attrMap, getU8 } from "./attrs.ts";
import {
  AF_INET,
  CTA_FILTER,
  CTA_FILTER_F_CTA_PROTO_DST_PORT,
  CTA_FILTER_F_CTA_PROTO_NUM,
  CTA_FILTER_ORIG_FLAGS,
  CTA_IP_V4_DST,
  CTA_IP_V4_SRC,
  CTA_IP_V6_DST,
  CTA_IP_V6_SRC,
  CTA_PROTO_DST_PORT,
  CTA_PROTO_NUM,
  CTA_PROTO_SRC_PORT,
  CTA_TUPLE_IP,
  CTA_TUPLE_ORIG,
  CTA_TUPLE_PROTO,
  CTA_ZONE,
  IPCTNL_MSG_CT_DELETE,
  IPCTNL_MSG_CT_GET,
  IPCTNL_MSG_CT_NEW,
  NFNETLINK_V0,
  NFNL_SUBSYS_CTNETLINK,
  NLA_F_NESTED,
  NLM_F_REQUEST,
} from "./constants.ts";
import type { Message, Request } from "./message.ts";
import { body } from "./message.ts";
import { formatIp } from "./wire.ts";

const NFGENMSG_LEN = 4;

export const ctMsgType = (msg: number): number => (NFNL_SUBSYS_CTNETLINK << 8) | msg;

/** One conntrack entry as a dump reports it: the original-direction tuple, decoded. */
export interface CtEntry {
  /** AF_INET / AF_INET6. */
  family: number;
  /** IPPROTO_*. */
  proto: number;
  src: string;
  dst: string;
  /** Ports for TCP/UDP/SCTP/DCCP; absent for ICMP and friends. */
  sport?: number;
  dport?: number;
  /** CTA_ZONE (network order on the wire); only sent for entries outside the default zone. */
  zone?: number;
  /** The CTA_TUPLE_ORIG payload exactly as the kernel sent it: a delete names the entry by it. */
  origTuple: Uint8Array;
}

const be16 = (b: Uint8Array | undefined): number | undefined => (b !== undefined && b.byteLength >= 2 ? ((b[0] ?? 0) << 8) | (b[1] ?? 0) : undefined);
const be16Bytes = (n: number): Uint8Array => Uint8Array.of((n >> 8) & 0xff, n & 0xff);

/**
 * `conntrack -L -f ipv4|ipv6`: a dump of one family (the kernel filters by nfgen_family; the
 * caller matches the rest, which works on every kernel).
 */
export function ctDumpRequest(family: number): Request {
  return { type: ctMsgType(IPCTNL_MSG_CT_GET), flags: NLM_F_REQUEST, body: nfgenmsg(family) };
}

/**
 * One kernel-side delete of every entry of `family` whose original tuple has protocol `proto`
 * and destination port `dport`, in any zone. A delete whose CTA_TUPLE_ORIG comes with a
 * CTA_FILTER is a filtered flush (verified on 6.18); kernels without that read it as a
 * single-entry delete of an address-less tuple and answer EINVAL (or EOPNOTSUPP), deleting
 * nothing, so the caller can fall back to dump + delete. No tool sends this message: its
 * encoding is checked against the kernel's own tuple attributes and by the netns test.
 */
export function ctDeleteByProtoPortRequest(family: number, proto: number, dport: number): Request {
  return {
    type: ctMsgType(IPCTNL_MSG_CT_DELETE),
    flags: NLM_F_REQUEST,
    body: body((w) => {
      w.bytes(nfgenmsg(family));
      w.attr(CTA_TUPLE_ORIG | NLA_F_NESTED, (t) =>
        t.attr(CTA_TUPLE_PROTO | NLA_F_NESTED, (p) => p.attrU8(CTA_PROTO_NUM, proto).attrBytes(CTA_PROTO_DST_PORT, be16Bytes(dport))),
      );
      w.attr(CTA_FILTER | NLA_F_NESTED, (f) => f.attrU32(CTA_FILTER_ORIG_FLAGS, CTA_FILTER_F_CTA_PROTO_NUM | CTA_FILTER_F_CTA_PROTO_DST_PORT));
    }),
  };
}

/**
 * Deletes one entry by its original tuple (+ zone), as `conntrack -D` does for each entry it
 * matched in a dump (it also repeats the reply tuple, status, timeout and mark, which the
 * kernel ignores when deleting).
 */
export function ctDeleteRequest(e: CtEntry): Request {
  return {
    type: ctMsgType(IPCTNL_MSG_CT_DELETE),
    flags: NLM_F_REQUEST,
    body: body((w) => {
      w.bytes(nfgenmsg(e.family));
      w.attrBytes(CTA_TUPLE_ORIG | NLA_F_NESTED, e.origTuple);
      if (e.zone !== undefined) w.attrBytes(CTA_ZONE, be16Bytes(e.zone));
    }),
  };
}

/** struct nfgenmsg for ctnetlink: version 0, res_id 0. */
function nfgenmsg(family: number): Uint8Array {
  return Uint8Array.of(family, NFNETLINK_V0, 0, 0);
}

/** A dumped entry; undefined for messages that are not IPCTNL_MSG_CT_NEW or lack a tuple. */
export function decodeCtEntry(m: Message): CtEntry | undefined {
  if (m.type !== ctMsgType(IPCTNL_MSG_CT_NEW) || m.payload.byteLength < NFGENMSG_LEN) return undefined;
  const family = m.payload[0] ?? 0;
  const top = attrMap(m.payload.subarray(NFGENMSG_LEN));
  const origTuple = top.get(CTA_TUPLE_ORIG);
  if (origTuple === undefined) return undefined;
  const tuple = attrMap(origTuple);
  const ip = attrMap(tuple.get(CTA_TUPLE_IP) ?? new Uint8Array());
  const proto = attrMap(tuple.get(CTA_TUPLE_PROTO) ?? new Uint8Array());
  const v4 = family === AF_INET;
  const src = ip.get(v4 ? CTA_IP_V4_SRC : CTA_IP_V6_SRC);
  const dst = ip.get(v4 ? CTA_IP_V4_DST : CTA_IP_V6_DST);
  const e: CtEntry = {
    family,
    proto: getU8(proto.get(CTA_PROTO_NUM)) ?? 0,
    src: src ? formatIp(src) : "",
    dst: dst ? formatIp(dst) : "",
    origTuple,
  };
  const sport = be16(proto.get(CTA_PROTO_SRC_PORT));
  const dport = be16(proto.get(CTA_PROTO_DST_PORT));
  const zone = be16(top.get(CTA_ZONE));
  if (sport !== undefined) e.sport = sport;
  if (dport !== undefined) e.dport = dport;
  if (zone !== undefined) e.zone = zone;
  return e;
}
