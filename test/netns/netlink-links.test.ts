/**
 * src/netlink's link requests in the runner's throwaway host and container netns, each checked
 * against `ip -j link`: veth pairs across namespaces, bridges, ports and their attributes, the
 * link-event waits, bridge VLANs and vlan links.
 */
import { requireIsolatedHost, tempNetns, ipJson, NETNS_TIMEOUT } from "../harness.ts";
requireIsolatedHost();

import { describe, expect, test } from "bun:test";
import { type BridgePort, isNetlinkErrno, NetlinkError, Rtnl } from "../../src/netlink/index.ts";
import { Errno, NetNs } from "../../src/sys/index.ts";

interface IpLink {
  ifname: string;
  ifindex: number;
  mtu: number;
  address: string;
  master?: string;
  operstate: string;
  flags: string[];
  linkinfo?: { info_kind?: string; info_slave_data?: Record<string, unknown> };
}

let counter = 0;
const uniq = (p: string): string => `${p}${process.pid % 1000}x${counter++}`;

/** Kernel capabilities some tests need; without one the runner skips them and prints why. */
function probeKernel(): { vlanFiltering: boolean; vlanLinks: boolean } {
  using nl = Rtnl.open();
  const supported = (create: () => void, name: string, why: string): boolean => {
    try {
      create();
      nl.linkDel(nl.linkGet(name).index);
      return true;
    } catch (e) {
      if (!isNetlinkErrno(e, Errno.EOPNOTSUPP)) throw e;
      console.log(`SKIP ${why} (${(e as NetlinkError).message}); golden-byte tests cover the encoding`);
      return false;
    }
  };
  const br = uniq("brprobe");
  const vlanFiltering = supported(() => nl.bridgeAdd({ name: br, vlanFiltering: true }), br, "bridge VLANs: this kernel has no bridge VLAN filtering");
  const parent = uniq("vprobe");
  nl.vethAdd({ name: parent, peer: { name: `${parent}p` } });
  const p = nl.linkGet(parent);
  const vlanLinks = supported(() => nl.vlanAdd({ name: `${parent}.7`, parent: p.index, vlanId: 7 }), `${parent}.7`, "vlan link: this kernel has no 8021q");
  nl.linkDel(p.index);
  return { vlanFiltering, vlanLinks };
}
const kernel = probeKernel();

