/** Every nft plan shape the planners write, for the round-trip tests (unit and netns). */
import { nodeMasqNftAdd } from "../../../src/firewall/node-masq.ts";
import { type NftPlan, type NftRuleSpec, type NftTableRef, nftTableKey } from "../../../src/firewall/model.ts";
import { tablesToRead } from "../../../src/firewall/nftables.ts";
import { masqNftAdd, portmapNftAdd, spoofCheckAdd } from "../../../src/firewall/nftables-plans.ts";
import type { PortMapping, PortmapRequest } from "../../../src/firewall/plans-types.ts";

const MAPPINGS: PortMapping[] = [
  { hostPort: 8080, containerPort: 80, protocol: "tcp" },
  { hostPort: 8081, containerPort: 81, protocol: "UDP", hostIP: "192.168.1.5" },
  { hostPort: 8082, containerPort: 82, protocol: "sctp", hostIP: "2001:db8::5" },
  { hostPort: 8083, containerPort: 83, protocol: "dccp", hostIP: "0.0.0.0" },
  { hostPort: 8084, containerPort: 84, protocol: "tcp", hostIP: "::" },
  { hostPort: 1, containerPort: 65535, protocol: "udp", hostIP: "" },
];

function portmap(containerIp: string, over: Partial<PortmapRequest> = {}): PortmapRequest {
  return { network: "net", containerId: "ctr_1-a.b", containerIp, mappings: MAPPINGS, snat: true, masqAll: false, markMasqBit: 13, ...over };
}

export const PLANS: [string, NftPlan][] = [
  ...["10.0.0.2/24", "fd00::2/64"].flatMap((ip): [string, NftPlan][] => [
    [`portmap ${ip} snat`, portmapNftAdd(portmap(ip))],
    [`portmap ${ip} no snat`, portmapNftAdd(portmap(ip, { snat: false }))],
    [`portmap ${ip} markMasqBit 0, externalSetMarkChain`, portmapNftAdd(portmap(ip, { markMasqBit: 0, externalSetMarkChain: "KUBE-MARK-MASQ" }))],
    [`portmap ${ip} one mapping`, portmapNftAdd(portmap(ip, { mappings: [{ hostPort: 80, containerPort: 8080, protocol: "tcp" }] }))],
  ]),
  ["portmap conditions", portmapNftAdd(portmap("10.0.0.2/24", { conditions: ["iifname", '"eth0"', "ip", "saddr", "10.1.0.0/16"] }))],
  ["bridge ipMasq v4+v6", masqNftAdd({ network: "brnet", containerId: "c1", ifname: "e{#x", addresses: ["10.66.0.2/24", "fd66::2/64"] })],
  ["bridge ipMasq /32 and /128", masqNftAdd({ network: "brnet", containerId: "c2", ifname: "eth0", addresses: ["10.66.0.3/32", "fd66::3/128"] })],
  ["macspoofchk", spoofCheckAdd({ containerId: "dummy-0", ifname: "eth0", hostIfname: "veth1234abcd", containerMac: "0A:58:0A:F4:00:02" })],
  ["agent masquerade", nodeMasqNftAdd({ cluster: ["10.244.0.0/16", "fd10::/48"], local: ["10.244.1.0/24", "fd10:0:0:1::/64"] })],
];

/** Every rule a plan writes, with the table it goes to. */
export function rulesOf(plan: NftPlan): { ref: NftTableRef; chain: string; spec: NftRuleSpec }[] {
  return plan.ops.flatMap((op) => {
    if (op.op === "add-rule") return [{ ref: op.ref, chain: op.chain, spec: { rule: op.rule, ...(op.comment !== undefined ? { comment: op.comment } : {}) } }];
    if (op.op === "sync-rules") return op.rules.map((spec) => ({ ref: op.ref, chain: op.chain, spec }));
    return [];
  });
}


/** The tables a plan writes or reads, each once: what a call over the fake kernel locks and reads. */
export function tablesOf(plan: NftPlan): NftTableRef[] {
  return [...new Map([...plan.ops.map((o) => o.ref), ...tablesToRead(plan)].map((r) => [nftTableKey(r), r])).values()];
}
