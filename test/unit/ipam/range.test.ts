import { describe, expect, test } from "bun:test";
import { parseCIDR, parseIP } from "../../../src/ip/index.ts";
import {
  canonicalizeRange,
  canonicalizeRangeSet,
  type RangeInput,
  rangeContains,
  rangeSetString,
  rangeString,
} from "../../../src/ipam/host-local/range.ts";

const ip = (s: string) => parseIP(s)!;
const input = (subnet: string, extra: Omit<RangeInput, "subnet"> = {}): RangeInput => ({ subnet: parseCIDR(subnet)!, ...extra });
const err = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  return "no error";
};

describe("range canonicalisation", () => {
  test.each([
    ["192.0.2.0/24", "192.0.2.1-192.0.2.254", "192.0.2.1"],
    ["192.0.2.128/25", "192.0.2.129-192.0.2.254", "192.0.2.129"],
    ["10.0.0.0/30", "10.0.0.1-10.0.0.2", "10.0.0.1"],
    ["2001:db8:1::/64", "2001:db8:1::1-2001:db8:1:0:ffff:ffff:ffff:ffff", "2001:db8:1::1"],
    ["2001:db8::/126", "2001:db8::1-2001:db8::3", "2001:db8::1"],
  ])("defaults for %s", (subnet, str, gw) => {
    const r = canonicalizeRange(input(subnet));
    expect(rangeString(r)).toBe(str);
    expect(r.gateway.toString()).toBe(ip(gw).toString());
  });

  test.each([
    ["192.0.2.12/24", "Network has host bits set. For a subnet mask of length 24 the network address is 192.0.2.0"],
    ["2001:DB8:1::24:19ff:fee1:c44a/64", "Network has host bits set. For a subnet mask of length 64 the network address is 2001:db8:1::"],
    ["2001:DB8:24:19ff::/63", "Network has host bits set. For a subnet mask of length 63 the network address is 2001:db8:24:19fe::"],
    ["192.168.127.0/23", "Network has host bits set. For a subnet mask of length 23 the network address is 192.168.126.0"],
    ["192.0.2.0/31", "Network 192.0.2.0/31 too small to allocate from"],
    ["192.0.2.0/32", "Network 192.0.2.0/32 too small to allocate from"],
    ["2001:db8::/127", "Network 2001:db8::/127 too small to allocate from"],
    ["2001:db8::/128", "Network 2001:db8::/128 too small to allocate from"],
    ["::ffff:10.0.0.0/120", "IPNet IP and Mask version mismatch"],
  ])("%s → %s", (subnet, message) => {
    expect(err(() => canonicalizeRange(input(subnet)))).toBe(message);
  });

  test("rangeStart/rangeEnd validation", () => {
    expect(err(() => canonicalizeRange(input("192.0.2.0/24", { rangeStart: ip("192.0.3.0") })))).toBe(
      "RangeStart 192.0.3.0 not in network 192.0.2.0/24",
    );
    expect(err(() => canonicalizeRange(input("192.0.2.0/24", { rangeEnd: ip("192.0.4.0") })))).toBe(
      "RangeEnd 192.0.4.0 not in network 192.0.2.0/24",
    );
    expect(
      err(() => canonicalizeRange(input("192.0.2.0/24", { rangeStart: ip("192.0.2.50"), rangeEnd: ip("192.0.2.40") }))),
    ).toBe("RangeStart 192.0.2.50 not in network 192.0.2.0/24");
    expect(err(() => canonicalizeRange(input("192.0.2.0/24", { rangeStart: ip("2001:db8::1") })))).toBe(
      "RangeStart 2001:db8::1 not in network 192.0.2.0/24",
    );
    const r = canonicalizeRange(input("192.0.2.0/24", { rangeStart: ip("192.0.2.0"), rangeEnd: ip("192.0.2.255") }));
    expect(rangeString(r)).toBe("192.0.2.0-192.0.2.255");
  });

  test("the gateway is not range-checked", () => {
    const r = canonicalizeRange(input("192.0.2.0/24", { gateway: ip("10.9.9.9") }));
    expect(r.gateway.toString()).toBe("10.9.9.9");
  });

  test("a missing subnet reads as a nil IP", () => {
    expect(err(() => canonicalizeRange({}))).toBe("IP <nil> not v4 nor v6");
  });

  test("range sets", () => {
    expect(err(() => canonicalizeRangeSet([]))).toBe("empty range set");
    expect(err(() => canonicalizeRangeSet([input("10.0.0.0/24"), input("2001:db8::/64")]))).toBe("mixed address families");
    expect(err(() => canonicalizeRangeSet([input("10.1.0.0/22"), input("10.1.2.0/24")]))).toBe(
      "subnets 10.1.0.1-10.1.3.254 and 10.1.2.1-10.1.2.254 overlap",
    );
    const set = canonicalizeRangeSet([input("10.1.2.0/24"), input("10.2.2.0/24")]);
    expect(rangeSetString(set)).toBe("10.1.2.1-10.1.2.254,10.2.2.1-10.2.2.254");
  });

  test("contains: family, subnet and start..end", () => {
    const r = canonicalizeRange(input("10.0.0.0/24", { rangeStart: ip("10.0.0.10"), rangeEnd: ip("10.0.0.20") }));
    expect(rangeContains(r, ip("10.0.0.10"))).toBe(true);
    expect(rangeContains(r, ip("10.0.0.20"))).toBe(true);
    expect(rangeContains(r, ip("10.0.0.9"))).toBe(false);
    expect(rangeContains(r, ip("10.0.0.21"))).toBe(false);
    expect(rangeContains(r, ip("::ffff:10.0.0.15"))).toBe(true);
    expect(rangeContains(r, ip("2001:db8::a"))).toBe(false);
  });
});
