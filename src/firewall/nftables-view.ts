/**
 * The nftables layout as the operator tools see it: the masquerade table's instances and the
 * portmap tables' container IDs as backend-neutral entries, duplicate rules, and GC as one nft
 * transaction.
 */
import { applyNft } from "./apply.ts";
import { type DuplicateRule, errorText, type FirewallEntry, type FirewallView, type GcItem, type GcTransaction, type NetworkKeep } from "./backend.ts";
import { nftPortmapIds, stalePortmapNft } from "./gc.ts";
import { deleteNftMasqInstance, type MasqGcRequest, nftMasqCommentId, nftMasqInstances, staleNftMasqInstances } from "./masq-gc.ts";
import { type NftOp, type NftRuleSpec, type NftRuleState, type NftState, type NftTableState, nftTableKey } from "./model.ts";
import { isForeign } from "./nft-decode.ts";
import { HOSTPORTS_ALL_RULES, MASQ_POSTROUTING_RULES } from "./nftables-plans.ts";
import { sameRule } from "./rule.ts";
import { nftListedRuleText } from "./nft-text.ts";
import { MASQ_NFT_TABLE, NFT_MASQ_INSTANCE, PORTMAP_NFT_CHAINS, portmapNftTable, SHARED } from "./names.ts";

const BACKEND = "nftables";
const MASQ_WHERE = nftTableKey(MASQ_NFT_TABLE);
/** The portmap tables, one a family, as state keys. */
const PORTMAP_TABLES = ([4, 6] as const).map((family) => ({ family, where: nftTableKey(portmapNftTable(family)) }));

function masqEntries(table: NftTableState | undefined): FirewallEntry[] {
  return [...nftMasqInstances(table)].map(([key, comment]) => ({
    backend: BACKEND,
    kind: "masquerade",
    where: MASQ_WHERE,
    key,
    comment,
    containerId: nftMasqCommentId(comment),
  }));
}

function portmapEntries(state: NftState): FirewallEntry[] {
  return PORTMAP_TABLES.flatMap(({ where }) =>
    [...nftPortmapIds(state.get(where))].map((key) => ({ backend: BACKEND, kind: "portmap" as const, where, key, comment: key, containerId: key })),
  );
}

/** Rules listed more than once with the same statement and comment. */
function duplicates(where: string, table: NftTableState | undefined, chains: readonly string[]): DuplicateRule[] {
  const counts = new Map<string, { chain: string; rule: string; count: number }>();
  for (const r of table?.rules ?? []) {
    if (!chains.includes(r.chain)) continue;
    const rule = nftListedRuleText(r);
    const k = `${r.chain}\n${rule}`;
    const c = counts.get(k);
    if (c) c.count++;
    else counts.set(k, { chain: r.chain, rule, count: 1 });
  }
  const fix = (chain: string): string => `delete the extra copies (nft -a list chain ${where} ${chain}, then nft delete rule … handle N); the plugin's DEL removes only one`;
  return [...counts.values()].filter((c) => c.count > 1).map((c) => ({ where, ...c, fix: fix(c.chain) }));
}

/** A rule with an expression the decoder does not know: tscni cannot tell what it does. */
const unreadable = (r: NftRuleState): boolean => isForeign(r.rule);

const fixedRule = (rules: readonly NftRuleSpec[]) => (r: NftRuleState): boolean => r.comment === undefined && rules.some((w) => sameRule(r.rule, w.rule));
const entryRule = (r: NftRuleState): boolean => r.targets.includes(SHARED.hostportsAll);

/**
 * The plugins' uncommented rules, by chain ("<where> <chain>"): every other rule there is another
 * tool's. An entry rule is anything jumping to hostports_all (its conditions are the user's).
 */
const FIXED: ReadonlyMap<string, (r: NftRuleState) => boolean> = new Map([
  [`${MASQ_WHERE} ${SHARED.masqPostrouting}`, fixedRule(MASQ_POSTROUTING_RULES)],
  ...PORTMAP_TABLES.flatMap(({ where }): [string, (r: NftRuleState) => boolean][] => [
    [`${where} ${SHARED.hostportsAll}`, fixedRule(HOSTPORTS_ALL_RULES)],
    [`${where} ${SHARED.hostportPrerouting}`, entryRule],
    [`${where} ${SHARED.hostportOutput}`, entryRule],
  ]),
]);

/** Our tables: the chains the layout has, and those whose every rule carries an owner's comment. */
const LAYOUT: readonly { where: string; chains: readonly string[]; commented: readonly string[] }[] = [
  { where: MASQ_WHERE, chains: [SHARED.masqChecks, SHARED.masqPostrouting], commented: [SHARED.masqChecks] },
  ...PORTMAP_TABLES.map(({ where }) => ({
    where,
    chains: [...PORTMAP_NFT_CHAINS, SHARED.hostportsAll, SHARED.hostportPrerouting, SHARED.hostportOutput],
    commented: PORTMAP_NFT_CHAINS,
  })),
];

