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

/**
 * Negative, zero or positive, like Go's ip.Cmp; only meaningful within one family. Byte by byte
 * (big-endian bytes of one length compare as their numbers do), without a BigInt per address:
 * host-local's range checks and candidate walk compare on every step.
 */
export function compareIP(a: Addr, b: Addr): number {
  const x = a.toByteArray();
  const y = b.toByteArray();
  if (x.length !== y.length) {
    // Across families (a config error being worded): the numbers, as before.
    const m = toBigInt(a);
    const n = toBigInt(b);
    return m < n ? -1 : m > n ? 1 : 0;
  }
  for (let i = 0; i < x.length; i++) {
    const p = x[i] ?? 0;
    const q = y[i] ?? 0;
    if (p !== q) return p < q ? -1 : 1;
  }
  return 0;
}

export function equalIP(a: Addr, b: Addr): boolean {
  return sameFamily(a, b) && compareIP(a, b) === 0;
}

/** The next address, wrapping at the end of the family like pkg/ip NextIP: +1 with carry over the bytes. */
export function nextIP(ip: Addr): Addr {
  const bytes = ip.toByteArray();
  for (let i = bytes.length - 1; i >= 0; i--) {
    const b = bytes[i] ?? 0;
    if (b < 255) {
      bytes[i] = b + 1;
      break;
    }
    bytes[i] = 0;
  }
  return ipaddr().fromByteArray(bytes);
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
