/**
 * IP text and arithmetic with Go's `net` semantics, over ipaddr.js: what `net.ParseIP` and
 * `net.ParseCIDR` accept, how `IP.String()` prints, and IPv4-mapped IPv6 treated as IPv4 (Go's
 * `To4`). host-local's file names and messages depend on these exact forms.
 */
import ipaddr from "ipaddr.js";

export type Addr = ipaddr.IPv4 | ipaddr.IPv6;

/** A parsed CIDR: `ip` keeps host bits (as Go's types.ParseCIDR does); `bits` is the mask length of the text's family. */
export interface ParsedCidr {
  ip: Addr;
  prefix: number;
  bits: 32 | 128;
}

const V6_TEXT = /^[0-9a-fA-F:.]+$/;

/** Go's IPv4 form: four decimal parts 0-255, no leading zeros. */
function parseV4(s: string): ipaddr.IPv4 | undefined {
  return ipaddr.IPv4.isValidFourPartDecimal(s) ? ipaddr.IPv4.parse(s) : undefined;
}

function parseV6(s: string): ipaddr.IPv6 | undefined {
  if (!V6_TEXT.test(s) || !s.includes(":")) return undefined;
  let text = s;
  const colon = s.lastIndexOf(":");
  const tail = s.slice(colon + 1);
  if (tail.includes(".")) {
    // ipaddr.js reads any dotted tail as IPv4-mapped; Go keeps the groups as written.
    const v4 = parseV4(tail);
    if (v4 === undefined) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4.octets;
    text = `${s.slice(0, colon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  if (text.split(":").some((g) => g.length > 4)) return undefined;
  if (!ipaddr.IPv6.isValid(text)) return undefined;
  return ipaddr.IPv6.parse(text);
}

/** `net.ParseIP`, then `To4` when possible. Undefined when Go would return nil. */
export function parseIP(s: string): Addr | undefined {
  if (s.includes(".") && !s.includes(":")) return parseV4(s);
  const v6 = parseV6(s);
  if (v6 === undefined) return undefined;
  return v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6;
}

/** `net.ParseCIDR` (the prefix length may carry leading zeros, as Go's dtoi allows). */
export function parseCIDR(s: string): ParsedCidr | undefined {
  const slash = s.indexOf("/");
  if (slash < 0) return undefined;
  const addr = s.slice(0, slash);
  const len = s.slice(slash + 1);
  if (!/^[0-9]{1,5}$/.test(len)) return undefined;
  const prefix = Number(len);
  if (addr.includes(":")) {
    const v6 = parseV6(addr);
    if (v6 === undefined || prefix > 128) return undefined;
    return { ip: v6.isIPv4MappedAddress() ? v6.toIPv4Address() : v6, prefix, bits: 128 };
  }
  const v4 = parseV4(addr);
  if (v4 === undefined || prefix > 32) return undefined;
  return { ip: v4, prefix, bits: 32 };
}

/** Go's `IP.String()`: dotted IPv4, RFC 5952 IPv6. */
export function ipString(ip: Addr): string {
  return ip.kind() === "ipv4" ? ip.toString() : (ip as ipaddr.IPv6).toRFC5952String();
}

export function bitLength(ip: Addr): 32 | 128 {
  return ip.kind() === "ipv4" ? 32 : 128;
}

export function sameFamily(a: Addr, b: Addr): boolean {
  return a.kind() === b.kind();
}

export function toBigInt(ip: Addr): bigint {
  let n = 0n;
  for (const b of ip.toByteArray()) n = (n << 8n) | BigInt(b);
  return n;
}

export function fromBigInt(n: bigint, bits: 32 | 128): Addr {
  const bytes: number[] = [];
  for (let i = bits / 8 - 1; i >= 0; i--) bytes.push(Number((n >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes);
}

/** Negative, zero or positive, like Go's ip.Cmp; only meaningful within one family. */
export function compareIP(a: Addr, b: Addr): number {
  const x = toBigInt(a);
  const y = toBigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

export function equalIP(a: Addr, b: Addr): boolean {
  return sameFamily(a, b) && compareIP(a, b) === 0;
}

/** The next address, wrapping at the end of the family like pkg/ip NextIP. */
export function nextIP(ip: Addr): Addr {
  const bits = bitLength(ip);
  const max = (1n << BigInt(bits)) - 1n;
  const n = toBigInt(ip);
  return fromBigInt(n === max ? 0n : n + 1n, bits);
}

function hostMask(prefix: number, bits: 32 | 128): bigint {
  return (1n << BigInt(bits - prefix)) - 1n;
}

/** The network address of `ip` under a prefix of its own family. */
export function networkAddress(ip: Addr, prefix: number): Addr {
  const bits = bitLength(ip);
  return fromBigInt(toBigInt(ip) & ~hostMask(prefix, bits) & ((1n << BigInt(bits)) - 1n), bits);
}

/** The all-ones host part (broadcast for IPv4, last address for IPv6). */
export function lastAddress(network: Addr, prefix: number): Addr {
  const bits = bitLength(network);
  return fromBigInt(toBigInt(network) | hostMask(prefix, bits), bits);
}

/** Whether `ip` lies in `network/prefix` (same family required). */
export function inSubnet(ip: Addr, network: Addr, prefix: number): boolean {
  if (!sameFamily(ip, network)) return false;
  return ip.match(network, prefix);
}
