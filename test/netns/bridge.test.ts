/**
 * bridge through its symlink in the runner's throwaway host: kernel state per option (checklist
 * §2.1, §4 D.38-58), read back with `ip -j`, /proc/sys, iptables-save and nft.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost, tempDir, tempNetns, type TempNetns } from "../harness.ts";
import {
  addrs,
  hostLocal,
  hostVeths,
  link,
  natRules,
  nftRuleset,
  reservations,
  routes,
  sysctl,
} from "./bridge-fixture.ts";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { probe, serveTag } from "../fixtures/traffic.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const data = tempDir("tscni-bridge-");
afterAll(() => data[Symbol.dispose]());

let netSeq = 0;
/** A fresh network (own bridge, own subnet) per test, so tests never see each other's state. */
function net(extra: Record<string, unknown> = {}, subnets?: string[]): Record<string, unknown> {
  const n = ++netSeq;
  return {
    cniVersion: "1.1.0",
    name: `net${n}`,
    type: "bridge",
    bridge: `br${n}`,
    ipam: hostLocal(data.path, subnets ?? [`10.${n}.0.0/24`]),
    ...extra,
  };
}

interface Res {
  cniVersion: string;
  interfaces: { name: string; mac?: string; sandbox?: string }[];
  ips?: { address: string; gateway?: string; interface?: number }[];
  routes?: { dst: string; gw?: string }[];
  dns?: Record<string, unknown>;
}

async function add(conf: object, ns: TempNetns, c: { containerId?: string; ifname?: string; args?: string } = {}): Promise<Res> {
  const r = await bridgeCall(conf, { command: "ADD", netns: ns.path, ...c });
  if (r.code !== 0) throw new Error(`ADD failed: ${r.stdout} ${r.stderr}`);
  return r.json as Res;
}

describe("ADD, L3 dual stack with isDefaultGateway (D.38)", () => {
  test("result shape, addresses, routes, sysctls, forwarding", async () => {
    await using ns = await tempNetns();
    const conf = net({ isDefaultGateway: true }, ["10.200.0.0/24", "fd00:200::/64"]);
    const res = await add(conf, ns);
    const br = String(conf.bridge);
    expect(res.interfaces.map((i) => i.name)).toEqual([br, expect.stringMatching(/^veth[0-9a-f]{8}$/), "eth0"]);
    expect(res.interfaces[0]?.mac).toMatch(/^[0-9a-f:]{17}$/);
    expect(res.interfaces[0]?.sandbox).toBeUndefined();
    expect(res.interfaces[2]?.sandbox).toBe(ns.path);
    expect(res.ips).toEqual([
      { address: "10.200.0.2/24", gateway: "10.200.0.1", interface: 2 },
      { address: "fd00:200::2/64", gateway: "fd00:200::1", interface: 2 },
    ]);
    expect(res.routes).toEqual([
      { dst: "0.0.0.0/0", gw: "10.200.0.1" },
      { dst: "::/0", gw: "fd00:200::1" },
    ]);
    expect(await addrs(br)).toEqual(["10.200.0.1/24", "fd00:200::1/64"]);
    expect(await addrs("eth0", ns)).toEqual(["10.200.0.2/24", "fd00:200::2/64"]);
    expect((await routes(4, ns)).find((r) => r.dst === "default")?.gateway).toBe("10.200.0.1");
    expect((await routes(6, ns)).find((r) => r.dst === "default")?.gateway).toBe("fd00:200::1");
    const hostVeth = res.interfaces[1]?.name ?? "";
    expect(await sysctl("net/ipv4/ip_forward")).toBe("1");
    expect(await sysctl("net/ipv6/conf/all/forwarding")).toBe("1");
    expect(await sysctl(`net/ipv6/conf/${br}/accept_ra`)).toBe("0");
    expect(await sysctl(`net/ipv6/conf/${hostVeth}/accept_ra`)).toBe("0");
    expect(await sysctl("net/ipv6/conf/eth0/accept_dad", ns)).toBe("0");
    expect(await sysctl("net/ipv4/conf/eth0/arp_notify", ns)).toBe("1");
    expect(await sysctl("net/ipv6/conf/eth0/keep_addr_on_down", ns)).toBe("1");
    expect(await sysctl("net/ipv6/conf/lo/disable_ipv6", ns)).toBe("0");
    // lo is not ours: it stays down.
    expect((await link("lo", ns))?.flags).not.toContain("UP");
    const port = await link(hostVeth);
    expect(port?.master).toBe(br);
    expect(port?.linkinfo?.info_slave_data?.state).toBe("forwarding");
    expect(port?.linkinfo?.info_slave_data?.hairpin).toBe(false);
    expect(port?.linkinfo?.info_slave_data?.isolated).toBe(false);
  });

  test("every cniVersion: the result converts (0.2.0 keeps one address per family)", async () => {
    for (const v of ["0.2.0", "0.3.1", "0.4.0", "1.0.0"]) {
      await using ns = await tempNetns();
      const r = await bridgeCall(net({ cniVersion: v, isGateway: true }), { command: "ADD", netns: ns.path });
      expect(r.code).toBe(0);
      const out = r.json as Record<string, unknown>;
      expect(out.cniVersion).toBe(v);
      if (v === "0.2.0") expect(out.ip4).toBeDefined();
      else expect((out.interfaces as unknown[]).length).toBe(3);
    }
  });
});

