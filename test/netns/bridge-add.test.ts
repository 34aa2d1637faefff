/**
 * bridge ADD through its symlink in the runner's throwaway host: the result, addresses, routes,
 * sysctls and port state of a dual-stack gateway network, connectivity between two containers,
 * and the address, route and dns keys (gateways, IPAM routes, a second subnet on one bridge),
 * read back with `ip -j` and /proc/sys.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { requireIsolatedHost, tempNetns } from "../harness.ts";
import { bridgeCall } from "../fixtures/bridge/support.ts";
import { addrs, hostLocal, link, reservations, routes, sysctl } from "./bridge-fixture.ts";
import { add, bridgeNetworks } from "./bridge-networks.ts";
import { probe, serveTag } from "../fixtures/traffic.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const { net, dataDir } = bridgeNetworks("tscni-bridge-add-");

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

describe("addresses, routes and dns", () => {
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
    const second = { ...first, name: "other210", ipam: hostLocal(dataDir, ["10.211.0.0/24", "fd00:211::/64"]) };
    const r = await bridgeCall(second, { command: "ADD", netns: b.path, containerId: "b" });
    expect(r.json).toEqual({
      code: 999,
      msg: `failed to set bridge addr: "${first.bridge}" already has an IP address different from 10.211.0.1/24`,
    });
    // Rolled back: no veth of b, no reservation of b.
    expect(reservations(dataDir, "other210")).toEqual([]);
    await add({ ...second, forceAddress: true }, c, { containerId: "c" });
    expect((await addrs(String(first.bridge))).sort()).toEqual(["10.211.0.1/24", "fd00:210:1::1/64", "fd00:211::1/64"]);
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
    expect(reservations(dataDir, String(conf.name)).length).toBe(1);
  });
});
