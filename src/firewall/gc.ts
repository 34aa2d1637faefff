/**
 * portmap GC, planned: the per-container objects of attachments the runtime no longer lists. Only
 * per-container chains and rules go; the shared CNI-HOSTPORT-* chains and the cni_hostport tables
 * stay. An object is removed only when it can be attributed to this network (iptables: the entry
 * rule's comment names it) or, for nftables, whose rules carry nothing but the container ID, when
 * its container ID is not among the valid ones.
 */
import { staleJumpTargets } from "./iptables.ts";
import type { Family, IptablesPlan, IptablesState, NftOp } from "./model.ts";
import { DNAT_CHAIN_PREFIX, PORTMAP_NFT_CHAINS, portmapDnatChainName, portmapDnatCommentPrefix, portmapNftTable, SHARED } from "./names.ts";
import { checkText } from "./validate.ts";

export interface PortmapGcRequest {
  readonly network: string;
  /** Container IDs of the attachments still in use on this network. */
  readonly validContainerIds: readonly string[];
}

/**
 * Per-container DNAT chains of `network` that no valid attachment owns. The comment's network part
 * survives the reference's 255-byte trimming, and the chain must be a CNI-DN- chain it jumps to.
 */
export function staleDnatChains(state: IptablesState, network: string, valid: ReadonlySet<string>): string[] {
  return staleJumpTargets(state, SHARED.hostportDnat, (c) => c.startsWith(DNAT_CHAIN_PREFIX), portmapDnatCommentPrefix(network), valid);
}

/** The iptables plans GC would apply, given each family's current state. */
export function portmapIptablesGc(req: PortmapGcRequest, states: ReadonlyMap<Family, IptablesState>): IptablesPlan[] {
  checkText("network name", req.network);
  const valid = new Set(req.validContainerIds.map((id) => portmapDnatChainName(req.network, id)));
  const plans: IptablesPlan[] = [];
  for (const [family, state] of states) {
    const chains = staleDnatChains(state, req.network, valid);
    if (chains.length === 0) continue;
    plans.push({ family, ops: chains.map((chain) => ({ op: "remove-chain", chain })) });
  }
  return plans;
}

/** The nft ops GC would apply: delete the rules of every container ID that is not valid. */
export function portmapNftGcOps(validContainerIds: readonly string[], tables: ReadonlyMap<Family, ReadonlySet<string>>): NftOp[] {
  const valid = new Set(validContainerIds);
  const ops: NftOp[] = [];
  for (const [family, comments] of tables) {
    for (const id of comments) {
      if (valid.has(id)) continue;
      ops.push({ op: "delete-rules", ref: portmapNftTable(family), chains: PORTMAP_NFT_CHAINS, match: { equals: id } });
    }
  }
  return ops;
}
