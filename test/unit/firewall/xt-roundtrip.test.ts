/**
 * Every rule the iptables planners can write goes in-process: each typed rule encodes to nf_tables
 * expressions, and those expressions decode back to the same model (model -> netlink -> model).
 * That is what keeps a repeated ADD from adding a duplicate: the writer compares the planned model
 * with the kernel's rules decoded. Covers bridge ipMasq, portmap in both families with every
 * option that changes a rule's shape, and the agent's node-wide masquerade.
 */
import { describe, expect, test } from "bun:test";
import { masqIptablesAdd, portmapIptablesAdd } from "../../../src/firewall/iptables-plans.ts";
import { masqueradePlans } from "../../../src/agent/masquerade.ts";
import type { IptablesPlan } from "../../../src/firewall/model.ts";
import { type Rule, ruleArgs, sameRule } from "../../../src/firewall/rule.ts";
import type { PortmapRequest } from "../../../src/firewall/plans-types.ts";
import { decodeXtRule } from "../../../src/firewall/xt-decode.ts";
import { encodeXtRule } from "../../../src/firewall/xt-encode.ts";
import { decodeExprs } from "../../../src/netlink/nft/expr.ts";
import { NFPROTO_IPV4, NFPROTO_IPV6 } from "../../../src/netlink/nft/constants.ts";
import { Writer } from "../../../src/netlink/attrs.ts";
import { writeExprs } from "../../../src/netlink/nft/expr.ts";

const mappings = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8081, containerPort: 81, protocol: "TCP", hostIP: "192.168.1.5" },
  { hostPort: 8082, containerPort: 82, protocol: "tcp", hostIP: "0.0.0.0" },
  { hostPort: 8083, containerPort: 83, protocol: "tcp", hostIP: "2001:db8::5" },
  { hostPort: 8084, containerPort: 84, protocol: "udp", hostIP: "::" },
  { hostPort: 53, containerPort: 53, protocol: "udp" },
  { hostPort: 99, containerPort: 99, protocol: "sctp" },
  { hostPort: 98, containerPort: 98, protocol: "dccp" },
  { hostPort: 65535, containerPort: 1, protocol: "tcp" },
  ...Array.from({ length: 16 }, (_, i) => ({ hostPort: 20000 + i, containerPort: 30000 + i, protocol: "tcp" })),
];

const base: Omit<PortmapRequest, "containerIp"> = { network: 'n{#x "q"', containerId: "c1", mappings, snat: true, masqAll: false, markMasqBit: 13 };

const plans: [string, IptablesPlan[]][] = [
  ["masq IPv4 /16 and /24, IPv6 /64 and /128-adjacent", masqIptablesAdd({ network: "n", containerId: "c1", ifname: "eth0", addresses: ["10.88.0.5/16", "10.1.2.3/24", "fd00::5/64", "fd00:1::5/127"] })],
  ["masq odd prefixes", masqIptablesAdd({ network: "n", containerId: "c1", ifname: "eth0", addresses: ["10.88.0.5/13", "fd00::5/61"] })],
  ...(["10.88.0.5/16", "fd00::5/64"] as const).flatMap((ip): [string, IptablesPlan[]][] => [
    [`portmap ${ip} snat`, [portmapIptablesAdd({ ...base, containerIp: ip })]],
    [`portmap ${ip} masqAll, markMasqBit 31`, [portmapIptablesAdd({ ...base, containerIp: ip, masqAll: true, markMasqBit: 31 })]],
    [`portmap ${ip} markMasqBit 0`, [portmapIptablesAdd({ ...base, containerIp: ip, markMasqBit: 0 })]],
    [`portmap ${ip} externalSetMarkChain`, [portmapIptablesAdd({ ...base, containerIp: ip, externalSetMarkChain: "KUBE-MARK-MASQ" })]],
    [`portmap ${ip} snat false`, [portmapIptablesAdd({ ...base, containerIp: ip, snat: false })]],
  ]),
  ["agent masquerade", masqueradePlans({ local: ["10.244.1.0/24", "fd00:1::/64"], cluster: ["10.244.0.0/16", "fd00::/48"] })],
];

export function rulesOf(plan: IptablesPlan): Rule[] {
  return plan.ops.flatMap((op) => (op.op === "append" || op.op === "insert-first" ? [op.rule] : op.op === "sync-chain" || op.op === "sync-jumps" ? [...op.rules] : []));
}

function throughKernelWire(family: 4 | 6, rule: Rule): Rule | undefined {
  const encoded = encodeXtRule(family, rule);
  if (encoded === undefined) return undefined;
  const w = new Writer();
  writeExprs(w, encoded.exprs);
  return decodeXtRule(family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6, decodeExprs(w.finish()));
}

describe("planner rules: model -> expressions -> kernel wire -> model", () => {
  test.each(plans)("%s", (_name, list) => {
    let count = 0;
    for (const plan of list) {
      for (const rule of rulesOf(plan)) {
        const back = throughKernelWire(plan.family, rule);
        expect({ rule, back }).toEqual({ rule, back: rule });
        expect(back !== undefined && sameRule(back, rule)).toBe(true);
        count++;
      }
    }
    expect(count).toBeGreaterThan(2);
  });

  test("the comparison keeps apart what differs, and a foreign part equals nothing, itself included", () => {
    const r: Rule = { src: { cidr: "10.0.0.0/8" }, proto: "tcp", matches: [{ kind: "dport", port: 80 }], verdict: { kind: "jump", chain: "X" } };
    expect(sameRule(r, { ...r })).toBe(true);
    for (const other of [
      { ...r, src: { cidr: "10.0.0.0/8", not: true } },
      { ...r, src: undefined },
      { ...r, proto: "udp" },
      { ...r, matches: [{ kind: "dport", port: 81 }] },
      { ...r, matches: [] },
      { ...r, verdict: { kind: "goto", chain: "X" } },
      { ...r, verdict: { kind: "jump", chain: "Y" } },
    ] as Rule[]) {
      expect(sameRule(r, other)).toBe(false);
      expect(sameRule(other, r)).toBe(false);
    }
    const alien: Rule = { ...r, matches: [{ kind: "foreign", tokens: ["?meta"] }] };
    expect(sameRule(alien, alien)).toBe(false);
  });

  test("spelling: the model prints as iptables-save does", () => {
    const family = 4;
    const r: Rule = {
      src: { cidr: "10.0.0.0/8" },
      dst: { cidr: "224.0.0.0/4", not: true },
      proto: "tcp",
      matches: [{ kind: "comment", text: "a b" }, { kind: "dport", port: 80 }, { kind: "mark", value: 0x2000, mask: 0x2000 }],
      verdict: { kind: "dnat", addr: "10.1.2.3", port: 8080 },
    };
    expect(ruleArgs(family, r)).toEqual(
      "-s 10.0.0.0/8 ! -d 224.0.0.0/4 -p tcp -m comment --comment a_b -m tcp --dport 80 -m mark --mark 0x2000/0x2000 -j DNAT --to-destination 10.1.2.3:8080".split(" ").map((t) => t.replace("a_b", "a b")),
    );
    expect(ruleArgs(6, { matches: [], verdict: { kind: "dnat", addr: "fd00::1", port: 1 } })).toEqual(["-j", "DNAT", "--to-destination", "[fd00::1]:1"]);
  });
});