describe("links", () => {
  test(
    "veth created in the container with its peer directly in the host (one request)",
    async () => {
      await using c = await tempNetns();
      using cns = NetNs.open(c.path);
      using host = NetNs.current();
      using cnl = Rtnl.open(cns);
      using nl = Rtnl.open();
      const hostName = uniq("veth");
      cnl.vethAdd({ name: "eth0", mtu: 1400, mac: "02:00:00:00:00:0a", peer: { name: hostName, mtu: 1400, netnsFd: host.fd } });

      const [eth0] = await ipJson<IpLink[]>(["link", "show", "eth0"], c);
      const [peer] = await ipJson<IpLink[]>(["link", "show", hostName]);
      const ours = cnl.linkGet("eth0");
      expect(ours).toMatchObject({ name: "eth0", index: eth0?.ifindex, mtu: 1400, mac: "02:00:00:00:00:0a", kind: "veth", up: false });
      const hostEnd = nl.linkGet(hostName);
      expect(hostEnd).toMatchObject({ index: peer?.ifindex, mtu: 1400, mac: peer?.address, kind: "veth" });
      expect(ours.link).toBe(hostEnd.index); // the peer's ifindex, in another netns
      expect(ours.linkNetnsId).toBeDefined();
      expect(nl.linkGet(hostEnd.index).name).toBe(hostName);

      nl.linkDel(hostEnd.index);
      expect(cnl.linkFind("eth0")).toBeUndefined();
    },
    NETNS_TIMEOUT,
  );

  test(
    "veth created in the host with its peer in the container by fd",
    async () => {
      await using c = await tempNetns();
      using cns = NetNs.open(c.path);
      using nl = Rtnl.open();
      const name = uniq("veth");
      nl.vethAdd({ name, peer: { name: "eth1", netnsFd: cns.fd } });
      const links = await ipJson<IpLink[]>(["link", "show"], c);
      expect(links.map((l) => l.ifname)).toContain("eth1");
      nl.linkDel(nl.linkGet(name).index);
    },
    NETNS_TIMEOUT,
  );

  test("bridge: create, EEXIST when exclusive, reuse when not, set up/mtu/promisc/mac", async () => {
    using nl = Rtnl.open();
    const br = uniq("br");
    nl.bridgeAdd({ name: br, mtu: 1450 });
    let err: unknown;
    try {
      nl.bridgeAdd({ name: br });
    } catch (e) {
      err = e;
    }
    expect(isNetlinkErrno(err, Errno.EEXIST)).toBe(true);
    expect((err as NetlinkError).message).toBe("file exists");
    nl.bridgeAdd({ name: br }, { exclusive: false });

    const link = nl.linkGet(br);
    expect(link).toMatchObject({ kind: "bridge", mtu: 1450, bridge: { vlanFiltering: false } });
    nl.linkSet(link.index, { up: true, promisc: true, mac: "02:00:00:00:01:01", mtu: 1400 });
    const [shown] = await ipJson<IpLink[]>(["-d", "link", "show", br]);
    expect(shown?.flags).toContain("UP");
    expect(shown?.flags).toContain("PROMISC");
    expect(shown?.address).toBe("02:00:00:00:01:01");
    expect(shown?.mtu).toBe(1400);
    expect(shown?.linkinfo?.info_kind).toBe("bridge");
    const again = nl.linkGet(link.index);
    expect(again.up && again.promiscuity > 0).toBe(true);

    nl.linkSet(link.index, { name: `${br}r` });
    expect(nl.linkGet(link.index).name).toBe(`${br}r`);
    nl.linkDel(link.index);
    expect(nl.linkFind(`${br}r`)).toBeUndefined();
  });

  test("unknown names and indexes read as ENODEV", () => {
    using nl = Rtnl.open();
    expect(nl.linkFind("nope0")).toBeUndefined();
    expect(() => nl.linkGet(99999)).toThrow("no such device");
  });

  test("link list matches ip link", async () => {
    using nl = Rtnl.open();
    const ours = nl.linkList().map((l) => [l.index, l.name]);
    const theirs = (await ipJson<IpLink[]>(["link", "show"])).map((l) => [l.ifindex, l.ifname]);
    expect(ours).toEqual(theirs);
  });

  test(
    "enslave, port attributes and forwarding wait via link events",
    async () => {
      await using c = await tempNetns();
      using cns = NetNs.open(c.path);
      using nl = Rtnl.open();
      using cnl = Rtnl.open(cns);
      const br = uniq("br");
      const veth = uniq("veth");
      nl.bridgeAdd({ name: br });
      const bridge = nl.linkGet(br);
      nl.linkSetUp(bridge.index);
      nl.vethAdd({ name: veth, peer: { name: "eth0", netnsFd: cns.fd } });
      const port = nl.linkGet(veth);

      using watch = nl.watchLinks(); // subscribe before acting
      nl.linkSet(port.index, { master: bridge.index });
      nl.portSet(port.index, { hairpin: true, isolated: true, learning: false });
      nl.linkSetUp(port.index);
      cnl.linkSetUp(cnl.linkGet("eth0").index);

      const up = await nl.waitOperUp(port.index, 5000, watch);
      expect(up.met).toBe(true);
      expect(up.last?.master).toBe(bridge.index);
      const fwd = await nl.waitPortForwarding(port.index, 5000, watch);
      expect(fwd.met).toBe(true);
      expect(fwd.last).toMatchObject({ index: port.index, master: bridge.index, state: "forwarding", hairpin: true, isolated: true, learning: false });

      const [shown] = await ipJson<IpLink[]>(["-d", "link", "show", veth]);
      expect(shown?.master).toBe(br);
      expect(shown?.linkinfo?.info_slave_data).toMatchObject({ hairpin: true, isolated: true, learning: false, state: "forwarding" });
      // portGet reads the port's own link message (IFLA_INFO_SLAVE_DATA), not the AF_BRIDGE dump:
      // both must say the same, for this port and for one with the opposite settings.
      const fromDump = (): BridgePort | undefined => nl.portList().find((p) => p.index === port.index);
      expect(nl.linkGet(port.index).port).toMatchObject({ state: "forwarding", hairpin: true });
      expect(fromDump()).toMatchObject({ index: port.index, hairpin: true });
      expect(nl.portGet(port.index)).toEqual(fromDump());
      nl.portSet(port.index, { hairpin: false, isolated: false, learning: true });
      expect(nl.portGet(port.index)).toMatchObject({ hairpin: false, isolated: false, learning: true });
      expect(fromDump()).toMatchObject({ index: port.index, hairpin: false });
      expect(nl.portGet(port.index)).toEqual(fromDump());
      // Not a port (the bridge itself): portGet falls back to the dump, so comparing the two would
      // compare the dump with itself; the contract is undefined.
      expect(nl.portGet(bridge.index)).toBeUndefined();

      nl.linkSet(port.index, { master: null });
      expect(nl.linkGet(port.index).master).toBeUndefined();
      expect(nl.portGet(port.index)).toBeUndefined();

      // A wait that cannot succeed ends (the test's timeout is the hang bound) with the last state.
      nl.linkSetDown(port.index);
      const never = await nl.waitOperUp(port.index, 300);
      expect(never.met).toBe(false);
      expect(never.last?.operstate).toBe("down");
      nl.linkDel(port.index);
      nl.linkDel(bridge.index);
    },
    NETNS_TIMEOUT,
  );

  test.skipIf(!kernel.vlanFiltering)("bridge VLANs (kernel capability: bridge VLAN filtering)", () => {
    using nl = Rtnl.open();
    const br = uniq("br");
    nl.bridgeAdd({ name: br, vlanFiltering: true });
    const bridge = nl.linkGet(br);
    const veth = uniq("veth");
    nl.vethAdd({ name: veth, peer: { name: `${veth}p` } });
    const port = nl.linkGet(veth);
    nl.linkSet(port.index, { master: bridge.index });
    nl.bridgeVlanAdd(port.index, { vid: 100, pvid: true, untagged: true });
    nl.bridgeVlanAdd(port.index, { vid: 200 });
    expect(nl.portGet(port.index, true)?.vlans).toContainEqual({ vid: 100, pvid: true, untagged: true });
    nl.bridgeVlanDel(port.index, 200);
    expect(nl.portGet(port.index, true)?.vlans.map((v) => v.vid)).not.toContain(200);
    nl.linkDel(port.index);
    nl.linkDel(bridge.index);
  });

  test.skipIf(!kernel.vlanLinks)(
    "vlan link on a parent (the bridge's <br>.<vlan> case; kernel capability: 8021q)",
    async () => {
      using nl = Rtnl.open();
      const parent = uniq("veth");
      nl.vethAdd({ name: parent, peer: { name: `${parent}p` } });
      const p = nl.linkGet(parent);
      nl.vlanAdd({ name: `${parent}.7`, parent: p.index, vlanId: 7 });
      expect(nl.linkGet(`${parent}.7`)).toMatchObject({ kind: "vlan", vlanId: 7, link: p.index });
      nl.linkDel(p.index);
    },
    NETNS_TIMEOUT,
  );
});