describe("connectivity", () => {
  test("two containers reach each other and the gateway", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ isDefaultGateway: true });
    const ra = await add(conf, a, { containerId: "a" });
    const rb = await add(conf, b, { containerId: "b" });
    const ipA = (ra.ips?.[0]?.address ?? "").split("/")[0] ?? "";
    const gw = ra.ips?.[0]?.gateway ?? "";
    const server = await serveTag(a, "ok", { tcp: 7001, bind: "::" });
    const host = await serveTag(undefined, "ok", { tcp: 7002, bind: "::" });
    try {
      expect(await probe(b, "tcp", ipA, 7001)).toBe("ok");
      expect(await probe(b, "tcp", gw, 7002)).toBe("ok");
      expect(await probe(undefined, "tcp", ipA, 7001)).toBe("ok");
    } finally {
      await server.stop();
      await host.stop();
    }
    expect(rb.ips?.[0]?.address).not.toBe(ra.ips?.[0]?.address);
  });
});

describe("options", () => {
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

  test("isGateway without default: no default route; gw-less IPAM route goes via the gateway (D.39)", async () => {
    await using ns = await tempNetns();
    const conf = net({ isGateway: true });
    const ipam = conf.ipam as Record<string, unknown>;
    ipam.routes = [{ dst: "192.168.50.0/24" }];
    const res = await add(conf, ns);
    expect(res.routes).toEqual([{ dst: "192.168.50.0/24" }]);
    const rs = await routes(4, ns);
    expect(rs.find((r) => r.dst === "default")).toBeUndefined();
    expect(rs.find((r) => r.dst === "192.168.50.0/24")?.gateway).toBe(res.ips?.[0]?.gateway);
  });

  test("isDefaultGateway with an IPAM default route that has a gw: no extra route (D.40)", async () => {
    await using ns = await tempNetns();
    const conf = net({ isDefaultGateway: true });
    const sub = String(((conf.ipam as { ranges: { subnet: string }[][] }).ranges[0]?.[0]?.subnet ?? "")).replace(".0/24", ".9");
    (conf.ipam as Record<string, unknown>).routes = [{ dst: "0.0.0.0/0", gw: sub }];
    const res = await add(conf, ns);
    expect(res.routes).toEqual([{ dst: "0.0.0.0/0", gw: sub }]);
  });

  test("isDefaultGateway with a gw-less IPAM default route: one default route, via the gateway (Appendix B 12 fixed)", async () => {
    await using ns = await tempNetns();
    const conf = net({ isDefaultGateway: true });
    (conf.ipam as Record<string, unknown>).routes = [{ dst: "0.0.0.0/0" }];
    const res = await add(conf, ns);
    expect(res.routes).toEqual([{ dst: "0.0.0.0/0" }]);
    const defaults = (await routes(4, ns)).filter((r) => r.dst === "default");
    expect(defaults.map((r) => r.gateway)).toEqual([res.ips?.[0]?.gateway]);
  });

  test("a second subnet on the same bridge: refused, replaced with forceAddress; IPv6 non-overlapping kept (D.41)", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    await using c = await tempNetns();
    const first = net({ isGateway: true }, ["10.210.0.0/24", "fd00:210:1::/64"]);
    await add(first, a);
    const second = { ...first, name: "other210", ipam: hostLocal(data.path, ["10.211.0.0/24", "fd00:211::/64"]) };
    const r = await bridgeCall(second, { command: "ADD", netns: b.path, containerId: "b" });
    expect(r.json).toEqual({
      code: 999,
      msg: `failed to set bridge addr: "${first.bridge}" already has an IP address different from 10.211.0.1/24`,
    });
    // Rolled back: no veth of b, no reservation of b.
    expect(reservations(data.path, "other210")).toEqual([]);
    await add({ ...second, forceAddress: true }, c, { containerId: "c" });
    expect((await addrs(String(first.bridge))).sort()).toEqual(["10.211.0.1/24", "fd00:210:1::1/64", "fd00:211::1/64"]);
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

  test("dns in the config replaces IPAM's; an empty list still counts (D.54)", async () => {
    await using ns = await tempNetns();
    const res = await add(net({ dns: { nameservers: ["192.0.2.53"], search: ["example"] } }), ns);
    expect(res.dns).toEqual({ nameservers: ["192.0.2.53"], search: ["example"] });
    await using ns2 = await tempNetns();
    const res2 = await add(net({ dns: { nameservers: [] } }), ns2);
    expect(res2.dns).toBeUndefined();
  });

  test("a second ADD with the same ifname: the reference's message, no reservation (D.45)", async () => {
    await using ns = await tempNetns();
    const conf = net();
    await add(conf, ns);
    const r = await bridgeCall(conf, { command: "ADD", netns: ns.path, containerId: "other" });
    expect((r.json as { msg: string }).msg).toMatch(/^container veth name \("eth0"\) peer provided \("veth[0-9a-f]{8}"\) already exists$/);
    expect(reservations(data.path, String(conf.name)).length).toBe(1);
  });
});

describe("ipMasq (D.49, D.50)", () => {
  test("iptables: chain, rules, comment; DEL removes them even after the netns is gone", async () => {
    const ns = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "iptables", name: "mynet" });
    await add(conf, ns, { containerId: "ctr1" });
    const rules = await natRules(4);
    const chain = "CNI-5145007e2a8415ce07579739";
    expect(rules).toContain(`-A POSTROUTING -s ${`10.${netSeq}.0.2`}/32 -m comment --comment "name: \\"mynet\\" id: \\"ctr1\\"" -j ${chain}`);
    expect(rules.filter((r) => r.startsWith(`-A ${chain} `)).length).toBe(2);
    await ns[Symbol.asyncDispose]();
    const r = await bridgeCall(conf, { command: "DEL", netns: ns.path, containerId: "ctr1" });
    expect(r.code).toBe(0);
    expect((await natRules(4)).filter((l) => l.includes(chain))).toEqual([]);
    expect(reservations(data.path, "mynet")).toEqual([]);
  });

  test("nftables: one commented masq_checks rule; re-ADD does not duplicate; DEL removes only it", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "nftables" });
    await add(conf, a, { containerId: "a" });
    await add(conf, b, { containerId: "b" });
    let rs = await nftRuleset();
    expect(rs).toContain("table inet cni_plugins_masquerade");
    expect(rs.match(/masquerade comment/g)?.length).toBe(2);
    const d = await bridgeCall(conf, { command: "DEL", netns: a.path, containerId: "a" });
    expect(d.code).toBe(0);
    rs = await nftRuleset();
    expect(rs.match(/masquerade comment/g)?.length).toBe(1);
    expect(rs).toContain("id: b");
  });

  test("unknown ipMasqBackend fails after IP config and rolls everything back (D.51)", async () => {
    await using ns = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "foo" });
    const before = await hostVeths();
    const r = await bridgeCall(conf, { command: "ADD", netns: ns.path });
    expect(r.json).toEqual({ code: 999, msg: 'unknown ipmasq backend "foo"' });
    expect(reservations(data.path, String(conf.name))).toEqual([]);
    expect(await link("eth0", ns)).toBeUndefined();
    expect((await hostVeths()).filter((v) => !before.includes(v))).toEqual([]);
  });
});

