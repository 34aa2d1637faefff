import type { Writer } from "./attrs.ts";
import { AttrTable, getString } from "./attrs.ts";
import {
  AF_INET,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_F_DADFAILED,
  IFA_F_TENTATIVE,
  IFA_FLAGS,
  IFA_LABEL,
  IFA_LOCAL,
  NLM_F_ACK,
  NLM_F_CREATE,
  NLM_F_DUMP,
  NLM_F_EXCL,
  NLM_F_REPLACE,
  NLM_F_REQUEST,
  RTM_DELADDR,
  RTM_GETADDR,
  RTM_NEWADDR,
} from "./constants.ts";
import type { Message, Request } from "./message.ts";
import { body } from "./message.ts";
import { formatIp, parseCidr, parseIp } from "./wire.ts";

const IFADDRMSG_LEN = 8;

/** An interface address as the kernel reports it (RTM_NEWADDR). */
export interface Addr {
  family: number;
  index: number;
  prefixLen: number;
  /** IFA_F_* (IFA_FLAGS when present, else the 8-bit header field). */
  flags: number;
  scope: number;
  /** The interface's own address: IFA_LOCAL for IPv4, IFA_ADDRESS for IPv6. */
  ip: string;
  /** `ip/prefixLen`, e.g. "10.1.2.3/24". */
  cidr: string;
  /** IFA_ADDRESS when it differs from the local address (point-to-point peer). */
  peer?: string;
  broadcast?: string;
  label?: string;
  tentative: boolean;
  dadFailed: boolean;
}

/** struct ifaddrmsg { u8 family; u8 prefixlen; u8 flags; u8 scope; u32 index; } */
function writeIfAddr(w: Writer, family: number, prefixLen: number, flags: number, scope: number, index: number): void {
  w.u8(family).u8(prefixLen).u8(flags & 0xff).u8(scope).u32(index);
}

export interface AddrOptions {
  /** IPv4 broadcast; "+" (the default for IPv4 prefixes shorter than /31) derives it like `brd +`. */
  broadcast?: string | "+" | null;
  /** IFA_F_* flags, e.g. IFA_F_NODAD. Values above 0xff go in an IFA_FLAGS attribute. */
  flags?: number;
  scope?: number;
  /** NLM_F_REPLACE instead of NLM_F_EXCL. */
  replace?: boolean;
}

function broadcastOf(bytes: Uint8Array, prefixLen: number): Uint8Array {
  const out = new Uint8Array(bytes);
  for (let bit = prefixLen; bit < 32; bit++) out[bit >> 3] = (out[bit >> 3] ?? 0) | (0x80 >> (bit & 7));
  return out;
}

/**
 * `ip addr add <cidr> [brd +] dev <index> [nodad]`. For IPv4 the broadcast address is derived
 * when the prefix is shorter than /31, as the reference's netlink library does.
 */
export function addrAddRequest(index: number, cidr: string, o: AddrOptions = {}): Request {
  const a = parseCidr(cidr);
  const flags = o.flags ?? 0;
  return {
    type: RTM_NEWADDR,
    flags: NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (o.replace ? NLM_F_REPLACE : NLM_F_EXCL),
    body: body((w) => {
      writeIfAddr(w, a.family, a.prefixLen, flags <= 0xff ? flags : 0, o.scope ?? 0, index);
      w.attrBytes(IFA_LOCAL, a.bytes).attrBytes(IFA_ADDRESS, a.bytes);
      if (a.family === AF_INET && o.broadcast !== null) {
        if (o.broadcast !== undefined && o.broadcast !== "+") w.attrBytes(IFA_BROADCAST, parseIp(o.broadcast).bytes);
        else if (a.prefixLen < 31) w.attrBytes(IFA_BROADCAST, broadcastOf(a.bytes, a.prefixLen));
      }
      if (flags > 0xff) w.attrU32(IFA_FLAGS, flags);
    }),
  };
}

/** `ip addr del <cidr> dev <index>`. */
export function addrDelRequest(index: number, cidr: string): Request {
  const a = parseCidr(cidr);
  return {
    type: RTM_DELADDR,
    flags: NLM_F_REQUEST | NLM_F_ACK,
    body: body((w) => {
      writeIfAddr(w, a.family, a.prefixLen, 0, 0, index);
      w.attrBytes(IFA_LOCAL, a.bytes).attrBytes(IFA_ADDRESS, a.bytes);
    }),
  };
}

/**
 * `ip [-4|-6] addr show [dev <index>]`. With strict checking the kernel itself filters the dump
 * by family and ifindex from the header.
 */
export function addrDumpRequest(family = 0, index = 0): Request {
  return {
    type: RTM_GETADDR,
    flags: NLM_F_REQUEST | NLM_F_DUMP,
    body: body((w) => writeIfAddr(w, family, 0, 0, 0, index)),
  };
}

export function decodeAddr(m: Message): Addr {
  const p = m.payload;
  if (p.byteLength < IFADDRMSG_LEN) throw new Error("short ifaddrmsg");
  // Bytes and an AttrTable, not a DataView and attrMap: cheaper in JSC's interpreter.
  const family = p[0] ?? 0;
  const prefixLen = p[1] ?? 0;
  const a = new AttrTable(p.subarray(IFADDRMSG_LEN));
  const local = a.get(IFA_LOCAL);
  const address = a.get(IFA_ADDRESS);
  const own = local ?? address;
  if (own === undefined) throw new Error("address message without IFA_LOCAL/IFA_ADDRESS");
  const ip = formatIp(own);
  const flags = a.u32(IFA_FLAGS) ?? p[2] ?? 0;
  const out: Addr = {
    family,
    index: ((p[4] ?? 0) | ((p[5] ?? 0) << 8) | ((p[6] ?? 0) << 16) | ((p[7] ?? 0) << 24)) >>> 0,
    prefixLen,
    flags,
    scope: p[3] ?? 0,
    ip,
    cidr: `${ip}/${prefixLen}`,
    tentative: (flags & IFA_F_TENTATIVE) !== 0,
    dadFailed: (flags & IFA_F_DADFAILED) !== 0,
  };
  if (local && address) {
    const peer = formatIp(address);
    if (peer !== ip) out.peer = peer;
  }
  const brd = a.get(IFA_BROADCAST);
  if (brd) out.broadcast = formatIp(brd);
  const label = getString(a.get(IFA_LABEL));
  if (label !== undefined) out.label = label;
  return out;
}
