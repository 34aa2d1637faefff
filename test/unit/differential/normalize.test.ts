import { describe, expect, test } from "bun:test";
import {
  type Json,
  type NetnsSnapshot,
  normalizeIptablesSave,
  normalizeNetnsSnapshot,
  normalizeNftRuleset,
  normalizeOutput,
  normalizeAbout,
  errorMismatch,
  normalisedError,
} from "../../differential/normalize.ts";
import { BridgeNames } from "../../differential/scenario-names.ts";

const good = {
  cniVersion: "1.0.0",
  interfaces: [{ name: "eth0", mac: "0a:58:0a:01:00:02", sandbox: "/proc/1/ns/net" }, { name: "veth1a2b3c4d", mac: "aa:bb:cc:dd:ee:ff" }],
  ips: [{ address: "10.1.0.2/24", gateway: "10.1.0.1", interface: 0 }],
  routes: [{ dst: "0.0.0.0/0", gw: "10.1.0.1" }],
};
const norm = (o: unknown) => normalizeOutput(JSON.stringify(o, null, 4), new BridgeNames());

describe("differential normaliser", () => {
  test("applies only the listed transforms: random MACs and veth names, the about text's version", () => {
    expect(norm(good)).toEqual(
      norm({ ...good, interfaces: [{ ...good.interfaces[0], mac: "02:00:00:00:00:01" }, { name: "veth99999999", mac: "aa:aa:aa:aa:aa:aa" }] }),
    );
    const about = (v: string) => `CNI loopback plugin ${v}\nCNI protocol versions supported: 0.1.0, 1.1.0\n`;
    expect(normalizeAbout(about("v1.9.1"))).toBe(normalizeAbout(about("tscni v0.1.0 (commit abc)")));
    expect(normalizeAbout(about("v1.9.1"))).not.toBe(normalizeAbout(about("v1.9.1").replace("1.1.0", "1.0.0")));
  });

  test.each([
    ["a wrong gateway", { ...good, ips: [{ ...good.ips[0], gateway: "10.1.0.254" }] }],
    ["a wrong address", { ...good, ips: [{ ...good.ips[0], address: "10.1.0.3/24" }] }],
    ["a wrong prefix", { ...good, ips: [{ ...good.ips[0], address: "10.1.0.2/16" }] }],
    ["a missing route", { ...good, routes: [] }],
    ["a wrong interface index", { ...good, ips: [{ ...good.ips[0], interface: 1 }] }],
    ["a different sandbox", { ...good, interfaces: [{ ...good.interfaces[0], sandbox: "/proc/2/ns/net" }, good.interfaces[1]] }],
    ["an empty dns", { ...good, dns: {} }],
    ["another key order", { ips: good.ips, cniVersion: good.cniVersion, interfaces: good.interfaces, routes: good.routes }],
    ["another version label", { ...good, cniVersion: "1.1.0" }],
  ])("still catches %s", (_what, bad) => {
    expect(norm(bad)).not.toEqual(norm(good));
  });

  test("still catches a wrong chain name in an error message", () => {
    expect(norm({ code: 999, msg: "chain CNI-DN-aaaa not found" })).not.toEqual(norm({ code: 999, msg: "chain CNI-DN-bbbb not found" }));
  });

  test("host-local errors: only Go json texts and the leftover list of a Go map are loosened", () => {
    const e = (msg: string) => ({ code: 999, msg });
    expect(normalisedError(e("json: cannot unmarshal string into Go value of type int"))).toBe(true);
    expect(errorMismatch(e("failed to allocate all requested IPs: 10.0.0.5 10.0.0.6"), e("failed to allocate all requested IPs: 10.0.0.6 10.0.0.5"))).toBe("");
    expect(errorMismatch(e("failed to allocate all requested IPs: 10.0.0.5 10.0.0.6"), e("failed to allocate all requested IPs: 10.0.0.6 10.0.0.7"))).toBe("");
    expect(normalisedError(e("no IP addresses available in range set: 10.0.0.1-10.0.0.2"))).toBe(false);
    expect(errorMismatch(e("a"), { ...e("a"), code: 11 })).not.toBe("");
  });
});

// ---------------------------------------------------------------------------------------------
// Bridge transforms (normalize.ts 2–9): what they hide, and that a wrong gateway, address,
// route, chain or rule still shows.

