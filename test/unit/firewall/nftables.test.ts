import { describe, expect, test } from "bun:test";
import { type PortmapRequest } from "../../../src/firewall/index.ts";
import { type NftState, type NftTableState } from "../../../src/firewall/model.ts";
import { parseNftList, renderNft, tablesToRead } from "../../../src/firewall/nftables.ts";
import { masqNftAdd, masqNftDel, portmapNftAdd, portmapNftDel, spoofCheckAdd, spoofCheckDel } from "../../../src/firewall/nftables-plans.ts";

const NONE: NftState = new Map();

function state(entries: Record<string, NftTableState>): NftState {
  return new Map(Object.entries(entries));
}

function req(over: Partial<PortmapRequest> = {}): PortmapRequest {
  return {
    network: "test",
    containerId: "ctr1",
    containerIp: "10.0.0.2/24",
    mappings: [
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 8081, containerPort: 81, protocol: "udp", hostIP: "192.168.1.5" },
      { hostPort: 8082, containerPort: 82, protocol: "tcp", hostIP: "2001:db8::5" },
    ],
    snat: true,
    masqAll: false,
    markMasqBit: 13,
    ...over,
  };
}

const PORTMAP_HEAD = (f: string, cond = "") => [
  `add table ${f} cni_hostport { comment "CNI portmap plugin" ; }`,
  `add chain ${f} cni_hostport hostports`,
  `add chain ${f} cni_hostport hostip_hostports`,
  `add chain ${f} cni_hostport hostports_all`,
  `add rule ${f} cni_hostport hostports_all jump hostip_hostports`,
  `add rule ${f} cni_hostport hostports_all jump hostports`,
  `add chain ${f} cni_hostport prerouting { type nat hook prerouting priority -100 ; }`,
  `add rule ${f} cni_hostport prerouting ${cond}fib daddr type local jump hostports_all`,
  `add chain ${f} cni_hostport output { type nat hook output priority -100 ; }`,
  `add rule ${f} cni_hostport output ${cond}fib daddr type local jump hostports_all`,
];

const text = (...l: string[]) => `${l.join("\n")}\n`;