/**
 * What sits in the plugins' tables without being the plugins': chains the layout does not have
 * (another tool's), uncommented rules where every rule of the plugins names its owner, and rules
 * tscni cannot read. `tainted`: the masquerade instances and portmap container IDs GC must leave
 * alone because of it.
 */
function nftForeign(state: NftState): { foreign: string[]; tainted: Set<string>; taintedIds: Set<string> } {
  const foreign: string[] = [];
  const tainted = new Set<string>();
  const taintedIds = new Set<string>();
  for (const { where, chains, commented } of LAYOUT) {
    const table = state.get(where);
    for (const chain of table?.chains ?? []) if (!chains.includes(chain)) foreign.push(`${where}: chain ${chain} is not the plugins'`);
    for (const r of table?.rules ?? []) {
      if (!chains.includes(r.chain)) continue;
      const fixed = FIXED.get(`${where} ${r.chain}`);
      // An entry rule carries the user's conditions, which the model keeps opaque: its jump makes it ours.
      if (fixed === entryRule && entryRule(r)) continue;
      if (unreadable(r)) {
        foreign.push(`${where} ${r.chain}: a rule tscni cannot read (handle ${r.handle}): ${nftListedRuleText(r)}`);
        if (r.comment === undefined) continue;
        if (where !== MASQ_WHERE) taintedIds.add(r.comment);
        const instance = where === MASQ_WHERE ? NFT_MASQ_INSTANCE.exec(r.comment)?.[0] : undefined;
        if (instance !== undefined) tainted.add(instance);
      } else if (
        (commented.includes(r.chain) && (r.comment === undefined || (where === MASQ_WHERE && !NFT_MASQ_INSTANCE.test(r.comment)))) ||
        (fixed !== undefined && !fixed(r))
      ) {
        foreign.push(`${where} ${r.chain}: a rule not written by the plugins (handle ${r.handle}): ${nftListedRuleText(r)}`);
      }
    }
  }
  return { foreign, tainted, taintedIds };
}

/**
 * The masquerade instances of `req.network` GC deletes: those no kept attachment owns, but for
 * one holding a rule tscni cannot read (doctor names it, the operator decides). `tainted`: from
 * nftForeign, when the caller has it already.
 */
export function deletableNftMasqInstances(state: NftState, req: MasqGcRequest, tainted: ReadonlySet<string> = nftForeign(state).tainted): string[] {
  return staleNftMasqInstances(state.get(MASQ_WHERE), req).filter((prefix) => !tainted.has(prefix));
}

/** GC: stale masquerade instances of the networks and, with `keepIds`, portmap rules of IDs kept nowhere; one transaction. */
function planGc(state: NftState, networks: readonly NetworkKeep[], keepIds?: ReadonlySet<string>): GcTransaction {
  const items: GcItem[] = [];
  const ops: NftOp[] = [];
  const masq = state.get(MASQ_WHERE);
  const byKey = new Map(masqEntries(masq).map((e) => [e.key, e]));
  const { tainted, taintedIds } = nftForeign(state);
  for (const { network, keep } of networks) {
    for (const prefix of deletableNftMasqInstances(state, { network, valid: keep }, tainted)) {
      const entry = byKey.get(prefix);
      if (entry === undefined) continue;
      items.push({ network, entry, containerId: entry.containerId ?? "?" });
      ops.push(deleteNftMasqInstance(prefix));
    }
  }
  if (keepIds !== undefined) {
    const entries = portmapEntries(state);
    for (const s of stalePortmapNft(keepIds, state)) {
      if (taintedIds.has(s.id)) continue;
      const where = nftTableKey(portmapNftTable(s.family));
      const entry = entries.find((e) => e.where === where && e.key === s.id);
      if (entry !== undefined) items.push({ network: "*", entry, containerId: s.id });
      ops.push(s.op);
    }
  }
  return {
    items,
    async apply(opts = {}) {
      const failed = new Map<GcItem, string>();
      if (ops.length === 0) return failed;
      try {
        await applyNft({ ops }, opts);
      } catch (err) {
        for (const i of items) failed.set(i, errorText(err));
      }
      return failed;
    },
  };
}

export function nftablesView(state: NftState, problems: readonly string[] = []): FirewallView {
  const masq = state.get(MASQ_WHERE);
  const portmapDuplicates = PORTMAP_TABLES.flatMap(({ where }) => duplicates(where, state.get(where), [...PORTMAP_NFT_CHAINS, SHARED.hostportsAll]));
  return {
    backend: BACKEND,
    entries: [...masqEntries(masq), ...portmapEntries(state)],
    duplicates: [...duplicates(MASQ_WHERE, masq, [SHARED.masqChecks, SHARED.masqPostrouting]), ...portmapDuplicates],
    foreign: nftForeign(state).foreign,
    problems,
    planGc: (networks, keepIds) => planGc(state, networks, keepIds),
  };
}

export function describeNftEntry(e: Pick<FirewallEntry, "kind" | "where" | "key">, containerId: string): string {
  if (e.kind === "portmap") return `nft portmap rules of ${containerId} (${e.where})`;
  return `nft masquerade rules ${e.key} (${e.where}) of ${containerId}`;
}
