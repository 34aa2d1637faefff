/**
 * The agent's kubenet-style node masquerade, planned for each backend (the seam's
 * "node-masquerade" want): traffic from this node's pod CIDRs to anything outside the cluster's
 * pod CIDRs (and not multicast) leaves with the node's address; pod-to-pod traffic across nodes
 * keeps its source. iptables: one chain per family, rewritten as a whole, and one jump per local
 * pod CIDR from nat POSTROUTING. nftables (a node whose agent has no iptables tool): its own table,
 * whole in one transaction. Not a plugin object: nothing here names a network or a container.
 */
import type { Family, IptablesPlan, NftPlan } from "./model.ts";
import type { Rule } from "./rule.ts";

export interface NodeMasquerade {
  /** This node's pod CIDRs (sources). */
  readonly local: readonly string[];
  /** Every pod CIDR of the cluster (destinations left alone). */
  readonly cluster: readonly string[];
}

export const NODE_MASQ_CHAIN = "TSCNI-AGENT-MASQ";
/** Only the agent writes this table, so uninstall deletes it whole. */
export const NODE_MASQ_NFT_TABLE = { family: "inet", table: "tscni_agent" } as const;

const MULTICAST: Readonly<Record<Family, string>> = { 4: "224.0.0.0/4", 6: "ff00::/8" };
const familyOf = (cidr: string): Family => (cidr.includes(":") ? 6 : 4);

export function nodeMasqIptablesAdd(want: NodeMasquerade): IptablesPlan[] {
  return ([4, 6] as const).flatMap((family): IptablesPlan[] => {
    const local = want.local.filter((c) => familyOf(c) === family);
    if (local.length === 0) return [];
    const cluster = [...new Set(want.cluster.filter((c) => familyOf(c) === family))].sort();
    const chain = NODE_MASQ_CHAIN;
    const rules: Rule[] = [
      ...cluster.map((c): Rule => ({ dst: { cidr: c }, matches: [], verdict: { kind: "return" } })),
      { dst: { cidr: MULTICAST[family], not: true }, matches: [], verdict: { kind: "masquerade" } },
    ];
    const jumps = local.map((c): Rule => ({ src: { cidr: c }, matches: [], verdict: { kind: "jump", chain } }));
    return [{ family, ops: [{ op: "sync-chain", chain, rules }, { op: "sync-jumps", chain: "POSTROUTING", target: chain, rules: jumps }] }];
  });
}

export function nodeMasqIptablesDel(): IptablesPlan[] {
  return ([4, 6] as const).map((family) => ({ family, ops: [{ op: "remove-chain", chain: NODE_MASQ_CHAIN }] }));
}

/** The table's whole content, replaced in one transaction (the chain is flushed and refilled). */
export function nodeMasqNftAdd(want: NodeMasquerade): NftPlan {
  const ref = NODE_MASQ_NFT_TABLE;
  const chain = "postrouting";
  const keep = [...new Set(want.cluster)].sort();
  const rule = (r: Rule) => ({ op: "add-rule", ref, chain, rule: r }) as const;
  return {
    ops: [
      { op: "add-table", ref, comment: "tscni agent: masquerade of pod traffic leaving the cluster" },
      { op: "add-chain", ref, chain, base: { type: "nat", hook: "postrouting", priority: 100 } },
      { op: "flush-chain", ref, chain },
      ...[...keep, ...Object.values(MULTICAST)].map((cidr) => rule({ dst: { cidr }, matches: [], verdict: { kind: "return" } })),
      ...want.local.map((cidr) => rule({ src: { cidr }, matches: [], verdict: { kind: "masquerade" } })),
    ],
  };
}

export function nodeMasqNftDel(): NftPlan {
  return { ops: [{ op: "delete-table", ref: NODE_MASQ_NFT_TABLE }] };
}