describe("bridge normaliser", () => {
  const result = (brMac: string, veth: string, vethMac: string, gw = "10.88.0.1") =>
    JSON.stringify({
      cniVersion: "1.0.0",
      interfaces: [{ name: "cni0", mac: brMac }, { name: veth, mac: vethMac }, { name: "eth0", mac: "02:00:00:00:00:01", sandbox: "/proc/77/ns/net" }],
      ips: [{ address: "10.88.0.2/16", gateway: gw, interface: 2 }],
    });
  const run = (stdout: string, kernelBridgeMac: string): unknown[] => {
    const names = new BridgeNames();
    names.path("/proc/77/ns/net", "@NETNS0@");
    names.keepMac("02:00:00:00:00:01");
    return [normalizeOutput(stdout, names), names.text(`cni0 ${kernelBridgeMac}`)];
  };

  test("random names and MACs are numbered consistently", () => {
    expect(run(result("aa:00:00:00:00:01", "veth0a0b0c0d", "aa:00:00:00:00:02"), "aa:00:00:00:00:01")).toEqual(
      run(result("be:00:00:00:00:07", "veth99999999", "be:00:00:00:00:08"), "be:00:00:00:00:07"),
    );
  });

  test("still catches a result whose bridge MAC is not the kernel's", () => {
    expect(run(result("aa:00:00:00:00:02", "veth0a0b0c0d", "aa:00:00:00:00:02"), "aa:00:00:00:00:01")).not.toEqual(
      run(result("be:00:00:00:00:07", "veth99999999", "be:00:00:00:00:08"), "be:00:00:00:00:07"),
    );
  });

  test("still catches a wrong gateway and a chosen MAC that was ignored", () => {
    const ok = run(result("aa:00:00:00:00:01", "veth0a0b0c0d", "aa:00:00:00:00:02"), "aa:00:00:00:00:01");
    expect(run(result("aa:00:00:00:00:01", "veth0a0b0c0d", "aa:00:00:00:00:02", "10.88.0.254"), "aa:00:00:00:00:01")).not.toEqual(ok);
    const ignored = result("aa:00:00:00:00:01", "veth0a0b0c0d", "aa:00:00:00:00:02").replace("02:00:00:00:00:01", "aa:00:00:00:00:09");
    expect(run(ignored, "aa:00:00:00:00:01")).not.toEqual(ok);
  });

  test("link-local addresses follow their MAC (EUI-64)", () => {
    const names = new BridgeNames();
    expect(names.mac("a6:bb:cc:89:08:a4")).toBe("MAC1");
    expect(names.linkLocal("fe80::a4bb:ccff:fe89:8a4")).toBe("fe80::eui64(MAC1)");
    expect(names.linkLocal("fe80::1234:5678:9abc:def0")).toBe("fe80::LL");
  });

  const SAVE = (chain: string, net: string, order: "ab" | "ba" = "ab") => {
    const rules = [
      `-A ${chain} -d ${net} -m comment --comment "name: \\"n\\" id: \\"c\\"" -j ACCEPT`,
      `-A ${chain} ! -d 224.0.0.0/4 -m comment --comment "name: \\"n\\" id: \\"c\\"" -j MASQUERADE`,
    ];
    const decls = [":POSTROUTING ACCEPT [3:180]", `:${chain} - [0:0]`];
    return [
      "# Generated by iptables-save v1.8.9 (nf_tables) on Fri Nov 27 21:34:26 2026",
      "*nat",
      ...(order === "ab" ? decls : [...decls].reverse()),
      `-A POSTROUTING -s 10.88.0.2/32 -j ${chain}`,
      ...(order === "ab" ? rules : [...rules].reverse()),
      "COMMIT",
      "# Completed on Fri Nov 27 21:34:27 2026",
    ].join("\n");
  };
  const ipt = (t: string): string[] => normalizeIptablesSave(t, new BridgeNames());

  test("iptables-save: timestamps, counters and chain declaration order are ignored", () => {
    const other = SAVE("CNI-aaaa", "10.88.0.0/16").replace("[3:180]", "[0:0]").replace("21:34:26", "22:00:00");
    expect(ipt(other)).toEqual(ipt(SAVE("CNI-aaaa", "10.88.0.0/16")));
  });

  test.each([
    ["a wrong chain", SAVE("CNI-bbbb", "10.88.0.0/16")],
    ["a wrong subnet", SAVE("CNI-aaaa", "10.88.0.0/24")],
    ["rules in another order", SAVE("CNI-aaaa", "10.88.0.0/16", "ba")],
  ])("iptables-save: still catches %s", (_what, bad) => {
    expect(ipt(bad)).not.toEqual(ipt(SAVE("CNI-aaaa", "10.88.0.0/16")));
  });

  const NFT = (saddr: string, handles: number[], swap = false) => {
    const rule = (h: number, expr: Json) => ({ rule: { family: "inet", table: "t", chain: "masq_checks", handle: h, expr } });
    const r1 = rule(handles[0] ?? 0, [{ match: { op: "==", left: "saddr", right: saddr } }, { counter: { packets: 5, bytes: 300 } }, { masquerade: null }]);
    const r2 = rule(handles[1] ?? 0, [{ return: null }]);
    return {
      nftables: [
        { metainfo: { version: "1.0.6" } },
        { chain: { family: "inet", table: "t", name: "masq_checks", handle: 2 } },
        { table: { family: "inet", name: "t", handle: 1 } },
        ...(swap ? [r2, r1] : [r1, r2]),
      ],
    } as Json;
  };
  const nft = (d: Json): Json => normalizeNftRuleset(d, new BridgeNames());

  test("nft: handles, counters and object listing order are ignored", () => {
    expect(nft(NFT("10.88.0.2", [7, 9]))).toEqual(nft(NFT("10.88.0.2", [3, 4])));
  });

  test("nft: only an empty nat table is dropped", () => {
    const withNat = (chain: boolean): Json => {
      const d = NFT("10.88.0.2", [3, 4]) as { nftables: Json[] };
      const nat = [{ table: { family: "ip6", name: "nat", handle: 9 } }, ...(chain ? [{ chain: { family: "ip6", table: "nat", name: "POSTROUTING", handle: 1 } }] : [])];
      return { nftables: [...d.nftables, ...nat] } as Json;
    };
    expect(nft(withNat(false))).toEqual(nft(NFT("10.88.0.2", [3, 4])));
    expect(nft(withNat(true))).not.toEqual(nft(NFT("10.88.0.2", [3, 4])));
  });

  test.each([
    ["a wrong address", NFT("10.88.0.3", [3, 4])],
    ["rules in another order", NFT("10.88.0.2", [3, 4], true)],
  ])("nft: still catches %s", (_what, bad) => {
    expect(nft(bad)).not.toEqual(nft(NFT("10.88.0.2", [3, 4])));
  });

  const SNAP = (over: { addr?: string; route?: string; linkdown?: boolean; tentative?: boolean; keep?: string } = {}): NetnsSnapshot => ({
    links: [{ ifindex: 2, ifname: "eth0", address: "aa:00:00:00:00:01", linkinfo: { info_kind: "veth" }, link_netnsid: 0 }],
    addrs: [
      {
        ifname: "eth0",
        addr_info: [
          { family: "inet6", local: over.addr ?? "fd00::2", prefixlen: 64, scope: "global", ...(over.tentative ? { tentative: true } : {}), valid_life_time: 4294967295 },
        ],
      },
    ],
    routes: [{ dst: over.route ?? "default", gateway: "fd00::1", dev: "eth0", flags: over.linkdown ? ["linkdown"] : [] }],
    sysctls: `/proc/sys/net/ipv6/conf/eth0/keep_addr_on_down:${over.keep ?? "1"}\n`,
  });
  const snap = (s: NetnsSnapshot): Json => normalizeNetnsSnapshot(s, new BridgeNames());

  test("netns snapshot: linkdown, tentative and ifindex are ignored", () => {
    expect(snap(SNAP({ linkdown: true, tentative: true }))).toEqual(snap(SNAP()));
  });

  test.each([
    ["a wrong address", SNAP({ addr: "fd00::3" })],
    ["a wrong route", SNAP({ route: "fd01::/64" })],
    ["a wrong sysctl", SNAP({ keep: "0" })],
  ])("netns snapshot: still catches %s", (_what, bad) => {
    expect(snap(bad)).not.toEqual(snap(SNAP()));
  });
});
