/**
 * An inventory of the per-attachment firewall objects the bridge (ipMasq) and portmap plugins
 * leave in the kernel — tscni's and the reference's alike, since both use the same names — for
 * the operator tools (`tscni doctor`, `tscni gc`). Pure functions over what readIptables/readNft
 * return, plus one reader that tolerates missing or unusable tools: a node without nft simply
 * has no nft objects.
 */
import type { ApplyOptions } from "./apply.ts";
import { ALL_BACKENDS } from "./backends.ts";
import { ruleComment, ruleTarget } from "./iptables.ts";
import { type Family, type IptablesState, type NftState, type NftTableState, nftTableKey } from "./model.ts";
import {
  CNI_CHAIN_PREFIX,
  IPTABLES_ENTRY_CHAINS,
  DNAT_CHAIN_PREFIX,
  MASQ_CHAIN,
  MASQ_NFT_TABLE,
  masqChainName,
  NFT_MASQ_INSTANCE,
  nftMasqInstanceHash,
  PORTMAP_NFT_CHAINS,
  portmapDnatChainName,
  portmapNftTable,
  SHARED,
} from "./names.ts";

export type FirewallKind = "masquerade" | "portmap";

/** One attachment's objects of one kind: an iptables chain, or a set of nft rules sharing a key. */
export interface FirewallEntry {
  readonly backend: "iptables" | "nftables";
  readonly kind: FirewallKind;
  /** "ipv4"/"ipv6" for iptables, the nft table ("inet cni_plugins_masquerade", "ip cni_hostport"). */
  readonly where: string;
  /** The chain name (iptables), the instance hash (nft masquerade) or the container ID (nft portmap). */
  readonly key: string;
  /** The comment of the first rule naming it, for people. */
  readonly comment: string;
}

/** Identical jump rules in one chain: an ADD that ran twice, or two implementations racing. */
export interface DuplicateRule {
  readonly where: string;
  readonly chain: string;
  readonly rule: string;
  readonly count: number;
}


function familyName(family: Family): string {
  return family === 4 ? "ipv4" : "ipv6";
}

/** Masquerade chains jumped to from POSTROUTING and DNAT chains jumped to from CNI-HOSTPORT-DNAT. */
export function iptablesEntries(family: Family, state: IptablesState): FirewallEntry[] {
  const found = new Map<string, FirewallEntry>();
  const scan = (chain: string, kind: FirewallKind, isOurs: (t: string) => boolean): void => {
    for (const rule of state.rules.get(chain) ?? []) {
      const target = ruleTarget(rule);
      if (target === undefined || !isOurs(target) || found.has(target)) continue;
      found.set(target, { backend: "iptables", kind, where: familyName(family), key: target, comment: ruleComment(rule) ?? "" });
    }
  };
  scan("POSTROUTING", "masquerade", (t) => MASQ_CHAIN.test(t));
  scan(SHARED.hostportDnat, "portmap", (t) => t.startsWith(DNAT_CHAIN_PREFIX));
  return [...found.values()];
}

/** nft masquerade instances (`<net hash>-<attachment hash>`) in masq_checks. */
export function nftMasqEntries(table: NftTableState | undefined): FirewallEntry[] {
  const found = new Map<string, FirewallEntry>();
  for (const r of table?.rules ?? []) {
    if (r.chain !== SHARED.masqChecks || r.comment === undefined) continue;
    const key = NFT_MASQ_INSTANCE.exec(r.comment)?.[0];
    if (key === undefined || found.has(key)) continue;
    found.set(key, { backend: "nftables", kind: "masquerade", where: nftTableKey(MASQ_NFT_TABLE), key, comment: r.comment });
  }
  return [...found.values()];
}

/** nft portmap rules, keyed by the container ID that is their whole comment. */
export function nftPortmapEntries(family: Family, table: NftTableState | undefined): FirewallEntry[] {
  const where = nftTableKey(portmapNftTable(family));
  const ids = new Set<string>();
  for (const r of table?.rules ?? []) if (PORTMAP_NFT_CHAINS.includes(r.chain) && r.comment !== undefined) ids.add(r.comment);
  return [...ids].map((key) => ({ backend: "nftables", kind: "portmap", where, key, comment: key }));
}

