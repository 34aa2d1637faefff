import { describe, expect, test } from "bun:test";
import { type PortmapRequest } from "../../../src/firewall/index.ts";
import { findMissing, parseIptablesSave, renderIptables } from "../../../src/firewall/iptables.ts";
import { masqIptablesAdd, masqIptablesDel, portmapIptablesAdd, portmapIptablesDel } from "../../../src/firewall/iptables-plans.ts";
import { type IptablesPlan } from "../../../src/firewall/model.ts";
import { REFERENCE_MASQ_SAVE_V4, REFERENCE_SAVE_V4 } from "../../fixtures/firewall/reference-saves.ts";

const EMPTY = parseIptablesSave("");
const DN = "CNI-DN-3a53437c165fe05c780a9";
const COMMENT = '"dnat name: \\"test\\" id: \\"ctr1\\""';

const MAPPINGS = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8081, containerPort: 81, protocol: "udp", hostIP: "192.168.1.5" },
  { hostPort: 8082, containerPort: 82, protocol: "tcp", hostIP: "2001:db8::5" },
  { hostPort: 8083, containerPort: 83, protocol: "sctp", hostIP: "0.0.0.0" },
];

function req(over: Partial<PortmapRequest> = {}): PortmapRequest {
  return {
    network: "test",
    containerId: "ctr1",
    containerIp: "10.0.0.2/24",
    mappings: MAPPINGS,
    snat: true,
    masqAll: false,
    markMasqBit: 13,
    ...over,
  };
}

function lines(...l: string[]): string {
  return ["*nat", ...l, "COMMIT", ""].join("\n");
}

const SHARED_V4 = (mark: string) => [
  ":CNI-HOSTPORT-SETMARK - [0:0]",
  ":CNI-HOSTPORT-MASQ - [0:0]",
  ":CNI-HOSTPORT-DNAT - [0:0]",
  `:${DN} - [0:0]`,
  `-A CNI-HOSTPORT-SETMARK -m comment --comment "CNI portfwd masquerade mark" -j MARK --set-xmark ${mark}`,
  `-A CNI-HOSTPORT-MASQ -m mark --mark ${mark} -j MASQUERADE`,
  '-I POSTROUTING 1 -m comment --comment "CNI portfwd requiring masquerade" -j CNI-HOSTPORT-MASQ',
  "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
  "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
];

const ENTRY = [
  `-A CNI-HOSTPORT-DNAT -p sctp -m comment --comment ${COMMENT} -m multiport --dports 8083 -j ${DN}`,
  `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${COMMENT} -m multiport --dports 8080,8082 -j ${DN}`,
  `-A CNI-HOSTPORT-DNAT -p udp -m comment --comment ${COMMENT} -m multiport --dports 8081 -j ${DN}`,
];

