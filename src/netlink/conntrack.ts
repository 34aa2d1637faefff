/**
 * Conntrack over NETLINK_NETFILTER, and the route lookup portmap needs, each in one small request
 * loop. Deleting by "UDP, original destination port P" is a dump of the family's entries filtered
 * here, then one delete per match with the entry's own attributes (the kernel deletes a single
 * entry by its original tuple); equivalent to `conntrack -D -p udp --orig-port-dst P`.
 */
import { NETLINK_NETFILTER, NETLINK_ROUTE, NetlinkSocket, SyscallError } from "../sys/netlink-socket.ts";

// <linux/netlink.h>
const NLMSG_ERROR = 2;
const NLMSG_DONE = 3;
const NLM_F_REQUEST = 0x1;
const NLM_F_MULTI = 0x2;
const NLM_F_ACK = 0x4;
const NLM_F_DUMP = 0x300;
const NLA_TYPE_MASK = 0x3fff;
// <linux/netfilter/nfnetlink.h>, <linux/netfilter/nfnetlink_conntrack.h>
const NFNL_SUBSYS_CTNETLINK = 1;
const IPCTNL_MSG_CT_GET = 1;
const IPCTNL_MSG_CT_DELETE = 2;
const CTA_TUPLE_ORIG = 1;
const CTA_TUPLE_PROTO = 2;
const CTA_PROTO_NUM = 1;
const CTA_PROTO_DST_PORT = 3;
// <linux/rtnetlink.h>, <linux/if_link.h>
const RTM_NEWLINK = 16;
const RTM_GETLINK = 18;
const RTM_NEWROUTE = 24;
const RTM_GETROUTE = 26;
const RTA_DST = 1;
const RTA_OIF = 4;
const IFLA_IFNAME = 3;
const AF_INET = 2;
const AF_INET6 = 10;
const IPPROTO_UDP = 17;
const ENOENT = 2;

export type Family = 4 | 6;

const align4 = (n: number): number => (n + 3) & ~3;

export interface NlMessage {
  readonly type: number;
  readonly flags: number;
  readonly seq: number;
  /** Everything after the 16-byte header. */
  readonly payload: Uint8Array;
}

export function encodeMessage(type: number, flags: number, seq: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, out.length, true);
  dv.setUint16(4, type, true);
  dv.setUint16(6, flags, true);
  dv.setUint32(8, seq, true);
  dv.setUint32(12, 0, true);
  out.set(payload, 16);
  return out;
}

export function decodeMessages(buf: Uint8Array): NlMessage[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: NlMessage[] = [];
  let off = 0;
  while (off + 16 <= buf.length) {
    const len = dv.getUint32(off, true);
    if (len < 16 || off + len > buf.length) break;
    out.push({
      type: dv.getUint16(off + 4, true),
      flags: dv.getUint16(off + 6, true),
      seq: dv.getUint32(off + 8, true),
      payload: buf.subarray(off + 16, off + len),
    });
    off += align4(len);
  }
  return out;
}

/** One attribute: header plus value, padded to 4 bytes. */
export function encodeAttr(type: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(align4(4 + value.length));
  const dv = new DataView(out.buffer);
  dv.setUint16(0, 4 + value.length, true);
  dv.setUint16(2, type, true);
  out.set(value, 4);
  return out;
}

export function decodeAttrs(buf: Uint8Array): Map<number, Uint8Array> {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out = new Map<number, Uint8Array>();
  let off = 0;
  while (off + 4 <= buf.length) {
    const len = dv.getUint16(off, true);
    if (len < 4 || off + len > buf.length) break;
    out.set(dv.getUint16(off + 2, true) & NLA_TYPE_MASK, buf.subarray(off + 4, off + len));
    off += align4(len);
  }
  return out;
}

/** `struct nfgenmsg`: family, version 0, resource id 0. */
function nfgenmsg(family: Family): Uint8Array {
  return new Uint8Array([family === 4 ? AF_INET : AF_INET6, 0, 0, 0]);
}

const ctType = (msg: number): number => (NFNL_SUBSYS_CTNETLINK << 8) | msg;

/** The UDP original-direction destination port of a dumped conntrack entry, if it is UDP. */
export function udpOrigDstPort(attrs: Uint8Array): number | undefined {
  const orig = decodeAttrs(attrs).get(CTA_TUPLE_ORIG);
  const proto = orig && decodeAttrs(orig).get(CTA_TUPLE_PROTO);
  if (proto === undefined) return undefined;
  const p = decodeAttrs(proto);
  const num = p.get(CTA_PROTO_NUM);
  const port = p.get(CTA_PROTO_DST_PORT);
  if (num?.[0] !== IPPROTO_UDP || port === undefined || port.length < 2) return undefined;
  return ((port[0] ?? 0) << 8) | (port[1] ?? 0);
}

export class NetlinkError extends Error {
  override readonly name = "NetlinkError";
  constructor(
    readonly op: string,
    readonly errno: number,
  ) {
    super(`${op}: errno ${errno}`);
  }
}

