/**
 * The iptables layout as the operator tools see it: each family's nat table turned into
 * backend-neutral entries (masquerade chains jumped to from POSTROUTING, DNAT chains jumped to
 * from CNI-HOSTPORT-DNAT), duplicate jumps, and GC transactions (one batch per family).
 */
import { applyIptablesEach } from "./apply.ts";
import type { DuplicateRule, FirewallEntry, FirewallKind, FirewallView, GcItem, GcTransaction, NetworkKeep } from "./backend.ts";
import { staleDnatChains } from "./gc.ts";
import { ruleComment, ruleTarget } from "./iptables.ts";
import { hasUnknownPart, ownedInChain, ownedJump } from "./iptables-owned.ts";
import { staleMasqChains } from "./masq-gc.ts";
import type { Family, IptablesOp, IptablesState } from "./model.ts";
import { parseRuleArgs } from "./rule-parse.ts";
import { CNI_CHAIN_PREFIX, DNAT_CHAIN_PREFIX, IPTABLES_ENTRY_CHAINS, MASQ_CHAIN, portmapDnatChainName, SHARED } from "./names.ts";

const BACKEND = "iptables";

function familyName(family: Family): string {
  return family === 4 ? "ipv4" : "ipv6";
}

/** The container ID in a masquerade or portmap comment (`… id: "<id>"`), as far as the 255-byte limit kept it. */
function commentId(comment: string): string | undefined {
  const m = / id: "((?:[^"\\]|\\.)*)"?$/.exec(comment);
  if (m === null) return undefined;
  try {
    return JSON.parse(`"${m[1] ?? ""}"`) as string;
  } catch {
    return m[1];
  }
}

/** Masquerade chains jumped to from POSTROUTING and DNAT chains jumped to from CNI-HOSTPORT-DNAT. */
export function iptablesEntries(family: Family, state: IptablesState): FirewallEntry[] {
  const found = new Map<string, FirewallEntry>();
  const scan = (chain: string, kind: FirewallKind, isOurs: (t: string) => boolean): void => {
    for (const rule of state.rules.get(chain) ?? []) {
      const target = ruleTarget(rule);
      if (target === undefined || !isOurs(target) || found.has(target)) continue;
      const comment = ruleComment(rule) ?? "";
      found.set(target, { backend: BACKEND, kind, where: familyName(family), key: target, comment, containerId: commentId(comment) });
    }
  };
  scan("POSTROUTING", "masquerade", (t) => MASQ_CHAIN.test(t));
  scan(SHARED.hostportDnat, "portmap", (t) => t.startsWith(DNAT_CHAIN_PREFIX));
  return [...found.values()];
}

