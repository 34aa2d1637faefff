/**
 * The netlink read path against the tools themselves: rules written by iptables-restore (the
 * reference's layout, hostile comments included) read back over NETLINK_NETFILTER must give
 * exactly the tokens `iptables-save` prints, rule by rule; rules written by `nft -f` must give
 * the statement text, comment and handle `nft -a list` prints.
 */
import { describe, expect, setDefaultTimeout, test } from "bun:test";
import { parseIptablesSave } from "../../src/firewall/iptables.ts";
import { readIptablesOver } from "../../src/firewall/netlink-state.ts";
import { readNftOver } from "../../src/firewall/netlink-nft.ts";
import { parseNftList } from "../../src/firewall/nftables.ts";
import { nftRuleText } from "../../src/firewall/nft-text.ts";
import { isForeign } from "../../src/firewall/nft-decode.ts";
import { NftSession } from "../../src/netlink/nft/session.ts";
import { mustExec, requireIsolatedHost } from "../harness.ts";

requireIsolatedHost();
setDefaultTimeout(60_000);

const ENV = { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" };

const V4 = `*nat
:CNI-aaaaaaaaaaaaaaaaaaaaaaaa - [0:0]
:CNI-HOSTPORT-DNAT - [0:0]
:CNI-HOSTPORT-SETMARK - [0:0]
:CNI-HOSTPORT-MASQ - [0:0]
:CNI-DN-bbbbbbbbbbbbbbbbbbbbb - [0:0]
-A POSTROUTING -s 10.88.0.5/32 -m comment --comment "name: \\"n{#x\\" id: \\"c1 } # \\\\\\"" -j CNI-aaaaaaaaaaaaaaaaaaaaaaaa
-A CNI-aaaaaaaaaaaaaaaaaaaaaaaa -d 10.88.0.0/16 -m comment --comment "name: \\"n\\" id: \\"c1\\"" -j ACCEPT
-A CNI-aaaaaaaaaaaaaaaaaaaaaaaa ! -d 224.0.0.0/4 -m comment --comment "name: \\"n\\" id: \\"c1\\"" -j MASQUERADE
-I POSTROUTING 1 -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ
-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark 0x2000/0x2000
-A CNI-HOSTPORT-MASQ -m mark --mark 0x2000/0x2000 -j MASQUERADE
-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"n\\" id: \\"c1\\"" -m multiport --dports 8080,8081 -j CNI-DN-bbbbbbbbbbbbbbbbbbbbb
-A CNI-HOSTPORT-DNAT -p udp -m comment --comment "dnat name: \\"n\\" id: \\"c1\\"" -m multiport --dports 53 -i eth0 ! -s 1.2.3.0/24 -j CNI-DN-bbbbbbbbbbbbbbbbbbbbb
-A CNI-DN-bbbbbbbbbbbbbbbbbbbbb -s 10.88.0.0/16 -d 1.2.3.4/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
-A CNI-DN-bbbbbbbbbbbbbbbbbbbbb -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK
-A CNI-DN-bbbbbbbbbbbbbbbbbbbbb -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.88.0.5:80
-A CNI-DN-bbbbbbbbbbbbbbbbbbbbb -p udp -m udp --dport 53 -j DNAT --to-destination 10.88.0.5:53
-A CNI-DN-bbbbbbbbbbbbbbbbbbbbb -p sctp -m sctp --dport 99 -j DNAT --to-destination 10.88.0.5:99
COMMIT
`;

const V6 = `*nat
:CNI-aaaaaaaaaaaaaaaaaaaaaaaa - [0:0]
:CNI-DN-bbbbbbbbbbbbbbbbbbbbb - [0:0]
:CNI-HOSTPORT-DNAT - [0:0]
-A POSTROUTING -s fd00::5/128 -m comment --comment "name: \\"n\\" id: \\"c1\\"" -j CNI-aaaaaaaaaaaaaaaaaaaaaaaa
-A CNI-aaaaaaaaaaaaaaaaaaaaaaaa -d fd00::/64 -m comment --comment "name: \\"n\\" id: \\"c1\\"" -j ACCEPT
-A CNI-aaaaaaaaaaaaaaaaaaaaaaaa ! -d ff00::/8 -m comment --comment "name: \\"n\\" id: \\"c1\\"" -j MASQUERADE
-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment "dnat name: \\"n\\" id: \\"c1\\"" -m multiport --dports 8080 -j CNI-DN-bbbbbbbbbbbbbbbbbbbbb
-A CNI-DN-bbbbbbbbbbbbbbbbbbbbb -s fd00::/64 -d 2001:db8::5/128 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-DNAT
-A CNI-DN-bbbbbbbbbbbbbbbbbbbbb -p tcp -m tcp --dport 8080 -j DNAT --to-destination [fd00::5]:80
COMMIT
`;

describe("iptables-nft nat tables read over netlink", () => {
  test.each([
    [4, "iptables", V4],
    [6, "ip6tables", V6],
  ] as const)("IPv%d: the same chains and rule tokens as %s-save", async (family, tool, input) => {
    await mustExec([`${tool}-restore`, "--noflush"], { stdin: input, env: ENV });
    const saved = parseIptablesSave(await mustExec([`${tool}-save`, "-t", "nat"], { env: ENV }));
    using s = NftSession.open();
    const read = readIptablesOver(s, family);
    expect([...read.chains].sort()).toEqual([...saved.chains].sort());
    expect(Object.fromEntries(read.rules)).toEqual(Object.fromEntries(saved.rules));
    expect([...read.handles.values()].flat().every((h) => h > 0n)).toBe(true);
  });
});

const NFT = `
table ip cni_hostport {
  comment "CNI portmap plugin"
  chain hostports { tcp dport 8080 dnat to 10.0.0.2:80 comment "ctr{#1"; ip daddr 192.168.1.5 udp dport 8081 dnat to 10.0.0.2:81 comment "ctr{#1"; }
  chain hostip_hostports { }
  chain hostports_all { jump hostip_hostports; jump hostports; }
  chain prerouting { type nat hook prerouting priority -100; fib daddr type local jump hostports_all; }
  chain output { type nat hook output priority -100; fib daddr type local jump hostports_all; }
  chain masquerading { type nat hook postrouting priority 100; ip saddr 10.0.0.2 ip daddr 10.0.0.2 masquerade comment "ctr{#1"; ip saddr 127.0.0.1 ip daddr 10.0.0.2 masquerade comment "ctr{#1"; }
}
table ip6 cni_hostport {
  chain hostports { tcp dport 8080 dnat to [fd00::2]:80 comment "c2"; }
  chain masquerading { type nat hook postrouting priority 100; ip6 saddr ::/0 ip6 daddr fd00::2 masquerade comment "c2"; }
}
table inet cni_plugins_masquerade {
  chain masq_checks { ip saddr 10.0.0.2 ip daddr != 10.0.0.0/24 masquerade comment "aaaa-bbbb, net: n, if: e{#x } #, id: c"; ip6 saddr fd00::2 ip6 daddr != fd00::/64 masquerade comment "x"; }
  chain postrouting { type nat hook postrouting priority 100; ip daddr 224.0.0.0/4 return; ip6 daddr ff00::/8 return; goto masq_checks; }
}
table bridge nat {
  chain PREROUTING { type filter hook prerouting priority -300; policy accept; iifname "veth1" jump cni-br-iface-c-e0 comment "macspoofchk-c-e0"; }
  chain cni-br-iface-c-e0 { jump cni-br-iface-c-e0-mac comment "macspoofchk-c-e0"; }
  chain cni-br-iface-c-e0-mac { ether saddr 02:00:00:00:00:01 return comment "macspoofchk-c-e0"; drop comment "macspoofchk-c-e0"; }
}
`;

describe("nft tables read over netlink", () => {
  test("statement text, comment, handle and chains equal nft -a list", async () => {
    await mustExec(["nft", "-f", "-"], { stdin: NFT, env: ENV });
    const refs = [
      { family: "ip", table: "cni_hostport" },
      { family: "ip6", table: "cni_hostport" },
      { family: "inet", table: "cni_plugins_masquerade" },
      { family: "bridge", table: "nat" },
    ] as const;
    using s = NftSession.open();
    const read = readNftOver(s, refs);
    for (const ref of refs) {
      const mine = read.get(`${ref.family} ${ref.table}`);
      expect(mine).toBeDefined();
      // Chains, handles and comments from nft's JSON (its text listing is what issue 12 saw break).
      const json = JSON.parse(await mustExec(["nft", "-j", "-a", "list", "table", ref.family, ref.table], { env: ENV })) as {
        nftables: { chain?: { name: string }; rule?: { chain: string; handle: number; comment?: string } }[];
      };
      const chains = json.nftables.flatMap((o) => (o.chain ? [o.chain.name] : []));
      const rules = json.nftables.flatMap((o) => (o.rule ? [o.rule] : []));
      expect([...(mine?.chains ?? [])].sort()).toEqual(chains.sort());
      expect((mine?.rules ?? []).map((r) => [r.chain, r.handle, r.comment])).toEqual(rules.map((r) => [r.chain, r.handle, r.comment]));
      // Statement text: each rule's line of the text listing, found by its handle.
      const text = await mustExec(["nft", "-a", "list", "table", ref.family, ref.table], { env: ENV });
      for (const r of mine?.rules ?? []) {
        const line = text.split("\n").find((l) => l.endsWith(` # handle ${r.handle}`) && !/^\s*(table|chain) /.test(l))?.trim() ?? "";
        const comment = r.comment === undefined ? "" : ` comment ${JSON.stringify(r.comment)}`;
        expect(`${nftRuleText(r.rule, ref.family)}${comment} # handle ${r.handle}`).toBe(line);
      }
    }
    // The text listing (read where netlink is off) finds the same chains, handles, comments and typed rules, braces in comments included.
    for (const ref of refs) {
      const legacy = parseNftList(await mustExec(["nft", "-a", "list", "table", ref.family, ref.table], { env: ENV }));
      const mine = read.get(`${ref.family} ${ref.table}`);
      expect([...legacy.chains].sort()).toEqual([...(mine?.chains ?? [])].sort());
      expect(legacy.rules.map((r) => [r.chain, r.handle, r.comment, r.rule])).toEqual((mine?.rules ?? []).map((r) => [r.chain, r.handle, r.comment, r.rule]));
      expect((mine?.rules ?? []).filter((r) => isForeign(r.rule))).toEqual([]);
    }
  });
});
