/**
 * The firewall state read over NETLINK_NETFILTER, in the shapes the plans were written against:
 * an iptables-nft `nat` table as `iptables-save` tokens (with each rule's handle), and the table
 * references both layouts read through (nft tables in the plans' shape: netlink-nft.ts). One
 * consistent read (one generation) per call; no tool is exec'd.
 */
import { NFPROTO_BRIDGE, NFPROTO_INET, NFPROTO_IPV4, NFPROTO_IPV6 } from "../netlink/nft/constants.ts";
import { some } from "../plain-array.ts";
import { type Expr, readVerdict } from "../netlink/nft/expr.ts";
import type { NftSession, Ruleset, TableRef } from "../netlink/nft/session.ts";
import type { Family, IptablesState, NftFamily, NftTableRef, RuleArgs } from "./model.ts";
import { xtRuleArgs } from "./xt-decode.ts";

export const NFPROTO: Readonly<Record<NftFamily, number>> = { ip: NFPROTO_IPV4, ip6: NFPROTO_IPV6, inet: NFPROTO_INET, bridge: NFPROTO_BRIDGE };

/** `chains`: read only these chains' rules (undefined: every chain's). */
export function iptablesTable(family: Family, chains?: TableRef["chains"]): TableRef {
  return { family: family === 4 ? NFPROTO_IPV4 : NFPROTO_IPV6, name: "nat", ...(chains !== undefined ? { chains } : {}) };
}

export function tableRef(ref: NftTableRef, chains?: readonly string[]): TableRef {
  return { family: NFPROTO[ref.family], name: ref.table, ...(chains !== undefined ? { chains } : {}) };
}

/** An iptables state that also knows each rule's handle (same order as `rules`). */
export interface NetlinkIptablesState extends IptablesState {
  readonly handles: ReadonlyMap<string, readonly bigint[]>;
  readonly tableExists: boolean;
}

const BUILTIN_CHAINS = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"];

/**
 * The table as iptables-save would print it. Spelling rules costs time on big tables (kube-proxy
 * keeps thousands), so with `onlyChains` only those chains' rules are spelled; the others are
 * listed as chains without rules.
 */
export function iptablesStateOf(family: Family, rs: Ruleset, onlyChains?: readonly string[]): NetlinkIptablesState {
  const ref = iptablesTable(family);
  const chains = new Set<string>(BUILTIN_CHAINS);
  const rules = new Map<string, RuleArgs[]>();
  const handles = new Map<string, bigint[]>();
  for (const c of rs.chains) if (c.family === ref.family && c.table === ref.name) chains.add(c.name);
  for (const r of rs.rules) {
    if (r.family !== ref.family || r.table !== ref.name) continue;
    if (onlyChains !== undefined && !onlyChains.includes(r.chain)) continue;
    const list = rules.get(r.chain) ?? [];
    list.push(xtRuleArgs(ref.family, r.exprs));
    rules.set(r.chain, list);
    const h = handles.get(r.chain) ?? [];
    h.push(r.handle);
    handles.set(r.chain, h);
  }
  const tableExists = some(rs.tables, (t) => t.family === ref.family && t.name === ref.name);
  return { chains, rules, handles, tableExists };
}

/** Chains a rule jumps or goes to, from its verdicts. */
export function ruleTargets(exprs: readonly Expr[]): string[] {
  const out: string[] = [];
  for (const e of exprs) {
    const chain = readVerdict(e)?.chain;
    if (chain !== undefined) out.push(chain);
  }
  return out;
}

export function readIptablesOver(s: NftSession, family: Family, onlyChains?: readonly string[]): NetlinkIptablesState {
  return iptablesStateOf(family, s.read([iptablesTable(family, onlyChains)]), onlyChains);
}
