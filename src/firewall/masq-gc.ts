/**
 * bridge ipMasq GC, planned: the masquerade objects of attachments the runtime no longer lists.
 * iptables: a POSTROUTING jump whose comment names this network (`name: "<net>" id: "<id>"`)
 * to a `CNI-<hash>` chain no valid attachment owns. nftables: `masq_checks` rules whose comment
 * starts with this network's hash and whose instance hash matches no valid attachment. Both
 * backends are swept (an attachment may have been set up by either).
 */
import { staleJumpTargets } from "./iptables.ts";
import type { Family, IptablesPlan, IptablesState, NftOp, NftTableState } from "./model.ts";
import { MASQ_CHAIN, MASQ_NFT_TABLE, masqChainName, masqCommentPrefix, NFT_MASQ_INSTANCE_LENGTH, nftMasqInstanceHash, nftMasqNetworkHash, SHARED } from "./names.ts";
import { checkText } from "./validate.ts";

export interface MasqGcRequest {
  readonly network: string;
  /** The attachments still in use on this network. */
  readonly valid: readonly { readonly containerId: string; readonly ifname: string }[];
}


/** Masquerade chains of `network` in one family's nat table that no valid attachment owns. */
export function staleMasqChains(state: IptablesState, network: string, validIds: readonly string[]): string[] {
  const valid = new Set(validIds.map((id) => masqChainName(network, id)));
  return staleJumpTargets(state, "POSTROUTING", (c) => MASQ_CHAIN.test(c), masqCommentPrefix(network), valid);
}

export function masqIptablesGc(req: MasqGcRequest, states: ReadonlyMap<Family, IptablesState>): IptablesPlan[] {
  checkText("network name", req.network);
  const ids = req.valid.map((a) => a.containerId);
  const plans: IptablesPlan[] = [];
  for (const [family, state] of states) {
    const chains = staleMasqChains(state, req.network, ids);
    if (chains.length > 0) plans.push({ family, ops: chains.map((chain) => ({ op: "remove-chain", chain })) });
  }
  return plans;
}

/** Delete ops for the stale instances of `network` in the masquerade table. */
export function masqNftGcOps(req: MasqGcRequest, table: NftTableState | undefined): NftOp[] {
  checkText("network name", req.network);
  if (table === undefined) return [];
  const netPrefix = `${nftMasqNetworkHash(req.network)}-`;
  const valid = new Set(req.valid.map((a) => nftMasqInstanceHash(req.network, a.ifname, a.containerId)));
  const stale = new Set<string>();
  for (const r of table.rules) {
    if (r.chain !== SHARED.masqChecks || r.comment === undefined || !r.comment.startsWith(netPrefix)) continue;
    const instance = r.comment.slice(0, NFT_MASQ_INSTANCE_LENGTH);
    if (!valid.has(instance)) stale.add(instance);
  }
  return [...stale].map((prefix) => ({ op: "delete-rules", ref: MASQ_NFT_TABLE, chains: [SHARED.masqChecks], match: { prefix } }));
}
