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
  pairPeers,
  type Role,
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

  test("host-local errors: the leftover IPs of a Go map are a set; everything else exact", () => {
    const e = (msg: string, details?: string) => ({ code: 999, msg, ...(details === undefined ? {} : { details }) });
    const left = (ips: string) => e(`failed to allocate all requested IPs: ${ips}`);
    expect(normalisedError(left("10.0.0.5"))).toBe(true);
    expect(errorMismatch(left("10.0.0.5 10.0.0.6"), left("10.0.0.6 10.0.0.5"))).toBe("");
    // Kept apart: another set, one IP more or less, another single IP, other details, other code.
    expect(errorMismatch(left("10.0.0.5 10.0.0.6"), left("10.0.0.6 10.0.0.7"))).not.toBe("");
    expect(errorMismatch(left("10.0.0.5 10.0.0.6"), left("10.0.0.5"))).not.toBe("");
    expect(errorMismatch(left("10.0.0.5"), left("10.0.0.6"))).not.toBe("");
    expect(errorMismatch(e("a", "x"), e("a", "y"))).not.toBe("");
    expect(errorMismatch(e("a"), { ...e("a"), code: 11 })).not.toBe("");
    // Go json texts are not loosened (11): another type name is a difference.
    const json = (t: string) => e(`json: cannot unmarshal string into Go struct field .ipam of type ${t}`);
    expect(normalisedError(json("int"))).toBe(false);
    expect(errorMismatch(json("int"), json("int"))).toBe("");
    expect(errorMismatch(json("int"), json("uint"))).not.toBe("");
    expect(normalisedError(e("no IP addresses available in range set: 10.0.0.1-10.0.0.2"))).toBe(false);
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

  test("nft: a named counter object keeps its name and table; only its values are zeroed", () => {
    const withCounter = (name: string, packets: number): Json => {
      const d = NFT("10.88.0.2", [3, 4]) as { nftables: Json[] };
      return { nftables: [...d.nftables, { counter: { family: "inet", table: "t", name, handle: 7, packets, bytes: packets * 60 } }] } as Json;
    };
    expect(nft(withCounter("a", 5))).toEqual(nft(withCounter("a", 0)));
    expect(nft(withCounter("a", 5))).not.toEqual(nft(withCounter("b", 5)));
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

  interface Over {
    addr?: string;
    route?: string;
    linkdown?: boolean;
    tentative?: boolean;
    dadfailed?: boolean;
    valid?: number;
    keep?: string;
    table?: string;
    rpFilter?: string;
    scope?: string;
  }
  const SNAP = (over: Over = {}): NetnsSnapshot => ({
    links: [{ ifindex: 2, ifname: "eth0", address: "aa:00:00:00:00:01", linkinfo: { info_kind: "veth" }, link_netnsid: 0 }],
    addrs: [
      {
        ifname: "eth0",
        addr_info: [
          {
            family: "inet6",
            local: over.addr ?? "fd00::2",
            prefixlen: 64,
            scope: over.scope ?? "global",
            ...(over.tentative ? { tentative: true } : {}),
            ...(over.dadfailed ? { dadfailed: true } : {}),
            valid_life_time: over.valid ?? 4294967295,
            preferred_life_time: 4294967295,
          },
        ],
      },
    ],
    routes: [
      { dst: over.route ?? "default", gateway: "fd00::1", dev: "eth0", flags: over.linkdown ? ["linkdown"] : [], ...(over.table ? { table: over.table } : {}) },
    ],
    sysctls: `/proc/sys/net/ipv6/conf/eth0/keep_addr_on_down:${over.keep ?? "1"}\n/proc/sys/net/ipv4/conf/eth0/rp_filter:${over.rpFilter ?? "0"}\n`,
  });
  const snap = (s: NetnsSnapshot, role: Role = "container"): Json => normalizeNetnsSnapshot(s, new BridgeNames(), role);

  test("netns snapshot: linkdown and ifindex are ignored; finite lifetimes within the minute", () => {
    expect(snap(SNAP({ linkdown: true }))).toEqual(snap(SNAP()));
    expect(snap(SNAP({ valid: 3600 }))).toEqual(snap(SNAP({ valid: 3590 })));
  });

  test("netns snapshot: tentative counts on a container's global address, not in the host or on link-local (the kernel's own DAD)", () => {
    expect(snap(SNAP({ tentative: true }))).not.toEqual(snap(SNAP()));
    expect(snap(SNAP({ tentative: true }), "host")).toEqual(snap(SNAP(), "host"));
    expect(snap(SNAP({ tentative: true, addr: "fe80::a800:ff:fe00:1", scope: "link" }))).toEqual(snap(SNAP({ addr: "fe80::a800:ff:fe00:1", scope: "link" })));
  });

  test.each([
    ["a wrong address", SNAP({ addr: "fd00::3" })],
    ["a wrong route", SNAP({ route: "fd01::/64" })],
    ["a route in another table", SNAP({ table: "100" })],
    ["a wrong sysctl", SNAP({ keep: "0" })],
    ["a changed rp_filter", SNAP({ rpFilter: "1" })],
    ["a finite lifetime", SNAP({ valid: 3600 })],
    ["a finite lifetime an hour apart", SNAP({ valid: 7200 })],
    ["a failed DAD", SNAP({ dadfailed: true })],
  ])("netns snapshot: still catches %s (container and host)", (_what, bad) => {
    const good = _what === "a finite lifetime an hour apart" ? SNAP({ valid: 3600 }) : SNAP();
    expect(snap(bad)).not.toEqual(snap(good));
    expect(snap(bad, "host")).not.toEqual(snap(good, "host"));
  });

  test("routes: DAD-made local-table IPv6 routes dropped (host: all, container: link-local); IPv4 and a container's global ones kept", () => {
    const withLocal = (dst: string, type = "local"): NetnsSnapshot => ({ ...SNAP(), routes: [...(SNAP().routes as Json[]), { type, dst, table: "local", dev: "eth0", flags: [] }] });
    expect(snap(withLocal("fd00::2"), "host")).toEqual(snap(SNAP(), "host"));
    expect(snap(withLocal("fd00::", "anycast"), "host")).toEqual(snap(SNAP(), "host"));
    expect(snap(withLocal("10.0.0.2"), "host")).not.toEqual(snap(SNAP(), "host"));
    expect(snap(withLocal("fe80::a800:ff:fe00:1"))).toEqual(snap(SNAP()));
    expect(snap(withLocal("fd00::2"))).not.toEqual(snap(SNAP()));
  });

  test("veth peers are paired by name across namespaces; another pairing differs", () => {
    const host: Json = [
      { ifindex: 5, ifname: "veth00000001", link_index: 2, link_netnsid: 0 },
      { ifindex: 6, ifname: "veth00000002", link_index: 2, link_netnsid: 1 },
      { ifindex: 3, ifname: "cni0.7", link_index: 4 },
      { ifindex: 4, ifname: "cni0" },
    ];
    const ctr = (peer: number): Json => [{ ifindex: 2, ifname: "eth0", link_index: peer, link_netnsid: 0 }];
    const paired = pairPeers([
      { label: "host", links: host },
      { label: "ctr0", links: ctr(5) },
      { label: "ctr1", links: ctr(6) },
    ]);
    expect(paired).toEqual([
      [
        { ifindex: 5, ifname: "veth00000001", link_netnsid: 0, peer: "ctr0/eth0" },
        { ifindex: 6, ifname: "veth00000002", link_netnsid: 1, peer: "ctr1/eth0" },
        { ifindex: 3, ifname: "cni0.7", peer: "host/cni0" },
        { ifindex: 4, ifname: "cni0" },
      ],
      [{ ifindex: 2, ifname: "eth0", link_netnsid: 0, peer: "host/veth00000001" }],
      [{ ifindex: 2, ifname: "eth0", link_netnsid: 0, peer: "host/veth00000002" }],
    ]);
    const swapped = pairPeers([
      { label: "host", links: host },
      { label: "ctr0", links: ctr(6) },
      { label: "ctr1", links: ctr(5) },
    ]);
    const names = new BridgeNames();
    const norm = (links: Json[]): Json => links.map((l) => normalizeNetnsSnapshot({ links: l, addrs: [], routes: [], sysctls: "" }, names));
    expect(norm(swapped)).not.toEqual(norm(paired));
  });

  test("iptables-save: an empty all-ACCEPT table is dropped; a DROP policy, a user chain, a filter rule are kept", () => {
    const table = (name: string, lines: string[]) => [`*${name}`, ...lines, "COMMIT"].join("\n");
    const nat = table("nat", [":PREROUTING ACCEPT [0:0]", ":POSTROUTING ACCEPT [4:240]"]);
    const filter = table("filter", [":FORWARD ACCEPT [0:0]", "-A FORWARD -d 10.88.0.0/16 -j ACCEPT"]);
    expect(ipt(`${nat}\n${filter}`)).toEqual(ipt(filter));
    expect(ipt(nat.replace(":PREROUTING ACCEPT", ":PREROUTING DROP"))).not.toEqual(ipt(""));
    expect(ipt(nat.replace("COMMIT", ":CNI-HOSTPORT-DNAT - [0:0]\nCOMMIT"))).not.toEqual(ipt(""));
    expect(ipt(filter.replace("10.88.0.0/16", "10.88.0.0/24"))).not.toEqual(ipt(filter));
  });
});
