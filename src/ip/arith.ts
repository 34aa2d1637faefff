/**
 * Address arithmetic as the reference's pkg/ip does it: compare, step, mask, test containment,
 * over big integers so IPv4 and IPv6 share one code path. Only meaningful within one family.
 */
import { ipaddr } from "./lib.ts";
import type { Addr } from "./parse.ts";

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
  return ipaddr().fromByteArray(bytes);
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
