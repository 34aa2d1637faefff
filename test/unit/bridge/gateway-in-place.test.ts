/**
 * addrInPlace answers "would ensureAddr change nothing and succeed?" without the bridge lock: the
 * gateway step skips the lock only then. It must follow ensureAddr's walk exactly: the wanted
 * address counts only when no address ensureAddr would replace or refuse comes before it. It is
 * given the device's addresses of both families (one dump) and must pass the other family's over.
 */
import { describe, expect, test } from "bun:test";
import type { Addr, Link, Rtnl } from "../../../src/netlink/index.ts";
import { addrInPlace, ensureAddr } from "../../../plugins/bridge/gateway.ts";

/** A bridge holding `cidrs` (in the kernel's order) that records every change asked of it. */
function bridgeWith(cidrs: string[]): { nl: Rtnl; addrs: Addr[]; changes: string[] } {
  const changes: string[] = [];
  const addrs: Addr[] = cidrs.map((cidr) => {
    const [ip = "", len = "0"] = cidr.split("/");
    return { family: ip.includes(":") ? 10 : 2, index: 3, prefixLen: Number(len), flags: 0, scope: 0, ip, cidr, tentative: false, dadFailed: false };
  });
  const nl = {
    addrList: (f: { family?: number }) => addrs.filter((a) => f.family === undefined || a.family === f.family),
    addrAdd: (_: number, c: string) => void changes.push(`add ${c}`),
    addrDel: (_: number, c: string) => void changes.push(`del ${c}`),
    linkSet: () => void changes.push("mac"),
  } as unknown as Rtnl;
  return { nl, addrs, changes };
}

const br = { index: 3, name: "cni0" } as Link;

describe("addrInPlace agrees with ensureAddr", () => {
  const cases: [string, 4 | 6, string, string[], boolean][] = [
    ["only the gateway", 4, "10.1.0.1/16", ["10.1.0.1/16"], true],
    ["nothing yet", 4, "10.1.0.1/16", [], false],
    ["another IPv4 first (ensureAddr refuses or replaces it)", 4, "10.1.0.1/16", ["10.9.0.1/16", "10.1.0.1/16"], false],
    ["another IPv4 after it", 4, "10.1.0.1/16", ["10.1.0.1/16", "10.9.0.1/16"], true],
    ["same address, other prefix", 4, "10.1.0.1/16", ["10.1.0.1/24"], false],
    ["a disjoint IPv6 first", 6, "fd00:1::1/64", ["fd00:9::1/64", "fd00:1::1/64"], true],
    ["an overlapping IPv6 first", 6, "fd00:1::1/64", ["fd00:1::2/64", "fd00:1::1/64"], false],
    ["IPv6 in non-canonical text", 6, "fd00:1:0::1/64", ["fd00:1::1/64"], true],
    // One dump of both families serves both checks: the other family's addresses are passed over.
    ["an IPv6 address before the IPv4 gateway", 4, "10.1.0.1/16", ["fd00:1::2/64", "10.1.0.1/16"], true],
    ["an IPv4 address before the IPv6 gateway", 6, "fd00:1::1/64", ["10.9.0.1/16", "fd00:1::1/64"], true],
    ["only the other family's address", 4, "10.1.0.1/16", ["fd00:1::2/64"], false],
  ];
  for (const [name, family, want, have, inPlace] of cases) {
    test(name, () => {
      expect(addrInPlace(bridgeWith(have).addrs, family, want)).toBe(inPlace);
      // ensureAddr itself (forceAddress on, so it never throws): no change exactly when in place.
      const { nl, changes } = bridgeWith(have);
      ensureAddr(nl, br, family, want, true, "02:00:00:00:00:01");
      expect(changes.length === 0).toBe(inPlace);
    });
  }
});