describe("macspoofchk (D.52)", () => {
  test("bridge-family chains and rules; DEL removes them, keeping table and base chain", async () => {
    await using ns = await tempNetns();
    const conf = net({ macspoofchk: true });
    const res = await add(conf, ns, { containerId: "dummy-0" });
    let rs = await nftRuleset();
    expect(rs).toContain("chain cni-br-iface-dummy-0-eth0 {");
    expect(rs).toContain(`iifname "${res.interfaces[1]?.name}" jump cni-br-iface-dummy-0-eth0 comment "macspoofchk-dummy-0-eth0"`);
    expect(rs).toContain(`ether saddr ${res.interfaces[2]?.mac} return comment "macspoofchk-dummy-0-eth0"`);
    const d = await bridgeCall(conf, { command: "DEL", netns: ns.path, containerId: "dummy-0" });
    expect(d.code).toBe(0);
    rs = await nftRuleset();
    expect(rs).not.toContain("cni-br-iface-dummy-0-eth0");
    expect(rs).toContain("table bridge nat");
  });
});

describe("DEL (D.55)", () => {
  test("removes the link, releases the IP; repeat, empty netns and vanished netns all succeed", async () => {
    const ns = await tempNetns();
    const conf = net();
    const res = await add(conf, ns);
    const d = await bridgeCall(conf, { command: "DEL", netns: ns.path });
    expect(d.code).toBe(0);
    expect(d.stdout).toBe("");
    expect(await link("eth0", ns)).toBeUndefined();
    expect(await link(res.interfaces[1]?.name ?? "")).toBeUndefined();
    expect(reservations(data.path, String(conf.name))).toEqual([]);
    expect((await bridgeCall(conf, { command: "DEL", netns: ns.path })).code).toBe(0);
    expect((await bridgeCall(conf, { command: "DEL", netns: "" })).code).toBe(0);
    await ns[Symbol.asyncDispose]();
    expect((await bridgeCall(conf, { command: "DEL", netns: ns.path })).code).toBe(0);
  });

  test("empty CNI_NETNS still releases the IP", async () => {
    await using ns = await tempNetns();
    const conf = net();
    await add(conf, ns);
    expect(reservations(data.path, String(conf.name)).length).toBe(1);
    expect((await bridgeCall(conf, { command: "DEL", netns: "" })).code).toBe(0);
    expect(reservations(data.path, String(conf.name))).toEqual([]);
  });

  test("invalid config and a missing IPAM binary fail DEL", async () => {
    const bad = await bridgeCall(net({ vlan: 9999 }), { command: "DEL" });
    expect(bad.json).toEqual({ code: 999, msg: "invalid VLAN ID 9999 (must be between 0 and 4094)" });
    const missing = await bridgeCall(net({ ipam: { type: "nope" } }), { command: "DEL" });
    expect((missing.json as { msg: string }).msg).toStartWith('failed to find plugin "nope" in path [');
  });
});

