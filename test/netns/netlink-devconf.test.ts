/**
 * src/netlink/devconf.ts against /proc/sys in the runner's throwaway host: what a pod ADD reads
 * and sets over rtnetlink instead of the sysctl files must be the value the file shows, for each
 * value it can take (a wrong DEVCONF / IPV4_DEVCONF number reads or sets another setting and
 * fails here).
 */
import { requireIsolatedHost } from "../harness.ts";
requireIsolatedHost();

import { readFileSync, writeFileSync } from "node:fs";
import { afterAll, describe, expect, test } from "bun:test";
import { DEVCONF_ACCEPT_RA, IPV4_DEVCONF_ARP_NOTIFY, IPV4_DEVCONF_ROUTE_LOCALNET, linkIpv6Conf, Rtnl } from "../../src/netlink/index.ts";

const proc = (path: string): string => readFileSync(`/proc/sys/${path}`, "utf8").trim();
const setProc = (path: string, value: string): void => writeFileSync(`/proc/sys/${path}`, value);

const nl = Rtnl.open();
const name = `dc${process.pid % 10000}`;
nl.vethAdd({ name, peer: { name: `${name}p` } });
const index = nl.linkGet(name).index;
afterAll(() => {
  nl.linkDel(index);
  nl.close();
});

describe("device settings over rtnetlink", () => {
  test("forwarding (netconf, all) is what ip_forward and ipv6 all.forwarding show", () => {
    const saved = [proc("net/ipv4/ip_forward"), proc("net/ipv6/conf/all/forwarding")];
    try {
      for (const v of ["0", "1"]) {
        setProc("net/ipv4/ip_forward", v);
        setProc("net/ipv6/conf/all/forwarding", v === "0" ? "1" : "0");
        expect(nl.forwarding(4)).toBe(Number(v));
        expect(nl.forwarding(6)).toBe(v === "0" ? 1 : 0);
      }
    } finally {
      setProc("net/ipv4/ip_forward", saved[0] ?? "0");
      setProc("net/ipv6/conf/all/forwarding", saved[1] ?? "0");
    }
  });

  test("a link's ipv6 accept_ra is what conf/<dev>/accept_ra shows", () => {
    for (const v of ["0", "1", "2"]) {
      setProc(`net/ipv6/conf/${name}/accept_ra`, v);
      expect(linkIpv6Conf(nl.linkGet(index), DEVCONF_ACCEPT_RA)).toBe(Number(v));
    }
  });

  test("ipv4 arp_notify and route_localnet set over netlink show in /proc/sys, and nothing else moves", () => {
    const conf = `net/ipv4/conf/${name}`;
    const others = ["arp_announce", "arp_ignore", "accept_local", "proxy_arp", "rp_filter", "forwarding"];
    const before = others.map((k) => proc(`${conf}/${k}`));
    expect([proc(`${conf}/arp_notify`), proc(`${conf}/route_localnet`)]).toEqual(["0", "0"]);
    nl.linkSet(index, { ipv4Conf: [[IPV4_DEVCONF_ARP_NOTIFY, 1]] });
    expect([proc(`${conf}/arp_notify`), proc(`${conf}/route_localnet`)]).toEqual(["1", "0"]);
    nl.linkSet(index, { ipv4Conf: [[IPV4_DEVCONF_ROUTE_LOCALNET, 1]] });
    expect([proc(`${conf}/arp_notify`), proc(`${conf}/route_localnet`)]).toEqual(["1", "1"]);
    expect(others.map((k) => proc(`${conf}/${k}`))).toEqual(before);
  });
});
