/**
 * Everything a plan interpolates into iptables-restore or nft text passes through here. The goal
 * is that no input can end a line or a statement early, open a quote it does not close, or reach
 * past the rule it belongs to: such inputs are rejected with a CNI error (code 999), never
 * silently repaired. portmap conditions go further: an allow-list of matches (conditions*.ts).
 */
import { type Addr, cidrText, ipString, networkAddress, parseCIDRLiteral, parseIPLiteral, scanV4, scanV4Cidr } from "../ip/index.ts";
import { CniError, ErrorCode } from "../cni/index.ts";
import type { Family } from "./model.ts";

export const LIMITS = {
  /** iptables' xt_comment keeps at most 255 bytes. */
  iptablesComment: 255,
  /** nft refuses rule comments longer than 128 bytes. */
  nftComment: 128,
  /** iptables-restore reads lines into a fixed buffer; a longer line would be split in two. */
  restoreLine: 4096,
  /** iptables chain names: XT_EXTENSION_MAXNAMELEN - 1. */
  chainName: 28,
  ifName: 15,
} as const;

export function invalid(msg: string): CniError {
  return new CniError(ErrorCode.Internal, msg);
}

// C0 controls, DEL, and the Unicode line/paragraph separators.
const CONTROL = /[\u0000-\u001f\u007f\u2028\u2029]/u;

function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** Text that ends up inside a quoted comment or token: one line, no control characters. */
export function checkText(what: string, value: string): string {
  if (CONTROL.test(value)) throw invalid(`invalid ${what} ${show(value)}: control characters are not allowed`);
  return value;
}

export function checkByteLength(what: string, value: string, max: number): string {
  const n = Buffer.byteLength(value, "utf8");
  if (n > max) throw invalid(`${what} is too long (${n} bytes, at most ${max})`);
  return value;
}

/** Cuts at a byte count without leaving half a UTF-8 sequence behind. */
export function truncateBytes(s: string, max: number): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes (a lone surrogate becomes U+FFFD, 3 bytes), so a
  // text this short fits as it is: no Buffer, whose first use costs a masquerading ADD ~0.3 M
  // instructions (docs/performance.md), for the comments every rule carries.
  if (s.length * 3 <= max) return s;
  const bytes = Buffer.from(s, "utf8");
  if (bytes.length <= max) return s;
  let end = max;
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString("utf8");
}

/**
 * A comment for `-m comment --comment`, cut to the 255 bytes iptables keeps: iptables truncates
 * longer ones itself (the reference's 256-byte portmap comments end up so), and writing what will
 * be stored lets the next read recognise the rule.
 */
export function checkIptablesComment(comment: string): string {
  checkText("comment", comment);
  return truncateBytes(comment, LIMITS.iptablesComment);
}

// nft identifiers (table and chain names) are written unquoted.
const NFT_IDENTIFIER = /^[A-Za-z_.][A-Za-z0-9_./-]*$/;

export function checkNftIdentifier(what: string, name: string): string {
  if (!NFT_IDENTIFIER.test(name) || name.length > 255) throw invalid(`invalid ${what} ${show(name)}`);
  return name;
}

/** A comment for nft rules: no double quote, since nft strings cannot escape it. */
export function checkNftComment(comment: string): string {
  checkText("comment", comment);
  if (comment.includes('"')) throw invalid(`invalid comment ${show(comment)}: double quotes are not allowed`);
  return checkByteLength("comment", comment, LIMITS.nftComment);
}

const CHAIN_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export function checkChainName(name: string): string {
  if (!CHAIN_NAME.test(name) || name.length > LIMITS.chainName) {
    throw invalid(`invalid chain name ${show(name)}`);
  }
  return name;
}

// The kernel's rule for interface names, minus the double quote nft strings cannot carry.
const IFNAME = /^[^\s/:"\\]+$/;

export function checkIfName(name: string): string {
  checkText("interface name", name);
  if (!IFNAME.test(name) || name.length > LIMITS.ifName || name === "." || name === "..") {
    throw invalid(`invalid interface name ${show(name)}`);
  }
  return name;
}

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

export function checkMac(mac: string): string {
  const m = mac.toLowerCase();
  if (!MAC.test(m)) throw invalid(`invalid MAC address ${show(mac)}`);
  return m;
}

export function checkPort(what: string, port: number): number {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw invalid(`invalid ${what} ${port}`);
  return port;
}

/** Protocols whose `--dport` / `dport` match exists in both iptables (multiport) and nft. */
const PROTOCOLS = new Set(["tcp", "udp", "sctp", "dccp"]);

/** iptables lower-cases `-p` itself, so `TCP` works in the reference; nft needs lower case. */
export function checkProtocol(protocol: string): string {
  const p = protocol.toLowerCase();
  if (!PROTOCOLS.has(p)) throw invalid(`unknown protocol ${show(protocol)} specified`);
  return p;
}

export interface Ip {
  readonly family: Family;
  /** Canonical text (RFC 5952 for IPv6), as iptables-save and nft print it. */
  readonly address: string;
  readonly unspecified: boolean;
}

export interface Cidr extends Ip {
  readonly prefix: number;
  /** The network (host bits cleared) with its prefix, e.g. `10.0.0.0/24`. */
  readonly network: string;
}

function toIp(addr: Addr): Ip {
  const address = ipString(addr);
  return addr.kind() === "ipv4" ? { family: 4, address, unspecified: address === "0.0.0.0" } : { family: 6, address, unspecified: address === "::" };
}

/** The network of a plain IPv4 CIDR, as text: host bits cleared, octet by octet. */
function v4Network(octets: readonly number[], prefix: number): string {
  let out = "";
  for (let i = 0; i < 4; i++) {
    const bits = Math.min(8, Math.max(0, prefix - 8 * i));
    out += `${i === 0 ? "" : "."}${(octets[i] ?? 0) & (0xff00 >> bits) & 0xff}`;
  }
  return `${out}/${prefix}`;
}

/** A bare IPv4 (dotted quad only) or IPv6 address, as Go's net.ParseIP accepts it. */
export function parseIp(what: string, text: string): Ip {
  // A plain dotted quad is its own canonical text (the scan takes no leading zero).
  if (scanV4(text, text.length)) return { family: 4, address: text, unspecified: text === "0.0.0.0" };
  const addr = parseIPLiteral(text);
  if (addr === undefined) throw invalid(`invalid ${what} ${show(text)}`);
  return toIp(addr);
}

/** `address/prefix`, keeping the address as given and deriving the network. */
export function parseCidr(what: string, text: string): Cidr {
  const v4 = scanV4Cidr(text);
  if (v4 !== undefined) {
    const address = text.slice(0, text.indexOf("/"));
    return { family: 4, address, unspecified: address === "0.0.0.0", prefix: v4.prefix, network: v4Network(v4.octets, v4.prefix) };
  }
  const slash = text.indexOf("/");
  if (slash >= 0) parseIp(what, text.slice(0, slash)); // a bad address is named alone
  const c = parseCIDRLiteral(text);
  if (c === undefined) throw invalid(`invalid ${what} ${show(text)}`);
  return { ...toIp(c.ip), prefix: c.prefix, network: cidrText(networkAddress(c.ip, c.prefix), c.prefix) };
}