describe("portmap iptables rendering (fresh node)", () => {
  test("v4 default: shared chains, mark rules before DNAT, localhost rules, entry rules per sorted protocol", () => {
    expect(renderIptables(portmapIptablesAdd(req()), EMPTY)).toBe(
      lines(
        ...SHARED_V4("0x2000/0x2000"),
        `-A ${DN} -s 10.0.0.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80`,
        `-A ${DN} -s 10.0.0.0/24 -d 192.168.1.5/32 -p udp -m udp --dport 8081 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -s 127.0.0.1/32 -d 192.168.1.5/32 -p udp -m udp --dport 8081 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -d 192.168.1.5/32 -p udp -m udp --dport 8081 -j DNAT --to-destination 10.0.0.2:81`,
        `-A ${DN} -s 10.0.0.0/24 -p sctp -m sctp --dport 8083 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -s 127.0.0.1/32 -p sctp -m sctp --dport 8083 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -p sctp -m sctp --dport 8083 -j DNAT --to-destination 10.0.0.2:83`,
        ...ENTRY,
      ),
    );
  });

  test("v6: no localhost rules, bracketed DNAT target, v4 hostIP mappings skipped", () => {
    const plan = portmapIptablesAdd(req({ containerIp: "2001:db8:1::2/64" }));
    expect(plan.family).toBe(6);
    expect(renderIptables(plan, EMPTY)).toBe(
      lines(
        ...SHARED_V4("0x2000/0x2000"),
        `-A ${DN} -s 2001:db8:1::/64 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination [2001:db8:1::2]:80`,
        `-A ${DN} -s 2001:db8:1::/64 -d 2001:db8::5/128 -p tcp -m tcp --dport 8082 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -d 2001:db8::5/128 -p tcp -m tcp --dport 8082 -j DNAT --to-destination [2001:db8:1::2]:82`,
        ...ENTRY,
      ),
    );
  });

  test("snat false: only the DNAT chains, no mark chains", () => {
    const one = [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }];
    expect(renderIptables(portmapIptablesAdd(req({ snat: false, mappings: one })), EMPTY)).toBe(
      lines(
        ":CNI-HOSTPORT-DNAT - [0:0]",
        `:${DN} - [0:0]`,
        "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        `-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80`,
        `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${COMMENT} -m multiport --dports 8080 -j ${DN}`,
      ),
    );
  });

  test("masqAll: any source (printed without -s) and no localhost rule", () => {
    const one = [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }];
    const text = renderIptables(portmapIptablesAdd(req({ masqAll: true, mappings: one })), EMPTY);
    expect(text).toContain(`-A ${DN} -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK\n`);
    expect(text).not.toContain("127.0.0.1");
  });

  test("markMasqBit 0 and 5 render 0x1/0x1 and 0x20/0x20", () => {
    expect(renderIptables(portmapIptablesAdd(req({ markMasqBit: 0 })), EMPTY)).toContain("--set-xmark 0x1/0x1\n");
    expect(renderIptables(portmapIptablesAdd(req({ markMasqBit: 5 })), EMPTY)).toContain("-m mark --mark 0x20/0x20 -j MASQUERADE\n");
    expect(() => portmapIptablesAdd(req({ markMasqBit: 32 }))).toThrow("MasqMarkBit must be between 0 and 31");
  });

  test("externalSetMarkChain replaces the jump target and skips the shared mark chains", () => {
    const one = [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }];
    const text = renderIptables(portmapIptablesAdd(req({ externalSetMarkChain: "PLZ-SET-MARK", mappings: one })), EMPTY);
    expect(text).toBe(
      lines(
        ":CNI-HOSTPORT-DNAT - [0:0]",
        `:${DN} - [0:0]`,
        "-A PREROUTING -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        "-A OUTPUT -m addrtype --dst-type LOCAL -j CNI-HOSTPORT-DNAT",
        `-A ${DN} -s 10.0.0.0/24 -p tcp -m tcp --dport 8080 -j PLZ-SET-MARK`,
        `-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j PLZ-SET-MARK`,
        `-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80`,
        `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${COMMENT} -m multiport --dports 8080 -j ${DN}`,
      ),
    );
  });

  test("conditions are appended verbatim (quoted per token) before the jump", () => {
    const one = [{ hostPort: 8080, containerPort: 80, protocol: "tcp" }];
    const text = renderIptables(portmapIptablesAdd(req({ conditions: ["-s", "10.1.0.0/16", "-m", "comment", "--comment", "x y"], mappings: one })), EMPTY);
    expect(text).toContain(`--dports 8080 -s 10.1.0.0/16 -m comment --comment "x y" -j ${DN}\n`);
  });

  test("more than 15 ports per protocol split into several multiport rules; duplicates kept", () => {
    const many = Array.from({ length: 17 }, (_, i) => ({ hostPort: 9000 + i, containerPort: 80, protocol: "tcp" }));
    many.push({ hostPort: 9000, containerPort: 81, protocol: "tcp" });
    const text = renderIptables(portmapIptablesAdd(req({ mappings: many })), EMPTY);
    const entry = text.split("\n").filter((l) => l.startsWith("-A CNI-HOSTPORT-DNAT"));
    expect(entry).toEqual([
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${COMMENT} -m multiport --dports ${Array.from({ length: 15 }, (_, i) => 9000 + i).join(",")} -j ${DN}`,
      `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${COMMENT} -m multiport --dports 9015,9016,9000 -j ${DN}`,
    ]);
  });

  test("a rule planned twice for the container chain is written once, the first time it comes", () => {
    const mappings = [
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 8080, containerPort: 80, protocol: "tcp" },
      { hostPort: 8080, containerPort: 81, protocol: "tcp" },
      { hostPort: 8081, containerPort: 80, protocol: "udp" },
      { hostPort: 8080, containerPort: 80, protocol: "udp" },
    ];
    const text = renderIptables(portmapIptablesAdd(req({ mappings })), EMPTY);
    expect(text.split("\n").filter((l) => l.startsWith(`-A ${DN} `))).toEqual([
      `-A ${DN} -s 10.0.0.0/24 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:80`,
      `-A ${DN} -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.0.0.2:81`,
      `-A ${DN} -s 10.0.0.0/24 -p udp -m udp --dport 8081 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -s 127.0.0.1/32 -p udp -m udp --dport 8081 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -p udp -m udp --dport 8081 -j DNAT --to-destination 10.0.0.2:80`,
      `-A ${DN} -s 10.0.0.0/24 -p udp -m udp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -s 127.0.0.1/32 -p udp -m udp --dport 8080 -j CNI-HOSTPORT-SETMARK`,
      `-A ${DN} -p udp -m udp --dport 8080 -j DNAT --to-destination 10.0.0.2:80`,
    ]);
  });
});

describe("against existing state", () => {
  test("a node already set up by the reference needs no change", () => {
    expect(renderIptables(portmapIptablesAdd(req()), parseIptablesSave(REFERENCE_SAVE_V4))).toBe("");
    expect(findMissing(portmapIptablesAdd(req()), parseIptablesSave(REFERENCE_SAVE_V4))).toBeUndefined();
  });

  test("existing shared chains are never declared (that would flush them)", () => {
    const other = portmapIptablesAdd(req({ containerId: "ctr2" }));
    const text = renderIptables(other, parseIptablesSave(REFERENCE_SAVE_V4));
    expect(text).not.toContain(":CNI-HOSTPORT");
    expect(text).not.toContain("-I POSTROUTING");
    expect(text.split("\n")[1]).toMatch(/^:CNI-DN-/);
  });

  test("changed mappings: the container chain is flushed and refilled and its entry rules replaced", () => {
    const one = [{ hostPort: 7000, containerPort: 70, protocol: "tcp" }];
    const text = renderIptables(portmapIptablesAdd(req({ mappings: one })), parseIptablesSave(REFERENCE_SAVE_V4));
    expect(text).toBe(
      lines(
        `-F ${DN}`,
        `-A ${DN} -s 10.0.0.0/24 -p tcp -m tcp --dport 7000 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -s 127.0.0.1/32 -p tcp -m tcp --dport 7000 -j CNI-HOSTPORT-SETMARK`,
        `-A ${DN} -p tcp -m tcp --dport 7000 -j DNAT --to-destination 10.0.0.2:70`,
        ...ENTRY.map((l) => l.replace("-A ", "-D ")),
        `-A CNI-HOSTPORT-DNAT -p tcp -m comment --comment ${COMMENT} -m multiport --dports 7000 -j ${DN}`,
      ),
    );
  });

  test("DEL removes entry rules, then flushes and deletes the chain; nothing for a missing chain", () => {
    const [v4] = portmapIptablesDel({ network: "test", containerId: "ctr1" }) as [IptablesPlan];
    expect(renderIptables(v4, parseIptablesSave(REFERENCE_SAVE_V4))).toBe(
      lines(...ENTRY.map((l) => l.replace("-A ", "-D ")), `-F ${DN}`, `-X ${DN}`),
    );
    expect(renderIptables(v4, EMPTY)).toBe("");
  });

  test("DEL of another container touches nothing", () => {
    const [v4] = portmapIptablesDel({ network: "test", containerId: "ctr2" }) as [IptablesPlan];
    expect(renderIptables(v4, parseIptablesSave(REFERENCE_SAVE_V4))).toBe("");
  });

  test("CHECK reports a missing chain like the reference", () => {
    expect(findMissing(portmapIptablesAdd(req()), EMPTY)).toBe(`chain ${DN} not found in iptables table nat`);
  });
});

const MASQ_CHAIN = "CNI-5145007e2a8415ce07579739";
const MASQ_COMMENT = '"name: \\"mynet\\" id: \\"ctr1\\""';

describe("bridge ipMasq iptables", () => {
  const add = masqIptablesAdd({
    network: "mynet",
    containerId: "ctr1",
    ifname: "eth0",
    addresses: ["10.22.0.2/24", "2001:db8:5::2/64", "10.22.0.3/24"],
  });

  test("one plan per family; ACCEPT per subnet, one MASQUERADE, POSTROUTING jump per address", () => {
    expect(add.map((p) => p.family)).toEqual([4, 6]);
    expect(renderIptables(add[0] as IptablesPlan, EMPTY)).toBe(
      lines(
        `:${MASQ_CHAIN} - [0:0]`,
        `-A ${MASQ_CHAIN} -d 10.22.0.0/24 -m comment --comment ${MASQ_COMMENT} -j ACCEPT`,
        `-A ${MASQ_CHAIN} ! -d 224.0.0.0/4 -m comment --comment ${MASQ_COMMENT} -j MASQUERADE`,
        `-A POSTROUTING -s 10.22.0.2/32 -m comment --comment ${MASQ_COMMENT} -j ${MASQ_CHAIN}`,
        `-A POSTROUTING -s 10.22.0.3/32 -m comment --comment ${MASQ_COMMENT} -j ${MASQ_CHAIN}`,
      ),
    );
    expect(renderIptables(add[1] as IptablesPlan, EMPTY)).toBe(
      lines(
        `:${MASQ_CHAIN} - [0:0]`,
        `-A ${MASQ_CHAIN} -d 2001:db8:5::/64 -m comment --comment ${MASQ_COMMENT} -j ACCEPT`,
        `-A ${MASQ_CHAIN} ! -d ff00::/8 -m comment --comment ${MASQ_COMMENT} -j MASQUERADE`,
        `-A POSTROUTING -s 2001:db8:5::2/128 -m comment --comment ${MASQ_COMMENT} -j ${MASQ_CHAIN}`,
      ),
    );
  });

  // v1.9.1's and v1.1.1's own rules: the fixture test/netns/firewall.test.ts compares with both, live.
  const reference = parseIptablesSave(REFERENCE_MASQ_SAVE_V4);

  test("re-ADD over the reference's rules adds nothing", () => {
    const [v4] = masqIptablesAdd({ network: "mynet", containerId: "ctr1", ifname: "eth0", addresses: ["10.22.0.2/24"] });
    expect(renderIptables(v4 as IptablesPlan, reference)).toBe("");
  });

  test("DEL removes every jump to the chain, even without knowing the addresses", () => {
    const [v4] = masqIptablesDel({ network: "mynet", containerId: "ctr1" });
    expect(renderIptables(v4 as IptablesPlan, reference)).toBe(
      lines(`-D POSTROUTING -s 10.22.0.2/32 -m comment --comment ${MASQ_COMMENT} -j ${MASQ_CHAIN}`, `-F ${MASQ_CHAIN}`, `-X ${MASQ_CHAIN}`),
    );
  });
});
