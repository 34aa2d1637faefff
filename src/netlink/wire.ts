import { type Addr, ipBytesString, ipFamily, parseCIDRLiteral, parseIPLiteral, scanV4 } from "../ip/index.ts";
import type { Writer } from "./attrs.ts";
import { AF_INET, AF_INET6 } from "./constants.ts";

/** Small shared encoders: the fixed headers in front of attributes, addresses and MACs. */

export interface IfInfo {
  family?: number;
  /** ARPHRD_* device type; 0 in requests. */
  type?: number;
  index?: number;
  flags?: number;
  change?: number;
}

/** struct ifinfomsg { u8 family; u8 pad; u16 type; i32 index; u32 flags; u32 change; } */
export function writeIfInfo(w: Writer, h: IfInfo = {}): void {
  w.u8(h.family ?? 0).u8(0).u16(h.type ?? 0).i32(h.index ?? 0).u32(h.flags ?? 0).u32(h.change ?? 0);
}

// Byte arithmetic, not a DataView: in JSC's interpreter each DataView read is a native call.
const le16 = (p: Uint8Array, at: number): number => (p[at] ?? 0) | ((p[at + 1] ?? 0) << 8);
const le32s = (p: Uint8Array, at: number): number => le16(p, at) | ((p[at + 2] ?? 0) << 16) | ((p[at + 3] ?? 0) << 24);

export function readIfInfo(p: Uint8Array): Required<IfInfo> {
  if (p.byteLength < 16) throw new Error("short ifinfomsg");
  return { family: p[0] ?? 0, type: le16(p, 2), index: le32s(p, 4), flags: le32s(p, 8) >>> 0, change: le32s(p, 12) >>> 0 };
}

export const IFINFOMSG_LEN = 16;

/** "02:00:00:00:00:0a" -> bytes; throws on anything that is not colon-separated hex. */
export function parseMac(mac: string): Uint8Array {
  const parts = mac.split(/[:-]/);
  if (parts.length < 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p))) throw new Error(`invalid MAC address ${JSON.stringify(mac)}`);
  return new Uint8Array(parts.map((p) => Number.parseInt(p, 16)));
}

const HEX = "0123456789abcdef";

// A plain loop: Array.from is one of JSC's JS-written builtins, compiled from source on its first
// use in a process (~0.5 M instructions, more than the rest of a link decode; docs/performance.md).
export function formatMac(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) {
    const x = b[i] ?? 0;
    s += `${i === 0 ? "" : ":"}${HEX.charAt(x >> 4)}${HEX.charAt(x & 15)}`;
  }
  return s;
}

export interface IpBytes {
  family: typeof AF_INET | typeof AF_INET6;
  bytes: Uint8Array;
}

/** AF_INET or AF_INET6 for an address or CIDR in text form. */
export function addressFamily(text: string): typeof AF_INET | typeof AF_INET6 {
  return ipFamily(text) === 6 ? AF_INET6 : AF_INET;
}

export function ipBytes(a: Addr): IpBytes {
  return { family: a.kind() === "ipv4" ? AF_INET : AF_INET6, bytes: new Uint8Array(a.toByteArray()) };
}

/** An IP literal (no prefix) as Go parses it; IPv4-mapped IPv6 stays IPv6, as on the wire. */
export function parseIp(ip: string): IpBytes {
  // A plain dotted quad without an ipaddr.js object (a portmap ADD's route lookup, docs/performance.md).
  const octets: number[] = [];
  if (scanV4(ip, ip.length, octets)) return { family: AF_INET, bytes: new Uint8Array(octets) };
  const a = parseIPLiteral(ip);
  if (a === undefined) throw new Error(`invalid IP address ${JSON.stringify(ip)}`);
  return ipBytes(a);
}

/** "10.1.2.3/24" -> address bytes and prefix length (host bits kept: it is an interface address). */
export function parseCidr(cidr: string): IpBytes & { prefixLen: number } {
  const c = parseCIDRLiteral(cidr);
  if (c === undefined) throw new Error(`invalid CIDR address ${JSON.stringify(cidr)}`);
  return { ...ipBytes(c.ip), prefixLen: c.prefix };
}

export function formatIp(b: Uint8Array): string {
  return ipBytesString(b);
}
