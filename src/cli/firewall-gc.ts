/**
 * The firewall half of `tscni gc`: masquerade and portmap objects of attachments that have no
 * libcni cache entry any more (a crash between ADD and the cache write, a wiped /var/lib/cni, a
 * runtime that lost track), so no DEL will ever come for them. Planned from one read of the
 * kernel state, so a dry run can say exactly what would go; applied in one batch per iptables
 * family and one nft transaction, each of which re-reads under the firewall lock.
 */
import {
  type ApplyOptions,
  applyIptablesEach,
  applyNft,
  commentContainerId,
  type Family,
  type FirewallEntry,
  type FirewallSnapshot,
  iptablesEntries,
  type IptablesOp,
  type IptablesPlan,
  MASQ_NFT_TABLE,
  nftMasqEntries,
  nftMasqInstanceHash,
  nftMasqNetworkHash,
  NFT_COMMENT_MAX,
  type NftOp,
  nftTableKey,
  nftPortmapEntries,
  portmapDnatChainName,
  portmapNftGcOps,
  portmapNftTable,
  SHARED,
  staleDnatChains,
  staleMasqChains,
} from "../firewall/index.ts";

/** An attachment whose objects must stay; ifname "" keeps every interface of the container. */
export interface Keep {
  readonly containerId: string;
  readonly ifname: string;
}

export interface NetworkKeep {
  readonly network: string;
  readonly keep: readonly Keep[];
}

export interface FirewallGcItem {
  /** The network the object is attributed to; "*" for nft portmap rules, which name no network. */
  readonly network: string;
  readonly entry: FirewallEntry;
  readonly containerId: string;
  /** iptables family, or undefined for nft (one transaction). */
  readonly family?: Family;
}

export interface FirewallGcPlan {
  readonly items: readonly FirewallGcItem[];
  readonly iptables: readonly IptablesPlan[];
  readonly nft: readonly NftOp[];
}

function item(network: string, entry: FirewallEntry, family?: Family): FirewallGcItem {
  return { network, entry, containerId: commentContainerId(entry) ?? "?", family };
}

/**
 * What to free. `portmapNftKeep` is every container ID still in use on any network (nft portmap
 * comments carry nothing else); undefined leaves nft portmap rules alone.
 */
export function planFirewallGc(snap: FirewallSnapshot, networks: readonly NetworkKeep[], portmapNftKeep?: ReadonlySet<string>): FirewallGcPlan {
  const items: FirewallGcItem[] = [];
  const ops = new Map<Family, IptablesOp[]>();
  const nft: NftOp[] = [];
  const masqTable = snap.nft.get(nftTableKey(MASQ_NFT_TABLE));

  for (const { network, keep } of networks) {
    const ids = [...new Set(keep.map((k) => k.containerId))];
    for (const [family, state] of snap.iptables) {
      const entries = new Map(iptablesEntries(family, state).map((e) => [e.key, e]));
      const chains = [
        ...staleMasqChains(state, network, ids),
        ...staleDnatChains(state, network, new Set(ids.map((id) => portmapDnatChainName(network, id)))),
      ];
      for (const chain of chains) {
        const e = entries.get(chain);
        if (e === undefined) continue;
        items.push(item(network, e, family));
        const list = ops.get(family) ?? [];
        list.push({ op: "remove-chain", chain });
        ops.set(family, list);
      }
    }

    // nft masquerade rules are attributed by the network hash their comment starts with; an
    // attachment kept by container ID alone is matched on the readable (maybe cut) ID after it.
    const netPrefix = `${nftMasqNetworkHash(network)}-`;
    const hashes = new Set(keep.filter((k) => k.ifname !== "").map((k) => nftMasqInstanceHash(network, k.ifname, k.containerId)));
    const bare = keep.filter((k) => k.ifname === "").map((k) => k.containerId.replaceAll('"', ""));
    for (const e of nftMasqEntries(masqTable)) {
      if (!e.key.startsWith(netPrefix) || hashes.has(e.key)) continue;
      const shown = commentContainerId(e);
      // A comment at nft's 128-byte limit (a UTF-8 cut may stop 3 bytes short) may have lost the
      // end of the ID: then a prefix keeps it.
      const cut = Buffer.byteLength(e.comment, "utf8") > NFT_COMMENT_MAX - 4;
      if (bare.length > 0 && (shown === undefined || bare.some((id) => (cut ? id.startsWith(shown) : id === shown)))) continue;
      items.push(item(network, e));
      nft.push({ op: "delete-rules", ref: MASQ_NFT_TABLE, chains: [SHARED.masqChecks], match: { prefix: e.key } });
    }
  }

  if (portmapNftKeep !== undefined) {
    const tables = new Map<Family, ReadonlySet<string>>();
    for (const family of [4, 6] as const) {
      const entries = nftPortmapEntries(family, snap.nft.get(nftTableKey(portmapNftTable(family))));
      tables.set(family, new Set(entries.map((e) => e.key)));
      for (const e of entries) if (!portmapNftKeep.has(e.key)) items.push(item("*", e));
    }
    nft.push(...portmapNftGcOps([...portmapNftKeep], tables));
  }
  return { items, iptables: [...ops].map(([family, o]) => ({ family, ops: o })), nft };
}

/** Applies the plan; returns each item's error, if its batch failed. */
export async function applyFirewallGc(plan: FirewallGcPlan, opts: ApplyOptions = {}): Promise<Map<FirewallGcItem, string>> {
  const failed = new Map<FirewallGcItem, string>();
  for (const o of await applyIptablesEach(plan.iptables, opts)) {
    if (o.error === undefined) continue;
    for (const i of plan.items) if (i.family === o.family) failed.set(i, o.error.message);
  }
  if (plan.nft.length > 0) {
    try {
      await applyNft({ ops: plan.nft }, opts);
    } catch (err) {
      const msg = err instanceof Error ? err.message : String(err);
      for (const i of plan.items) if (i.family === undefined) failed.set(i, msg);
    }
  }
  return failed;
}