const ruleText = (rule: readonly string[]): string => rule.map((t) => (/[\s"\\]/.test(t) ? JSON.stringify(t) : t)).join(" ");

/**
 * What sits in or beside the plugins' chains without being the plugins' (iptables-owned.ts, the
 * line ADD and DEL draw too): in a per-attachment chain a rule the plugins do not write there
 * (or one with a part tscni cannot read), a jump into one from elsewhere, and chains named like
 * the plugins' that no CNI jump reaches. `tainted`: the chains GC must leave alone because of it.
 */
function iptablesForeign(family: Family, state: IptablesState): { foreign: string[]; tainted: Set<string> } {
  const where = `${familyName(family)} nat`;
  const foreign: string[] = [];
  const tainted = new Set<string>();
  const entries = iptablesEntries(family, state);
  const ours = new Set(entries.map((e) => e.key));
  for (const e of entries) {
    for (const rule of state.rules.get(e.key) ?? []) {
      const model = parseRuleArgs(rule);
      if (ownedInChain(e.key, model)) continue;
      foreign.push(`${where} ${e.key}: ${hasUnknownPart(model) ? "a rule tscni cannot read" : "a rule not written by the plugin"}: ${ruleText(rule)}`);
      tainted.add(e.key);
    }
  }
  for (const [from, rules] of state.rules) {
    for (const rule of rules) {
      const target = ruleTarget(rule);
      if (target === undefined || !ours.has(target) || ownedJump(from, target, parseRuleArgs(rule))) continue;
      foreign.push(`${where} ${from}: a rule not written by the plugin jumps to ${target}: ${ruleText(rule)}`);
      tainted.add(target);
    }
  }
  for (const chain of state.chains) {
    if ((MASQ_CHAIN.test(chain) || chain.startsWith(DNAT_CHAIN_PREFIX)) && !ours.has(chain)) {
      foreign.push(`${where} chain ${chain}: named like the plugins' chains, but no CNI rule jumps to it`);
    }
  }
  return { foreign, tainted };
}

/** The chains GC must not remove from each family's state: they hold something foreign. */
export function iptablesTainted(states: ReadonlyMap<Family, IptablesState>): Map<Family, ReadonlySet<string>> {
  return new Map([...states].map(([family, state]) => [family, iptablesForeign(family, state).tainted]));
}

/** Jump rules into CNI chains that appear more than once, verbatim, in the chains that hook them in. */
function iptablesDuplicates(family: Family, state: IptablesState): DuplicateRule[] {
  const out: DuplicateRule[] = [];
  for (const chain of IPTABLES_ENTRY_CHAINS) {
    const counts = new Map<string, number>();
    for (const rule of state.rules.get(chain) ?? []) {
      // Only CNI chains: other software's duplicates are not ours to judge.
      if (!ruleTarget(rule)?.startsWith(CNI_CHAIN_PREFIX)) continue;
      const text = ruleText(rule);
      counts.set(text, (counts.get(text) ?? 0) + 1);
    }
    const fix = `delete the extra copies (iptables -t nat -D ${chain} …); the plugin's DEL removes only one`;
    for (const [rule, count] of counts) if (count > 1) out.push({ where: familyName(family), chain, rule, count, fix });
  }
  return out;
}

/** GC: each family's stale masquerade and DNAT chains of the networks, removed in one batch per family. */
function planGc(states: ReadonlyMap<Family, IptablesState>, networks: readonly NetworkKeep[]): GcTransaction {
  const tainted = iptablesTainted(states);
  const items: GcItem[] = [];
  const familyOf = new Map<GcItem, Family>();
  const ops = new Map<Family, IptablesOp[]>();
  for (const { network, keep } of networks) {
    const ids = [...new Set(keep.map((k) => k.containerId))];
    for (const [family, state] of states) {
      const entries = new Map(iptablesEntries(family, state).map((e) => [e.key, e]));
      const chains = [
        ...staleMasqChains(state, network, ids),
        ...staleDnatChains(state, network, new Set(ids.map((id) => portmapDnatChainName(network, id)))),
      ];
      for (const chain of chains) {
        const entry = entries.get(chain);
        // A chain holding what is not the plugin's stays: doctor names it, the operator decides.
        if (entry === undefined || tainted.get(family)?.has(chain)) continue;
        const item = { network, entry, containerId: entry.containerId ?? "?" };
        items.push(item);
        familyOf.set(item, family);
        ops.set(family, [...(ops.get(family) ?? []), { op: "remove-chain", chain }]);
      }
    }
  }
  return {
    items,
    async apply(opts = {}) {
      const failed = new Map<GcItem, string>();
      for (const o of await applyIptablesEach([...ops].map(([family, o]) => ({ family, ops: o })), opts)) {
        if (o.error === undefined) continue;
        for (const i of items) if (familyOf.get(i) === o.family) failed.set(i, o.error.message);
      }
      return failed;
    },
  };
}

export function iptablesView(states: ReadonlyMap<Family, IptablesState>, problems: readonly string[] = []): FirewallView {
  return {
    backend: BACKEND,
    entries: [...states].flatMap(([family, state]) => iptablesEntries(family, state)),
    duplicates: [...states].flatMap(([family, state]) => iptablesDuplicates(family, state)),
    foreign: [...states].flatMap(([family, state]) => iptablesForeign(family, state).foreign),
    problems,
    planGc: (networks) => planGc(states, networks),
  };
}