/** Jump rules that appear more than once, verbatim, in the chains that hook the per-attachment chains in. */
export function iptablesDuplicates(family: Family, state: IptablesState): DuplicateRule[] {
  const out: DuplicateRule[] = [];
  for (const chain of IPTABLES_ENTRY_CHAINS) {
    const counts = new Map<string, number>();
    for (const rule of state.rules.get(chain) ?? []) {
      // Only CNI chains: other software's duplicates are not ours to judge.
      if (!ruleTarget(rule)?.startsWith(CNI_CHAIN_PREFIX)) continue;
      const text = rule.map((t) => (/[\s"\\]/.test(t) ? JSON.stringify(t) : t)).join(" ");
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    for (const [rule, count] of counts) if (count > 1) out.push({ where: familyName(family), chain, rule, count });
  }
  return out;
}

/** Rules listed more than once with the same statement and comment. */
export function nftDuplicates(where: string, table: NftTableState | undefined, chains: readonly string[]): DuplicateRule[] {
  const counts = new Map<string, { chain: string; rule: string; count: number }>();
  for (const r of table?.rules ?? []) {
    if (!chains.includes(r.chain)) continue;
    const rule = r.comment === undefined ? r.expr : `${r.expr} comment "${r.comment}"`;
    const k = `${r.chain}\n${rule}`;
    const c = counts.get(k);
    if (c) c.count++;
    else counts.set(k, { chain: r.chain, rule, count: 1 });
  }
  return [...counts.values()].filter((c) => c.count > 1).map((c) => ({ where, ...c }));
}

/** Every key an attachment's objects can carry, to tell owned entries from orphans. */
export function attachmentKeys(network: string, containerId: string, ifname: string): string[] {
  return [
    masqChainName(network, containerId),
    portmapDnatChainName(network, containerId),
    nftMasqInstanceHash(network, ifname, containerId),
    containerId,
  ];
}

/**
 * The container ID written in a masquerade or portmap comment, as far as it survived the
 * comment's length limit (a prefix, then). Only for display and for conservative matching.
 */
export function commentContainerId(entry: FirewallEntry): string | undefined {
  if (entry.backend === "nftables") {
    if (entry.kind === "portmap") return entry.key;
    const i = entry.comment.indexOf(", id: ");
    return i >= 0 ? entry.comment.slice(i + 6) : undefined;
  }
  const m = / id: "((?:[^"\\]|\\.)*)"?$/.exec(entry.comment);
  if (m === null) return undefined;
  try {
    return JSON.parse(`"${m[1] ?? ""}"`) as string;
  } catch {
    return m[1];
  }
}

export interface FirewallSnapshot {
  readonly iptables: ReadonlyMap<Family, IptablesState>;
  readonly nft: NftState;
  /** Tools that exist but could not be read (no privilege, broken install): one line each. */
  readonly problems: readonly string[];
}

/**
 * What every backend holds of the plugins' objects (the nat tables of both families, the
 * masquerade and portmap nft tables); never throws.
 */
export async function readFirewall(opts: ApplyOptions = {}): Promise<FirewallSnapshot> {
  const parts: Partial<FirewallSnapshot>[] = [];
  for (const b of ALL_BACKENDS) parts.push(await b.snapshot(opts));
  const nft = new Map<string, NftTableState>();
  for (const p of parts) for (const [k, v] of p.nft ?? []) nft.set(k, v);
  return {
    iptables: new Map(parts.flatMap((p) => [...(p.iptables ?? [])])),
    nft,
    problems: parts.flatMap((p) => p.problems ?? []),
  };
}

/** All entries of a snapshot, both backends. */
export function firewallEntries(s: FirewallSnapshot): FirewallEntry[] {
  const out: FirewallEntry[] = [];
  for (const [family, state] of s.iptables) out.push(...iptablesEntries(family, state));
  out.push(...nftMasqEntries(s.nft.get(nftTableKey(MASQ_NFT_TABLE))));
  for (const family of [4, 6] as const) out.push(...nftPortmapEntries(family, s.nft.get(nftTableKey(portmapNftTable(family)))));
  return out;
}

/** All duplicate jump rules of a snapshot, both backends. */
export function firewallDuplicates(s: FirewallSnapshot): DuplicateRule[] {
  const out: DuplicateRule[] = [];
  for (const [family, state] of s.iptables) out.push(...iptablesDuplicates(family, state));
  out.push(...nftDuplicates(nftTableKey(MASQ_NFT_TABLE), s.nft.get(nftTableKey(MASQ_NFT_TABLE)), [SHARED.masqChecks, SHARED.masqPostrouting]));
  for (const family of [4, 6] as const) {
    const ref = portmapNftTable(family);
    out.push(...nftDuplicates(nftTableKey(ref), s.nft.get(nftTableKey(ref)), [...PORTMAP_NFT_CHAINS, SHARED.hostportsAll]));
  }
  return out;
}
