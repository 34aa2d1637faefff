/**
 * The agent's kubenet-style masquerade for a node where it has no iptables tool (the DaemonSet's
 * image ships none): its own nft table, written in-process over nf_tables netlink in one
 * transaction (no nft binary needed). Same semantics as masquerade.ts: from this node's pod
 * CIDRs to anything outside the cluster's pod CIDRs (and not multicast) leaves with the node's
 * address; pod-to-pod traffic across nodes keeps its source.
 */
import { applyNft, type Rule } from "../firewall/index.ts";
import type { MasqueradeWant } from "./masquerade.ts";

type NftPlan = Parameters<typeof applyNft>[0];

/** Only the agent writes this table, so uninstall deletes it whole. */
export const AGENT_NFT_TABLE = { family: "inet", table: "tscni_agent" } as const;
const CHAIN = "postrouting";
const MULTICAST = ["224.0.0.0/4", "ff00::/8"];

/** The table's whole content, replaced in one transaction (the chain is flushed and refilled). */
export function masqueradeNftPlan(want: MasqueradeWant): NftPlan {
  const ref = AGENT_NFT_TABLE;
  const keep = [...new Set(want.cluster)].sort();
  const rule = (r: Rule) => ({ op: "add-rule", ref, chain: CHAIN, rule: r }) as const;
  return {
    ops: [
      { op: "add-table", ref, comment: "tscni agent: masquerade of pod traffic leaving the cluster" },
      { op: "add-chain", ref, chain: CHAIN, base: { type: "nat", hook: "postrouting", priority: 100 } },
      { op: "flush-chain", ref, chain: CHAIN },
      ...[...keep, ...MULTICAST].map((cidr) => rule({ dst: { cidr }, matches: [], verdict: { kind: "return" } })),
      ...want.local.map((cidr) => rule({ src: { cidr }, matches: [], verdict: { kind: "masquerade" } })),
    ],
  };
}

/** nf_tables is not there to speak to (and no nft binary either): the caller falls back. */
export const NO_NFTABLES = /failed to locate nft/;

/** Applies the masquerade; returns the failures (empty: done). */
export async function syncMasqueradeNft(want: MasqueradeWant): Promise<string[]> {
  try {
    await applyNft(masqueradeNftPlan(want));
    return [];
  } catch (e) {
    return [`nft masquerade: ${(e as Error).message}`];
  }
}

/** Deletes the agent's table (uninstall); nothing when it is absent. */
export async function removeMasqueradeNft(): Promise<string[]> {
  try {
    await applyNft({ ops: [{ op: "delete-table", ref: AGENT_NFT_TABLE }] });
    return [];
  } catch (e) {
    // A node without nf_tables has no such table.
    return NO_NFTABLES.test((e as Error).message) ? [] : [`nft masquerade removal: ${(e as Error).message}`];
  }
}
