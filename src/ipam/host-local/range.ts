/**
 * Ranges and range sets: canonicalisation with the reference's defaults and messages (a node may
 * switch between it and tscni with the same configs), containment, overlap and the `start-end`
 * text used in errors.
 */
import * as plain from "../../plain-array.ts";
import { type Addr, bitLength, cidrText, compareIP, equalIP, fromBigInt, inSubnet, ipString, lastAddress, networkAddress, nextIP, type ParsedCidr, sameFamily, toBigInt } from "../../ip/index.ts";

/** A range as configured, after IP parsing but before defaults. `subnet` undefined = absent. */
export interface RangeInput {
  subnet?: ParsedCidr;
  rangeStart?: Addr;
  rangeEnd?: Addr;
  gateway?: Addr;
}

/** A canonical range: every field filled, the subnet IP is its network address. */
export interface Range {
  subnet: { ip: Addr; prefix: number };
  rangeStart: Addr;
  rangeEnd: Addr;
  gateway: Addr;
}

export type RangeSet = Range[];

export const subnetString = (s: { ip: Addr; prefix: number }): string => cidrText(s.ip, s.prefix);

/** Go's `Range.Contains`: same family, inside the subnet, and within start..end. */
export function rangeContains(r: Range, ip: Addr): boolean {
  if (!sameFamily(ip, r.subnet.ip)) return false;
  if (!inSubnet(ip, r.subnet.ip, r.subnet.prefix)) return false;
  return compareIP(ip, r.rangeStart) >= 0 && compareIP(ip, r.rangeEnd) <= 0;
}

export function rangeOverlaps(a: Range, b: Range): boolean {
  if (!sameFamily(a.rangeStart, b.rangeStart)) return false;
  return (
    rangeContains(a, b.rangeStart) ||
    rangeContains(a, b.rangeEnd) ||
    rangeContains(b, a.rangeStart) ||
    rangeContains(b, a.rangeEnd)
  );
}

export const rangeString = (r: Range): string => `${ipString(r.rangeStart)}-${ipString(r.rangeEnd)}`;
export const rangeSetString = (s: RangeSet): string => plain.map(s, rangeString).join(",");

export function rangeSetContains(s: RangeSet, ip: Addr): boolean {
  return plain.some(s, (r) => rangeContains(r, ip));
}

export function rangeFor(s: RangeSet, ip: Addr): Range | undefined {
  return plain.find(s, (r) => rangeContains(r, ip));
}

export function rangeSetsOverlap(a: RangeSet, b: RangeSet): boolean {
  return plain.some(a, (r) => plain.some(b, (q) => rangeOverlaps(r, q)));
}

export const isIPv4Set = (s: RangeSet): boolean => s[0]?.rangeStart.kind() === "ipv4";

/** Fills defaults and validates one range; throws with the reference's message. */
export function canonicalizeRange(input: RangeInput): Range {
  const sub = input.subnet;
  if (sub === undefined) throw new Error("IP <nil> not v4 nor v6");
  const { ip, prefix, bits } = sub;
  if (prefix > bits - 2) throw new Error(`Network ${ipString(ip)}/${prefix} too small to allocate from`);
  if (bitLength(ip) !== bits) throw new Error("IPNet IP and Mask version mismatch");
  const network = networkAddress(ip, prefix);
  if (!equalIP(ip, network)) {
    throw new Error(
      `Network has host bits set. For a subnet mask of length ${prefix} the network address is ${ipString(network)}`,
    );
  }
  const subnet = { ip: network, prefix };
  const inNet = (a: Addr): boolean => sameFamily(a, network) && inSubnet(a, network, prefix);
  const gateway = input.gateway ?? nextIP(network);
  const end = input.rangeEnd;
  let rangeStart: Addr;
  if (input.rangeStart !== undefined) {
    const s = input.rangeStart;
    // Contains() during canonicalisation: in the subnet and not after an explicit end.
    if (!inNet(s) || (end !== undefined && compareIP(s, end) > 0)) {
      throw new Error(`RangeStart ${ipString(s)} not in network ${subnetString(subnet)}`);
    }
    rangeStart = s;
  } else {
    rangeStart = nextIP(network);
  }
  let rangeEnd: Addr;
  if (end !== undefined) {
    if (!inNet(end) || compareIP(end, rangeStart) < 0) {
      throw new Error(`RangeEnd ${ipString(end)} not in network ${subnetString(subnet)}`);
    }
    rangeEnd = end;
  } else {
    const last = lastAddress(network, prefix);
    // IPv4 stops before the broadcast address; IPv6 uses the very last address (reference quirk).
    rangeEnd = last.kind() === "ipv4" ? fromBigInt(toBigInt(last) - 1n, 32) : last;
  }
  return { subnet, rangeStart, rangeEnd, gateway };
}

/** Canonicalises a whole set: non-empty, one family, no overlapping ranges. */
export function canonicalizeRangeSet(inputs: readonly RangeInput[]): RangeSet {
  if (inputs.length === 0) throw new Error("empty range set");
  const set: RangeSet = [];
  for (const [i, input] of inputs.entries()) {
    const r = canonicalizeRange(input);
    if (i > 0 && !sameFamily(r.rangeStart, set[0]!.rangeStart)) throw new Error("mixed address families");
    set.push(r);
  }
  for (let i = 0; i < set.length - 1; i++) {
    for (let j = i + 1; j < set.length; j++) {
      const a = set[i]!;
      const b = set[j]!;
      if (rangeOverlaps(a, b)) throw new Error(`subnets ${rangeString(a)} and ${rangeString(b)} overlap`);
    }
  }
  return set;
}