describe("CHECK (D.56, D.57)", () => {
  const check = (conf: object, ns: TempNetns, prevResult?: unknown) =>
    bridgeCall(prevResult === undefined ? conf : { ...conf, prevResult }, { command: "CHECK", netns: ns.path });

  test("happy path at 1.1.0 and 0.4.0, dual stack", async () => {
    for (const cniVersion of ["1.1.0", "0.4.0"]) {
      await using ns = await tempNetns();
      const conf = net({ cniVersion, isDefaultGateway: true }, [`10.22${cniVersion === "1.1.0" ? 1 : 2}.0.0/24`, "fd00:221::/64"]);
      const res = await add(conf, ns);
      const r = await check(conf, ns, res);
      expect(r.stdout).toBe("");
      expect(r.code).toBe(0);
    }
  });

  test("L2 CHECK passes (the reference always fails here)", async () => {
    await using ns = await tempNetns();
    const conf = { ...net({ cniVersion: "1.0.0" }), ipam: undefined };
    const res = await add(conf, ns);
    const r = await check(conf, ns, res);
    expect(r.code).toBe(0);
  });

  test("each mismatch gives the reference's message", async () => {
    await using ns = await tempNetns();
    const conf = net({ isDefaultGateway: true });
    const res = await add(conf, ns);
    const msg = async (c: object, prev: unknown): Promise<string> => ((await check(c, ns, prev)).json as { msg: string }).msg;
    const br = String(conf.bridge);
    const clone = (): Res => JSON.parse(JSON.stringify(res)) as Res;

    expect(await msg(conf, undefined)).toBe("Required prevResult missing");
    const wrongMac = clone();
    wrongMac.interfaces[2] = { ...wrongMac.interfaces[2], name: "eth0", mac: "02:00:00:00:00:99" };
    expect(await msg(conf, wrongMac)).toBe(`Interface eth0 Mac 02:00:00:00:00:99 doesn't match container Mac: ${res.interfaces[2]?.mac}`);
    expect(await msg({ ...conf, promiscMode: true }, res)).toBe(`Bridge interface ${br} configured Promisc Mode true doesn't match current state: false `);
    const extraIp = clone();
    extraIp.ips?.push({ address: "10.99.0.5/16", interface: 2 });
    expect(await msg(conf, extraIp)).toBe("Failed to match addr 10.99.0.5/16 on interface eth0");
    const extraRoute = clone();
    extraRoute.routes?.push({ dst: "10.99.0.0/16" });
    expect(await msg(conf, extraRoute)).toBe(
      "Expected Route {Dst:{IP:10.99.0.0 Mask:ffff0000} GW:<nil> MTU:0 AdvMSS:0 Priority:0 Table:<nil> Scope:<nil>} not found in routing table",
    );
    const wrongSandbox = clone();
    wrongSandbox.interfaces[2] = { name: "eth0", sandbox: "/proc/1/ns/net" };
    expect(await msg(conf, wrongSandbox)).toBe(`Sandbox in prevResult  doesn't match configured netns: ${ns.path}`);
    const hostVeth = res.interfaces[1]?.name ?? "";
    const { exec } = await import("../harness.ts");
    await exec(["ip", "link", "set", hostVeth, "nomaster"]);
    expect(await msg(conf, res)).toBe(`CNI veth created for bridge ${br} was not found`);
  });
});