describe("portmap nftables rendering", () => {
  test("v4 with snat: fib-guarded entry chains, one DNAT rule per same-family mapping, hairpin + localhost masquerade", () => {
    expect(renderNft(portmapNftAdd(req()), NONE)).toBe(
      text(
        ...PORTMAP_HEAD("ip"),
        "add chain ip cni_hostport masquerading { type nat hook postrouting priority 100 ; }",
        'add rule ip cni_hostport hostports tcp dport 8080 dnat to 10.0.0.2:80 comment "ctr1"',
        'add rule ip cni_hostport hostports ip daddr 192.168.1.5 udp dport 8081 dnat to 10.0.0.2:81 comment "ctr1"',
        'add rule ip cni_hostport masquerading ip saddr 10.0.0.2 ip daddr 10.0.0.2 masquerade comment "ctr1"',
        'add rule ip cni_hostport masquerading ip saddr 127.0.0.1 ip daddr 10.0.0.2 masquerade comment "ctr1"',
      ),
    );
  });

  test("v6 with conditions: conditions before fib, no localhost rule", () => {
    const plan = portmapNftAdd(req({ containerIp: "2001:db8:1::2/64", conditions: ["iifname", '"eth0"'] }));
    expect(renderNft(plan, NONE)).toBe(
      text(
        ...PORTMAP_HEAD("ip6", 'iifname "eth0" '),
        "add chain ip6 cni_hostport masquerading { type nat hook postrouting priority 100 ; }",
        'add rule ip6 cni_hostport hostports tcp dport 8080 dnat to [2001:db8:1::2]:80 comment "ctr1"',
        'add rule ip6 cni_hostport hostports ip6 daddr 2001:db8::5 tcp dport 8082 dnat to [2001:db8:1::2]:82 comment "ctr1"',
        'add rule ip6 cni_hostport masquerading ip6 saddr 2001:db8:1::2 ip6 daddr 2001:db8:1::2 masquerade comment "ctr1"',
      ),
    );
  });

  test("snat false: no masquerading chain or rules", () => {
    const out = renderNft(portmapNftAdd(req({ snat: false })), NONE);
    expect(out).not.toContain("masquerad");
  });

  // What masqAll does to the nft layout (nothing, as in v1.9.1) is compared live with the
  // reference in test/netns/firewall-nft-reference.test.ts.

  // `nft -a list table ip cni_hostport` after the plan above was applied.
  const listed = parseNftList(`table ip cni_hostport { # handle 1
	comment "CNI portmap plugin"
	chain hostports { # handle 1
		tcp dport 8080 dnat to 10.0.0.2:80 comment "ctr1" # handle 11
		ip daddr 192.168.1.5 udp dport 8081 dnat to 10.0.0.2:81 comment "ctr1" # handle 12
		tcp dport 9000 dnat to 10.0.0.9:80 comment "ctr9" # handle 13
	}

	chain hostip_hostports { # handle 2
	}

	chain masquerading { # handle 10
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr 10.0.0.2 ip daddr 10.0.0.2 masquerade comment "ctr1" # handle 15
		ip saddr 127.0.0.1 ip daddr 10.0.0.2 masquerade comment "ctr#1 x" # handle 17
	}
}
`);

  test("the listing parser finds chains, handles and comments", () => {
    expect([...listed.chains]).toEqual(["hostports", "hostip_hostports", "masquerading"]);
    expect(listed.rules.map((r) => [r.chain, r.handle, r.comment])).toEqual([
      ["hostports", 11, "ctr1"],
      ["hostports", 12, "ctr1"],
      ["hostports", 13, "ctr9"],
      ["masquerading", 15, "ctr1"],
      ["masquerading", 17, "ctr#1 x"],
    ]);
  });

  test("repeated ADD adds only what is missing", () => {
    const out = renderNft(portmapNftAdd(req()), state({ "ip cni_hostport": listed }));
    expect(out).toBe(
      text(
        ...PORTMAP_HEAD("ip"),
        "add chain ip cni_hostport masquerading { type nat hook postrouting priority 100 ; }",
        'add rule ip cni_hostport masquerading ip saddr 127.0.0.1 ip daddr 10.0.0.2 masquerade comment "ctr1"',
      ),
    );
  });

  test("DEL deletes this container's rules by handle in both families; other containers stay", () => {
    const plan = portmapNftDel({ containerId: "ctr1" });
    expect(tablesToRead(plan)).toEqual([
      { family: "ip", table: "cni_hostport" },
      { family: "ip6", table: "cni_hostport" },
    ]);
    expect(renderNft(plan, state({ "ip cni_hostport": listed }))).toBe(
      text(
        "delete rule ip cni_hostport hostports handle 11",
        "delete rule ip cni_hostport hostports handle 12",
        "delete rule ip cni_hostport masquerading handle 15",
      ),
    );
    expect(renderNft(plan, NONE)).toBe("");
  });
});

describe("bridge ipMasq nftables", () => {
  const add = masqNftAdd({ network: "gw", containerId: "c1", ifname: "eth0", addresses: ["10.22.0.2/24", "2001:db8:5::2/64"] });
  const C = '"f59af5949ab80a7e-f4d01f2ef4b92245, net: gw, if: eth0, id: c1"';
  const HEAD = [
    'add table inet cni_plugins_masquerade { comment "Masquerading for plugins from github.com/containernetworking/plugins" ; }',
    'add chain inet cni_plugins_masquerade masq_checks { comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet" ; }',
    "add chain inet cni_plugins_masquerade postrouting { type nat hook postrouting priority 100 ; }",
    "add rule inet cni_plugins_masquerade postrouting ip daddr 224.0.0.0/4 return",
    "add rule inet cni_plugins_masquerade postrouting ip6 daddr ff00::/8 return",
    "add rule inet cni_plugins_masquerade postrouting goto masq_checks",
  ];
  const TAIL = [
    `add rule inet cni_plugins_masquerade masq_checks ip saddr 10.22.0.2 ip daddr != 10.22.0.0/24 masquerade comment ${C}`,
    `add rule inet cni_plugins_masquerade masq_checks ip6 saddr 2001:db8:5::2 ip6 daddr != 2001:db8:5::/64 masquerade comment ${C}`,
  ];

  test("fresh node", () => {
    expect(renderNft(add, NONE)).toBe(text(...HEAD, ...TAIL));
  });

  const listed = parseNftList(`table inet cni_plugins_masquerade { # handle 3
	comment "Masquerading for plugins from github.com/containernetworking/plugins"
	chain masq_checks { # handle 1
		comment "Masquerade traffic from certain IPs to any (non-multicast) IP outside their subnet"
		ip saddr 10.22.0.2 ip daddr != 10.22.0.0/24 masquerade comment ${C} # handle 6
		ip saddr 10.22.0.9 ip daddr != 10.22.0.0/24 masquerade comment "f59af5949ab80a7e-0000000000000000, net: gw, if: eth0, id: c9" # handle 8
	}
}`);

  test("re-ADD replaces this attachment's rules (by comment prefix), not others", () => {
    expect(renderNft(add, state({ "inet cni_plugins_masquerade": listed }))).toBe(
      text(...HEAD, "delete rule inet cni_plugins_masquerade masq_checks handle 6", ...TAIL),
    );
  });

  test("DEL", () => {
    const del = masqNftDel({ network: "gw", containerId: "c1", ifname: "eth0" });
    expect(renderNft(del, state({ "inet cni_plugins_masquerade": listed }))).toBe(
      text("delete rule inet cni_plugins_masquerade masq_checks handle 6"),
    );
  });
});

