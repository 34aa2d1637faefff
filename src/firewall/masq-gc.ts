/**
 * bridge ipMasq GC, planned: the masquerade objects of attachments the runtime no longer lists.
 * iptables: a POSTROUTING jump whose comment names this network (`name: "<net>" id: "<id>"`)
 * to a `CNI-<hash>` chain no valid attachment owns. nftables: `masq_checks` rules whose comment
 * starts with this network's hash and whose instance hash matches no kept attachment. The one
 * planner of each, for the plugin's GC verb and for `tscni gc` alike.
 */
import type { Keep } from "./backend.ts";
import { staleJumpTargets } from "./iptables.ts";
import type { Family, IptablesPlan, IptablesState, NftOp, NftTableState } from "./model.ts";
import { MASQ_CHAIN, MASQ_NFT_TABLE, masqChainName, masqCommentPrefix, NFT_COMMENT_MAX, NFT_MASQ_INSTANCE, nftMasqInstanceHash, nftMasqNetworkHash, SHARED } from "./names.ts";
import { checkText } from "./validate.ts";

export interface MasqGcRequest {
  readonly network: string;
  /** The attachments still in use on this network. */
  readonly valid: readonly Keep[];
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

/** The readable (maybe cut) container ID after `, id: ` in an nft masquerade comment. */
export function nftMasqCommentId(comment: string): string | undefined {
  const i = comment.indexOf(", id: ");
  return i >= 0 ? comment.slice(i + 6) : undefined;
}

/** The nft masquerade instances in masq_checks (`<net hash>-<attachment hash>`), each with its first comment. */
export function nftMasqInstances(table: NftTableState | undefined): Map<string, string> {
  const found = new Map<string, string>();
  for (const r of table?.rules ?? []) {
    if (r.chain !== SHARED.masqChecks || r.comment === undefined) continue;
    const key = NFT_MASQ_INSTANCE.exec(r.comment)?.[0];
    if (key !== undefined && !found.has(key)) found.set(key, r.comment);
  }
  return found;
}

/**
 * Instances of `network` no kept attachment owns. They are attributed by the network hash their
 * comment starts with; an attachment kept by container ID alone (ifname "") is matched on the
 * readable ID after it, and a comment at nft's 128-byte limit (a UTF-8 cut may stop 3 bytes
 * short) may have lost the end of the ID: then a prefix keeps it.
 */
export function staleNftMasqInstances(table: NftTableState | undefined, req: MasqGcRequest): string[] {
  checkText("network name", req.network);
  const netPrefix = `${nftMasqNetworkHash(req.network)}-`;
  const hashes = new Set(req.valid.filter((k) => k.ifname !== "").map((k) => nftMasqInstanceHash(req.network, k.ifname, k.containerId)));
  const bare = req.valid.filter((k) => k.ifname === "").map((k) => k.containerId.replaceAll('"', ""));
  const stale: string[] = [];
  for (const [key, comment] of nftMasqInstances(table)) {
    if (!key.startsWith(netPrefix) || hashes.has(key)) continue;
    const shown = nftMasqCommentId(comment);
    const cut = Buffer.byteLength(comment, "utf8") > NFT_COMMENT_MAX - 4;
    if (bare.length > 0 && (shown === undefined || bare.some((id) => (cut ? id.startsWith(shown) : id === shown)))) continue;
    stale.push(key);
  }
  return stale;
}

/** Deletes one nft masquerade instance's rules, by the hash prefix of their comments. */
export function deleteNftMasqInstance(prefix: string): NftOp {
  return { op: "delete-rules", ref: MASQ_NFT_TABLE, chains: [SHARED.masqChecks], match: { prefix } };
}
