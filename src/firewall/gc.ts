/**
 * portmap GC, planned: the per-container objects of attachments the runtime no longer lists. Only
 * per-container chains and rules go; the shared CNI-HOSTPORT-* chains and the cni_hostport tables
 * stay. An iptables object is removed only when it can be attributed to this network (the entry
 * rule's comment names it); the plugin's GC verb and `tscni gc` share that planner. nftables rules
 * carry nothing but the container ID, so only `tscni gc`, keeping the IDs live on any network,
 * removes them (a plugin's GC of one network cannot prove a rule is its own).
 */
import { staleJumpTargets } from "./iptables.ts";
import { type Family, type IptablesPlan, type IptablesState, type NftOp, type NftState, type NftTableState, nftTableKey } from "./model.ts";
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

/** The container IDs of one family's nft portmap rules (each rule's whole comment). */
export function nftPortmapIds(table: NftTableState | undefined): Set<string> {
  const ids = new Set<string>();
  for (const r of table?.rules ?? []) if (PORTMAP_NFT_CHAINS.includes(r.chain) && r.comment !== undefined) ids.add(r.comment);
  return ids;
}

/** Each family's container IDs in the nft portmap tables that are not kept, with the op deleting their rules. */
export function stalePortmapNft(keep: ReadonlySet<string>, state: NftState): { family: Family; id: string; op: NftOp }[] {
  const out: { family: Family; id: string; op: NftOp }[] = [];
  for (const family of [4, 6] as const) {
    const ref = portmapNftTable(family);
    for (const id of nftPortmapIds(state.get(nftTableKey(ref)))) {
      if (!keep.has(id)) out.push({ family, id, op: { op: "delete-rules", ref, chains: PORTMAP_NFT_CHAINS, match: { equals: id } } });
    }
  }
  return out;
}
