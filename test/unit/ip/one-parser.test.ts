/**
 * Every reader of IP text accepts what Go's net.ParseIP / net.ParseCIDR accept, and nothing else:
 * the config schema, the netlink encoder, the firewall validator and the CLI's --default-network.
 * (They once used three parsers; ipaddr.js alone reads "10.1" as 10.0.0.1.)
 */
import { describe, expect, test } from "bun:test";
import * as v from "valibot";
import { networkCidr } from "../../../src/cli/default-conflist.ts";
import { Cidr, IpAddr } from "../../../src/cni/index.ts";
import { parseCidr as firewallCidr, parseIp as firewallIp } from "../../../src/firewall/validate.ts";
import { parseCIDR, parseIP } from "../../../src/ip/index.ts";
import { parseCidr as wireCidr, parseIp as wireIp } from "../../../src/netlink/wire.ts";

const accepts = (f: () => unknown): boolean => {
  try {
    return f() !== undefined;
  } catch {
    return false;
  }
};

const ADDRESSES = ["10.1.2.3", "::1", "2001:db8::1", "::ffff:10.1.2.3", "10.1", "010.1.2.3", "0x0a.1.2.3", "10.1.2.256", "fe80::1%eth0", "12345::1", " 10.1.2.3", ""];
const CIDRS = ["10.1.2.0/24", "10.1.2.3/024", "fd00::/64", "::ffff:10.0.0.0/120", "10.1/16", "10.1.2.0/33", "10.1.2.0", "10.1.2.0/-1", "fd00::/129", "0x0a.0.0.0/8"];

type Reader = (text: string) => unknown;

const READERS: Record<"address" | "CIDR", Record<string, Reader>> = {
  address: {
    go: parseIP,
    schema: (t) => v.parse(IpAddr, t),
    netlink: wireIp,
    firewall: (t) => firewallIp("address", t),
  },
  CIDR: {
    go: parseCIDR,
    schema: (t) => v.parse(Cidr, t),
    netlink: wireCidr,
    firewall: (t) => firewallCidr("cidr", t),
    cli: networkCidr,
  },
};

const CASES = [...ADDRESSES.map((t) => ["address", t] as const), ...CIDRS.map((t) => ["CIDR", t] as const)];

describe("one IP parser", () => {
  test.each(CASES)("%s %p: every reader accepts it exactly when Go's net package does", (kind, text) => {
    const readers = Object.entries(READERS[kind]);
    const go = accepts(() => READERS[kind].go?.(text));
    const got = Object.fromEntries(readers.map(([name, read]) => [name, accepts(() => read(text))]));
    expect(got).toEqual(Object.fromEntries(readers.map(([name]) => [name, go])));
  });

  test("the readers that keep the written family keep ::ffff:a.b.c.d as IPv6; Go's To4 makes it IPv4", () => {
    expect(wireIp("::ffff:10.1.2.3").bytes).toHaveLength(16);
    expect(firewallIp("address", "::ffff:10.1.2.3").family).toBe(6);
    expect(parseIP("::ffff:10.1.2.3")?.kind()).toBe("ipv4");
  });
});