describe("STATUS and GC (D.58)", () => {
  test("STATUS forwards to IPAM", async () => {
    expect((await bridgeCall(net(), { command: "STATUS" })).code).toBe(0);
    expect((await bridgeCall({ ...net(), ipam: undefined }, { command: "STATUS" })).code).toBe(0);
    const r = await bridgeCall(net({ ipam: { type: "nope" } }), { command: "STATUS" });
    expect((r.json as { msg: string }).msg).toStartWith('failed to find plugin "nope" in path [');
  });

  test("GC releases stale IPs and masquerade rules, keeps the valid attachment's", async () => {
    await using a = await tempNetns();
    await using b = await tempNetns();
    const conf = net({ ipMasq: true, ipMasqBackend: "iptables" });
    await add(conf, a, { containerId: "keep" });
    await add(conf, b, { containerId: "stale" });
    expect((await natRules(4)).filter((r) => r.startsWith("-A POSTROUTING")).length).toBeGreaterThanOrEqual(2);
    const gc = await bridgeCall({ ...conf, "cni.dev/valid-attachments": [{ containerID: "keep", ifname: "eth0" }] }, { command: "GC" });
    expect(gc.stdout).toBe("");
    expect(gc.code).toBe(0);
    const post = (await natRules(4)).filter((r) => r.includes(`name: \\"${conf.name}\\"`) && r.startsWith("-A POSTROUTING"));
    expect(post.length).toBe(1);
    expect(post[0]).toContain('id: \\"keep\\"');
    expect(reservations(data.path, String(conf.name)).length).toBe(1);
  });
});
