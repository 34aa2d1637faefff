/**
 * src/netlink's address and route requests inside a container netns, each checked against
 * `ip -j addr` / `ip -j route`, and bringing lo up there from the host thread.
 */
import { requireIsolatedHost, tempNetns, ipJson, exec, NETNS_TIMEOUT } from "../harness.ts";
requireIsolatedHost();

import { describe, expect, test } from "bun:test";
import { AF_INET, AF_INET6, IFA_F_NODAD, NetlinkError, Rtnl } from "../../src/netlink/index.ts";
import { NetNs } from "../../src/sys/index.ts";

interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number; broadcast?: string }[];
}
interface IpRoute {
  dst: string;
  gateway?: string;
  dev: string;
  metric?: number;
  metrics?: { mtu?: number; advmss?: number }[];
  protocol?: string;
}

/** eth0 (a veth to peer0), both ends up, with 10.22.0.5/24 and fd00:22::5/64 (no DAD). */
function upEth0WithAddresses(nl: Rtnl): { index: number } {
  nl.vethAdd({ name: "eth0", peer: { name: "peer0" } });
  const eth0 = nl.linkGet("eth0");
  nl.linkSetUp(eth0.index);
  nl.linkSetUp(nl.linkGet("peer0").index);
  nl.addrAdd(eth0.index, "10.22.0.5/24");
  nl.addrAdd(eth0.index, "fd00:22::5/64", { flags: IFA_F_NODAD });
  return eth0;
}

describe("addresses and routes inside a container netns", () => {
  test(
    "addr add/list/del v4+v6 agree with ip -j addr",
    async () => {
      await using c = await tempNetns();
      using cns = NetNs.open(c.path);
      using nl = Rtnl.open(cns);
      const eth0 = upEth0WithAddresses(nl);
      expect(() => nl.addrAdd(eth0.index, "10.22.0.5/24")).toThrow("file exists");

      const [shown] = await ipJson<IpAddr[]>(["addr", "show", "eth0"], c);
      const v4 = shown?.addr_info.find((a) => a.family === "inet");
      expect(v4).toMatchObject({ local: "10.22.0.5", prefixlen: 24, broadcast: "10.22.0.255" });

      const ours4 = nl.addrList({ index: eth0.index, family: AF_INET });
      expect(ours4.map((a) => a.cidr)).toEqual(["10.22.0.5/24"]);
      expect(ours4[0]?.broadcast).toBe("10.22.0.255");
      const ours6 = nl.addrList({ index: eth0.index, family: AF_INET6 });
      const theirs6 = shown?.addr_info.filter((a) => a.family === "inet6").map((a) => `${a.local}/${a.prefixlen}`);
      expect(ours6.map((a) => a.cidr).sort()).toEqual((theirs6 ?? []).sort());
      expect(ours6.find((a) => a.cidr === "fd00:22::5/64")?.tentative).toBe(false);

      // Filter by index: the peer's addresses do not leak in.
      expect(nl.addrList({ family: AF_INET }).map((a) => a.index)).toEqual([eth0.index]);

      nl.addrDel(eth0.index, "10.22.0.5/24");
      nl.addrDel(eth0.index, "fd00:22::5/64");
      expect(nl.addrList({ index: eth0.index, family: AF_INET })).toEqual([]);
    },
    NETNS_TIMEOUT,
  );

  test(
    "route add/list/del v4+v6 agree with ip -j route",
    async () => {
      await using c = await tempNetns();
      using cns = NetNs.open(c.path);
      using nl = Rtnl.open(cns);
      expect(nl.routeList({ family: AF_INET })).toEqual([]); // fresh netns: no main table yet
      const eth0 = upEth0WithAddresses(nl);

      nl.routeAdd({ dst: "10.30.0.0/16", gw: "10.22.0.1", oif: eth0.index, priority: 50, mtu: 1300, advmss: 1260 });
      nl.routeAdd({ gw: "10.22.0.1", oif: eth0.index });
      nl.routeAdd({ dst: "fd00:30::/64", gw: "fd00:22::1", oif: eth0.index });
      nl.routeAdd({ dst: "10.40.0.0/16", gw: "10.22.0.1", oif: eth0.index }, "append");
      nl.routeAdd({ dst: "10.40.0.0/16", gw: "10.22.0.2", oif: eth0.index }, "append"); // ECMP: a second nexthop
      expect(() => nl.routeAdd({ gw: "10.22.0.1", oif: eth0.index })).toThrow("file exists");

      const theirs4 = await ipJson<IpRoute[]>(["-4", "route", "show"], c);
      const ours4 = nl.routeList({ family: AF_INET, oif: eth0.index });
      expect(ours4.map((r) => r.dst).sort()).toEqual(
        theirs4.map((r) => (r.dst === "default" ? "0.0.0.0/0" : r.dst.includes("/") ? r.dst : `${r.dst}/32`)).sort(),
      );
      const r30 = ours4.find((r) => r.dst === "10.30.0.0/16");
      expect(r30).toMatchObject({ gw: "10.22.0.1", priority: 50, mtu: 1300, advmss: 1260, oif: eth0.index });
      const t30 = theirs4.find((r) => r.dst === "10.30.0.0/16");
      expect(t30?.metrics?.[0]).toMatchObject({ mtu: 1300, advmss: 1260 });

      const ours6 = nl.routeList({ family: AF_INET6 });
      expect(ours6.find((r) => r.dst === "fd00:30::/64")).toMatchObject({ gw: "fd00:22::1", oif: eth0.index });

      nl.routeDel({ dst: "10.30.0.0/16", gw: "10.22.0.1", oif: eth0.index, priority: 50 });
      nl.routeDel({ dst: "fd00:30::/64", gw: "fd00:22::1", oif: eth0.index });
      let gone: unknown;
      try {
        nl.routeDel({ dst: "10.30.0.0/16" });
      } catch (e) {
        gone = e;
      }
      expect(gone).toBeInstanceOf(NetlinkError);
      expect((gone as NetlinkError).errnoName).toBe("ESRCH");
      expect(nl.routeList({ family: AF_INET }).map((r) => r.dst)).not.toContain("10.30.0.0/16");
      const after = await exec(["nsenter", `--net=${c.path}`, "ip", "-6", "route", "show", "fd00:30::/64"]);
      expect(after.stdout.trim()).toBe("");
    },
    NETNS_TIMEOUT,
  );

  test(
    "loopback: set lo up and read its addresses from the host thread",
    async () => {
      await using c = await tempNetns();
      using cns = NetNs.open(c.path);
      using nl = Rtnl.open(cns);
      const lo = nl.linkGet("lo");
      expect(lo.up).toBe(false);
      nl.linkSetUp(lo.index);
      expect(nl.linkGet("lo").up).toBe(true);
      expect(nl.addrList({ index: lo.index }).map((a) => a.cidr)).toEqual(["127.0.0.1/8", "::1/128"]);
      const [shown] = await ipJson<{ flags: string[] }[]>(["link", "show", "lo"], c);
      expect(shown?.flags).toContain("UP");
      nl.linkSetDown(lo.index);
      expect(nl.linkGet("lo").up).toBe(false);
    },
    NETNS_TIMEOUT,
  );
});
