/**
 * bridge's link and port options through its symlink in the runner's throwaway host: mtu,
 * hairpinMode, portIsolation, promiscMode, MAC precedence, the default bridge name, L2 (no IPAM),
 * disableContainerInterface and enabledad, read back with `ip -j` and /proc/sys.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost, tempNetns } from "../harness.ts";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { addrs, hostVeths, link, sysctl } from "./bridge-fixture.ts";
import { add, bridgeNetworks } from "./bridge-networks.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const { net } = bridgeNetworks("tscni-bridge-options-");

describe("link and port options", () => {
  test("mtu on a new bridge and both veth ends; hairpinMode and portIsolation on the port (D.43)", async () => {
    await using ns = await tempNetns();
    const conf = net({ mtu: 1400, hairpinMode: true, portIsolation: true });
    const res = await add(conf, ns);
    expect((await link(String(conf.bridge)))?.mtu).toBe(1400);
    const port = await link(res.interfaces[1]?.name ?? "");
    expect(port?.mtu).toBe(1400);
    expect((await link("eth0", ns))?.mtu).toBe(1400);
    expect(port?.linkinfo?.info_slave_data?.hairpin).toBe(true);
    expect(port?.linkinfo?.info_slave_data?.isolated).toBe(true);
  });

  test("promiscMode turns promisc on, also on an existing bridge; MTU of an existing bridge is kept (D.42)", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ mtu: 1400 });
    await add(conf, a, { containerId: "a" });
    expect((await link(String(conf.bridge)))?.promiscuity).toBe(0);
    await add({ ...conf, mtu: 1300, promiscMode: true }, b, { containerId: "b" });
    const br = await link(String(conf.bridge));
    expect(br?.promiscuity).toBe(1);
    expect(br?.mtu).toBe(1300); // the kernel caps a bridge at its smallest port
  });

  test("promiscMode with hairpinMode is refused before anything is created (D.48)", async () => {
    await using ns = await tempNetns();
    const conf = net({ hairpinMode: true, promiscMode: true });
    const r = await bridgeCall(conf, { command: "ADD", netns: ns.path });
    expect(r.json).toEqual({ code: 999, msg: "cannot set hairpin mode and promiscuous mode at the same time" });
    expect(await link(String(conf.bridge))).toBeUndefined();
  });

  test("MAC precedence: runtimeConfig > args.cni > CNI_ARGS; invalid MAC message (D.44)", async () => {
    const cases: [Record<string, unknown>, string, string][] = [
      [{}, "IgnoreUnknown=1;MAC=02:00:00:00:00:01", "02:00:00:00:00:01"],
      [{ args: { cni: { mac: "02:00:00:00:00:02" } } }, "IgnoreUnknown=1;MAC=02:00:00:00:00:01", "02:00:00:00:00:02"],
      [{ args: { cni: { mac: "02:00:00:00:00:02" } }, runtimeConfig: { mac: "02:00:00:00:00:03" } }, "IgnoreUnknown=1;MAC=02:00:00:00:00:01", "02:00:00:00:00:03"],
    ];
    for (const [extra, args, want] of cases) {
      await using ns = await tempNetns();
      const res = await add(net(extra), ns, { args });
      expect(res.interfaces[2]?.mac).toBe(want);
      expect((await link("eth0", ns))?.address).toBe(want);
    }
    await using ns = await tempNetns();
    const before = await hostVeths();
    const r = await bridgeCall(net({ runtimeConfig: { mac: "zz" } }), { command: "ADD", netns: ns.path });
    expect(r.json).toEqual({ code: 999, msg: "failed to make veth pair: address zz: invalid MAC address" });
    expect((await hostVeths()).filter((v) => !before.includes(v))).toEqual([]);
  });

  test("an unknown key (addIf) is ignored; bridge defaults to cni0", async () => {
    await using ns = await tempNetns();
    const conf = { ...net({ addIf: "eth0" }), bridge: undefined };
    const res = await add(conf, ns);
    expect(res.interfaces[0]?.name).toBe("cni0");
  });

  test("L2 (no ipam): three interfaces, no ips, container up, no container sysctls (D.46)", async () => {
    await using ns = await tempNetns();
    const conf = { ...net(), ipam: undefined };
    const res = await add(conf, ns);
    expect(res.interfaces.length).toBe(3);
    expect(res.ips).toBeUndefined();
    expect((await link("eth0", ns))?.flags).toContain("UP");
    expect(await addrs("eth0", ns)).toEqual([]);
    expect(await sysctl("net/ipv4/conf/eth0/arp_notify", ns)).toBe("0");
  });

  test("L2 at 0.2.0: cannot convert, and the veth is rolled back", async () => {
    await using ns = await tempNetns();
    const before = await hostVeths();
    const r = await bridgeCall({ ...net({ cniVersion: "0.2.0" }), ipam: {} }, { command: "ADD", netns: ns.path });
    expect(r.json).toEqual({ code: 999, msg: "cannot convert: no valid IP addresses" });
    expect(await link("eth0", ns)).toBeUndefined();
    expect((await hostVeths()).filter((v) => !before.includes(v))).toEqual([]);
  });

  test("disableContainerInterface: L2 container end stays down; with IPAM refused (D.47)", async () => {
    await using ns = await tempNetns();
    await add({ ...net({ disableContainerInterface: true }), ipam: undefined }, ns);
    expect((await link("eth0", ns))?.flags).not.toContain("UP");
    await using ns2 = await tempNetns();
    const conf = net({ disableContainerInterface: true });
    const r = await bridgeCall(conf, { command: "ADD", netns: ns2.path });
    expect(r.json).toEqual({ code: 999, msg: "cannot use IPAM when DisableContainerInterface flag is set" });
    expect(await link(String(conf.bridge))).toBeUndefined();
  });

  test("enabledad: accept_dad=1 and enhanced_dad=1 in the container (D.53)", async () => {
    await using ns = await tempNetns();
    await add(net({ enabledad: true, isGateway: true }, ["fd00:53::/64"]), ns);
    expect(await sysctl("net/ipv6/conf/eth0/accept_dad", ns)).toBe("1");
    expect(await sysctl("net/ipv6/conf/eth0/enhanced_dad", ns)).toBe("1");
    expect(await addrs("eth0", ns)).toEqual(["fd00:53::2/64"]);
  });
});