function errorOf(m: NlMessage): number {
  return new DataView(m.payload.buffer, m.payload.byteOffset, 4).getInt32(0, true);
}

let seqCounter = Math.floor(Date.now() / 1000) & 0xffff;

/** Sends one request and collects replies until DONE (dump) or the ACK. */
function exchange(sock: NetlinkSocket, op: string, msg: (seq: number) => Uint8Array, dump: boolean): NlMessage[] {
  const seq = ++seqCounter;
  sock.send(msg(seq));
  const out: NlMessage[] = [];
  for (;;) {
    for (const m of decodeMessages(sock.recv())) {
      if (m.seq !== seq) continue;
      if (m.type === NLMSG_DONE) return out;
      if (m.type === NLMSG_ERROR) {
        const errno = -errorOf(m);
        if (errno !== 0) throw new NetlinkError(op, errno);
        return out;
      }
      out.push(m);
      if (!dump && (m.flags & NLM_F_MULTI) === 0) return out;
    }
  }
}

/**
 * Deletes the conntrack entries of `family` whose original tuple is UDP to one of `ports`
 * (any address). Returns how many were deleted; entries that vanished meanwhile are not errors.
 */
export function conntrackDeleteUdpByDstPort(family: Family, ports: readonly number[]): number {
  const wanted = new Set(ports);
  using sock = NetlinkSocket.open(NETLINK_NETFILTER);
  const dumped = exchange(
    sock,
    "conntrack dump",
    (seq) => encodeMessage(ctType(IPCTNL_MSG_CT_GET), NLM_F_REQUEST | NLM_F_DUMP, seq, nfgenmsg(family)),
    true,
  );
  let deleted = 0;
  for (const m of dumped) {
    const attrs = m.payload.subarray(4);
    const port = udpOrigDstPort(attrs);
    if (port === undefined || !wanted.has(port)) continue;
    const body = new Uint8Array(4 + attrs.length);
    body.set(nfgenmsg(family), 0);
    body.set(attrs, 4);
    try {
      exchange(sock, "conntrack delete", (seq) => encodeMessage(ctType(IPCTNL_MSG_CT_DELETE), NLM_F_REQUEST | NLM_F_ACK, seq, body), false);
      deleted++;
    } catch (err) {
      if (!(err instanceof NetlinkError && err.errno === ENOENT)) throw err;
    }
  }
  return deleted;
}

function addressBytes(ip: string): { family: Family; bytes: Uint8Array } {
  if (!ip.includes(":")) {
    const parts = ip.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) throw new Error(`invalid IP ${ip}`);
    return { family: 4, bytes: new Uint8Array(parts) };
  }
  const [head = "", tail = ""] = ip.split("::");
  const groups = (s: string): number[] => (s === "" ? [] : s.split(":").map((g) => Number.parseInt(g, 16)));
  const h = groups(head);
  const t = ip.includes("::") ? groups(tail) : [];
  const all = [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
  if (all.length !== 8 || all.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) throw new Error(`invalid IP ${ip}`);
  const bytes = new Uint8Array(16);
  all.forEach((g, i) => {
    bytes[i * 2] = g >> 8;
    bytes[i * 2 + 1] = g & 0xff;
  });
  return { family: 6, bytes };
}

/** `ip route get <ip>`: the output interface index of the route the kernel would use. */
export function routeGetOif(ip: string): number | undefined {
  const { family, bytes } = addressBytes(ip);
  using sock = NetlinkSocket.open(NETLINK_ROUTE);
  // struct rtmsg: family, dst_len, src_len, tos, table, protocol, scope, type, flags(u32)
  const rtmsg = new Uint8Array(12);
  rtmsg[0] = family === 4 ? AF_INET : AF_INET6;
  rtmsg[1] = bytes.length * 8;
  const payload = new Uint8Array([...rtmsg, ...encodeAttr(RTA_DST, bytes)]);
  const replies = exchange(sock, "route get", (seq) => encodeMessage(RTM_GETROUTE, NLM_F_REQUEST, seq, payload), false);
  const route = replies.find((m) => m.type === RTM_NEWROUTE);
  const oif = route && decodeAttrs(route.payload.subarray(12)).get(RTA_OIF);
  return oif === undefined ? undefined : new DataView(oif.buffer, oif.byteOffset, 4).getUint32(0, true);
}

/** `ip link show` by index: the interface name. */
export function linkName(index: number): string | undefined {
  using sock = NetlinkSocket.open(NETLINK_ROUTE);
  const ifinfo = new Uint8Array(16);
  new DataView(ifinfo.buffer).setInt32(4, index, true);
  const replies = exchange(sock, "link get", (seq) => encodeMessage(RTM_GETLINK, NLM_F_REQUEST, seq, ifinfo), false);
  const link = replies.find((m) => m.type === RTM_NEWLINK);
  const name = link && decodeAttrs(link.payload.subarray(16)).get(IFLA_IFNAME);
  if (name === undefined) return undefined;
  const end = name.indexOf(0);
  return new TextDecoder().decode(end >= 0 ? name.subarray(0, end) : name);
}

export { SyscallError };
