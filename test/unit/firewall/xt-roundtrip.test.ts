/**
 * Every rule the iptables planners can write goes in-process: each one encodes to nf_tables
 * expressions, and those expressions read back as exactly the planner's tokens. The second half
 * is what keeps a repeated ADD from adding a duplicate: the writer compares plan tokens with the
 * kernel's rules read back. Covers bridge ipMasq and portmap in both families with every option
 * that changes a rule's shape.
 */
import { describe, expect, test } from "bun:test";
import { masqIptablesAdd, portmapIptablesAdd } from "../../../src/firewall/iptables-plans.ts";
import type { IptablesPlan, RuleArgs } from "../../../src/firewall/model.ts";
import type { PortmapRequest } from "../../../src/firewall/plans-types.ts";
import { xtRuleArgs } from "../../../src/firewall/xt-decode.ts";
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
];

function rulesOf(plan: IptablesPlan): RuleArgs[] {
  return plan.ops.flatMap((op) => (op.op === "append" || op.op === "insert-first" ? [op.args] : op.op === "sync-chain" || op.op === "sync-jumps" ? op.rules : []));
}

describe("planner rules: tokens -> expressions -> kernel wire -> tokens", () => {
  test.each(plans)("%s", (_name, list) => {
    let count = 0;
    for (const plan of list) {
      const nfproto = plan.family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6;
      for (const args of rulesOf(plan)) {
        const rule = encodeXtRule(plan.family, args);
        expect({ args, encoded: rule !== undefined }).toEqual({ args, encoded: true });
        const w = new Writer();
        writeExprs(w, rule?.exprs ?? []);
        expect(xtRuleArgs(nfproto, decodeExprs(w.finish()))).toEqual([...args]);
        count++;
      }
    }
    expect(count).toBeGreaterThan(2);
  });

  test("RETURN (the agent's masquerade exemptions) encodes and reads back", () => {
    const args = ["-d", "10.244.1.0/24", "-j", "RETURN"];
    const w = new Writer();
    writeExprs(w, encodeXtRule(4, args)?.exprs ?? []);
    expect(xtRuleArgs(NFPROTO_IPV4, decodeExprs(w.finish()))).toEqual(args);
  });
});
