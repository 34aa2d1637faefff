/**
 * The shared container machinery (src/container) used on its own, as a plugin without a bridge
 * would (a ptp-like wiring): veth in place, sysctls, the interface configured from a result,
 * CHECK's validation against it, forwarding, and the rollback that removes it all again.
 */
import { requireIsolatedHost, tempNetns, NETNS_TIMEOUT } from "../harness.ts";
requireIsolatedHost();

import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { Result } from "../../src/cni/index.ts";
import {
  configureIface,
  containerMac,
  createVeth,
  enableForwarding,
  Rollback,
  setContainerSysctls,
  validateExpectedIps,
  validateExpectedRoutes,
} from "../../src/container/index.ts";
import { Rtnl } from "../../src/netlink/index.ts";
import { NetNs, sysctlSet, withNetnsSync } from "../../src/sys/index.ts";

describe("src/container without a bridge", () => {
  test(
    "veth in place, configured from a result, validated, forwarding on, rolled back",
    async () => {
      await using host = await tempNetns({ lo: true });
      await using ctr = await tempNetns();
      using hostNs = NetNs.open(host.path);
      using ctrNs = NetNs.open(ctr.path);
      using hostNl = Rtnl.open(hostNs);
      using ctrNl = Rtnl.open(ctrNs);
      const logged: string[] = [];
      const undo = new Rollback("ptp", (line) => logged.push(line));

      const veth = createVeth(hostNl, ctrNl, ctrNs, { ifname: "eth0", mtu: 1400, mac: containerMac("0A-58-0A-01-00-05") });
      undo.push("delete veth", () => hostNl.linkDel(veth.host.index));
      expect(veth.container).toMatchObject({ name: "eth0", mtu: 1400, mac: "0a:58:0a:01:00:05", kind: "veth" });
      // The host end is created up (IFF_UP in the creating request), master-less here.
      expect(veth.host).toMatchObject({ mtu: 1400, kind: "veth", link: veth.container.index, up: true });
      expect(veth.container.up).toBe(false);

      const result: Result = {
        cniVersion: "1.1.0",
        interfaces: [{ name: veth.host.name }, { name: "eth0", sandbox: ctr.path }],
        ips: [
          { interface: 1, address: "10.1.0.5/24", gateway: "10.1.0.1" },
          { interface: 1, address: "fd00:1::5/64" },
        ],
        routes: [{ dst: "0.0.0.0/0" }, { dst: "192.168.7.0/24", gw: "10.1.0.254" }],
      };
      setContainerSysctls(ctrNl, ctrNs, { name: "eth0", index: veth.container.index }, false);
      await configureIface(ctrNl, ctrNs, "eth0", result);

      const sysctl = async (name: string): Promise<string> => (await ctr.run(["cat", `/proc/sys/${name}`])).stdout.trim();
      expect(await sysctl("net/ipv6/conf/eth0/accept_dad")).toBe("0");
      expect(await sysctl("net/ipv4/conf/eth0/arp_notify")).toBe("1");
      expect(await sysctl("net/ipv6/conf/eth0/keep_addr_on_down")).toBe("1");
      expect(await sysctl("net/ipv6/conf/lo/disable_ipv6")).toBe("0");
      const routes = (await ctr.run(["ip", "-4", "route", "show"])).stdout;
      expect(routes).toContain("default via 10.1.0.1 dev eth0");
      expect(routes).toContain("192.168.7.0/24 via 10.1.0.254 dev eth0");
      expect((await ctr.run(["ip", "-6", "addr", "show", "dev", "eth0"])).stdout).toContain("fd00:1::5/64");

      validateExpectedIps(ctrNl, "eth0", result);
      validateExpectedRoutes(ctrNl, result);
      expect((await ctr.run(["ip", "route", "del", "192.168.7.0/24"])).code).toBe(0);
      expect(() => validateExpectedRoutes(ctrNl, result)).toThrow("Expected Route {Dst:{IP:192.168.7.0 Mask:ffffff00} GW:10.1.0.254");

      sysctlSet("net/ipv4/ip_forward", "0", hostNs);
      const forwarding = withNetnsSync(hostNs, () => {
        enableForwarding(4);
        return readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
      });
      expect(forwarding).toBe("1");

      await undo.run();
      expect(logged).toEqual([]);
      expect(hostNl.linkFind(veth.host.name)).toBeUndefined();
      expect(ctrNl.linkFind("eth0")).toBeUndefined();
    },
    NETNS_TIMEOUT,
  );
});