describe("macspoofchk", () => {
  test("ADD in one transaction", () => {
    const plan = spoofCheckAdd({ containerId: "dummy-0", ifname: "eth0", hostIfname: "veth1", containerMac: "0A:58:0A:F4:00:02" });
    expect(renderNft(plan, NONE)).toBe(
      text(
        "add table bridge nat",
        "add chain bridge nat PREROUTING { type filter hook prerouting priority -300 ; policy accept ; }",
        "add chain bridge nat cni-br-iface-dummy-0-eth0",
        "add chain bridge nat cni-br-iface-dummy-0-eth0-mac",
        'add rule bridge nat PREROUTING iifname "veth1" jump cni-br-iface-dummy-0-eth0 comment "macspoofchk-dummy-0-eth0"',
        'add rule bridge nat cni-br-iface-dummy-0-eth0 jump cni-br-iface-dummy-0-eth0-mac comment "macspoofchk-dummy-0-eth0"',
        'add rule bridge nat cni-br-iface-dummy-0-eth0-mac ether saddr 0a:58:0a:f4:00:02 return comment "macspoofchk-dummy-0-eth0"',
        'add rule bridge nat cni-br-iface-dummy-0-eth0-mac drop comment "macspoofchk-dummy-0-eth0"',
      ),
    );
  });

  const listed = parseNftList(`table bridge nat { # handle 4
	chain PREROUTING { # handle 1
		type filter hook prerouting priority dstnat; policy accept;
		iifname "veth1" jump cni-br-iface-dummy-0-eth0 comment "macspoofchk-dummy-0-eth0" # handle 4
		iifname "veth2" jump cni-br-iface-other-eth0 comment "macspoofchk-other-eth0" # handle 9
	}

	chain cni-br-iface-dummy-0-eth0 { # handle 2
		jump cni-br-iface-dummy-0-eth0-mac comment "macspoofchk-dummy-0-eth0" # handle 5
	}

	chain cni-br-iface-dummy-0-eth0-mac { # handle 3
		ether saddr 0a:58:0a:f4:00:02 return comment "macspoofchk-dummy-0-eth0" # handle 6
		drop comment "macspoofchk-dummy-0-eth0" # handle 7
	}
}`);

  test("DEL: the jump, then both chains; nothing when already gone", () => {
    const del = spoofCheckDel({ containerId: "dummy-0", ifname: "eth0" });
    expect(renderNft(del, state({ "bridge nat": listed }))).toBe(
      text(
        "delete rule bridge nat PREROUTING handle 4",
        "flush chain bridge nat cni-br-iface-dummy-0-eth0",
        "delete chain bridge nat cni-br-iface-dummy-0-eth0",
        "flush chain bridge nat cni-br-iface-dummy-0-eth0-mac",
        "delete chain bridge nat cni-br-iface-dummy-0-eth0-mac",
      ),
    );
    expect(renderNft(del, NONE)).toBe("");
  });
});

describe("delete-table", () => {
  const ref = { family: "inet", table: "tscni_agent" } as const;
  const plan = { ops: [{ op: "delete-table", ref }] } as const;
  test("deletes a table that exists, with nothing else sent (its chains and rules go with it)", () => {
    expect(tablesToRead(plan)).toEqual([ref]);
    const present = state({ "inet tscni_agent": { chains: new Set(["postrouting"]), rules: [{ chain: "postrouting", handle: 3, comment: undefined, rule: { matches: [], verdict: { kind: "masquerade" } }, targets: [] }] } });
    expect(renderNft(plan, present)).toBe("delete table inet tscni_agent\n");
  });
  test("a missing table is nothing to do (nft 1.0.6 would abort on deleting it)", () => {
    expect(renderNft(plan, NONE)).toBe("");
  });
});
