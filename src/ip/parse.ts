/**
 * IP text with Go's `net` semantics, over ipaddr.js: what `net.ParseIP` and `net.ParseCIDR`
 * accept, how `IP.String()` prints, and IPv4-mapped IPv6 treated as IPv4 (Go's `To4`). The one
 * parser of IP text in tscni: configs, results, firewall rules and netlink requests all accept
 * exactly what the reference's Go code accepts. host-local's file names and messages depend on
 * these exact forms.
 */
import type ipaddrJs from "ipaddr.js";
import { ipaddr } from "./lib.ts";
import { bitLength } from "./arith.ts";
import { scanPrefix, scanV4, scanV6 } from "./scan.ts";

export type Addr = ipaddrJs.IPv4 | ipaddrJs.IPv6;

/** A parsed CIDR: `ip` keeps host bits (as Go's types.ParseCIDR does); `bits` is the mask length of the text's family. */
export interface ParsedCidr {
  ip: Addr;
  prefix: number;
  bits: 32 | 128;
}

const V6_TEXT = /^[0-9a-fA-F:.]+$/;

export type IpFamily = 4 | 6;

/**
 * The family of an address or CIDR as written: only IPv6 text has a colon. For text that has
 * been parsed (or is about to be), where the syntax alone decides.
 */
export function ipFamily(text: string): IpFamily {
  return text.includes(":") ? 6 : 4;
}

/**
 * Go's IPv4 form: four decimal parts 0-255, no leading zeros. The plain scan reads that form
 * itself (ipaddr.js's parse of it builds the same object, after its regexes).
 */
function parseV4(s: string): ipaddrJs.IPv4 | undefined {
  const octets = [0, 0, 0, 0];
  if (scanV4(s, s.length, octets)) return new (ipaddr().IPv4)(octets);
  return ipaddr().IPv4.isValidFourPartDecimal(s) ? ipaddr().IPv4.parse(s) : undefined;
}

function parseV6(s: string): ipaddrJs.IPv6 | undefined {
  const parts = [0, 0, 0, 0, 0, 0, 0, 0];
  if (scanV6(s, s.length, parts)) return new (ipaddr().IPv6)(parts);
  if (!V6_TEXT.test(s)) return undefined;
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
  if (!ipaddr().IPv6.isValid(text)) return undefined;
  return ipaddr().IPv6.parse(text);
}

/**
 * What `net.ParseIP` accepts, in the family it is written in: `::ffff:10.1.2.3` stays IPv6 (the
 * kernel and the firewall tools keep that distinction). Undefined when Go would return nil.
 */
export function parseIPLiteral(s: string): Addr | undefined {
  return ipFamily(s) === 4 ? parseV4(s) : parseV6(s);
}

/** Go's `To4`: an IPv4-mapped IPv6 address is the IPv4 address. */
function to4(ip: Addr): Addr {
  return ip.kind() === "ipv6" && (ip as ipaddrJs.IPv6).isIPv4MappedAddress() ? (ip as ipaddrJs.IPv6).toIPv4Address() : ip;
}

/** `net.ParseIP`, then `To4` when possible. Undefined when Go would return nil. */
export function parseIP(s: string): Addr | undefined {
  const ip = parseIPLiteral(s);
  return ip === undefined ? undefined : to4(ip);
}

/**
 * What `net.ParseCIDR` accepts (the prefix length may carry leading zeros, as Go's dtoi allows),
 * the address in the family it is written in and with its host bits.
 */
export function parseCIDRLiteral(s: string): { ip: Addr; prefix: number } | undefined {
  const slash = s.indexOf("/");
  const prefix = scanPrefix(s, slash);
  if (prefix < 0) return undefined;
  const ip = parseIPLiteral(s.slice(0, slash));
  if (ip === undefined || prefix > bitLength(ip)) return undefined;
  return { ip, prefix };
}

/** `net.ParseCIDR`, with `To4` applied to the address as Go's types.ParseCIDR does. */
export function parseCIDR(s: string): ParsedCidr | undefined {
  const c = parseCIDRLiteral(s);
  return c === undefined ? undefined : { ip: to4(c.ip), prefix: c.prefix, bits: bitLength(c.ip) };
}

/** Go's `IP.String()`: dotted IPv4, RFC 5952 IPv6. */
export function ipString(ip: Addr): string {
  return ip.kind() === "ipv4" ? ip.toString() : (ip as ipaddrJs.IPv6).toRFC5952String();
}

/** An address with its prefix length, `ip/prefix`, as Go's IPNet.String() prints it. */
export function cidrText(ip: Addr, prefix: number): string {
  return `${ipString(ip)}/${prefix}`;
}

/**
 * `ipString` of 4 or 16 address bytes as the kernel gives them, without loading ipaddr.js (its
 * module body is most of a loopback ADD's memory over Bun's own): dotted IPv4; IPv6 in RFC 5952
 * form, ipaddr.js's `toString` exactly (test/unit/ip/bytes-string.test.ts compares them).
 */
export function ipBytesString(b: Uint8Array): string {
  if (b.byteLength === 4) return b.join(".");
  if (b.byteLength !== 16) throw new Error(`an IP address is 4 or 16 bytes, not ${b.byteLength}`);
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  // RFC 5952 4.2: the longest run of two or more zero groups becomes "::", the leftmost on a tie.
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  // Joined by a loop, not map: a loopback ADD would compile JSC's `map` builtin for it alone.
  const hex = (from: number, to: number): string => {
    let s = "";
    for (let i = from; i < to; i++) s += `${i === from ? "" : ":"}${(groups[i] ?? 0).toString(16)}`;
    return s;
  };
  return best < 0 ? hex(0, 8) : `${hex(0, best)}::${hex(best + bestLen, 8)}`;
}
