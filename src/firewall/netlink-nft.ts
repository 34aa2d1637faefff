/**
 * The nf_tables netlink backend's nft half: nft tables read into the plans' shape (chains, rules
 * with handle, comment, typed rule and jump targets) and nft plans written as one batch. Loaded
 * by netlink.ts only for calls that touch nft tables, so the iptables layout's calls (a
 * masquerading bridge ADD) do not load the nft compiler, decoder and planner.
 */
import type { Request } from "../netlink/message.ts";
import { delChainRequest, delRuleRequest, delTableRequest, flushChainRequest, newChainRequest, newRuleRequest, newTableRequest, type NftRule } from "../netlink/nft/messages.ts";
import { type NftSession, type Ruleset, transact } from "../netlink/nft/session.ts";
import { find } from "../plain-array.ts";
import type { NftPlan, NftRuleState, NftState, NftStep, NftTableRef, NftTableState } from "./model.ts";
import { nftTableKey } from "./model.ts";
import { compileRule, hookSpec } from "./nft-compile.ts";
import { declaredFromKernel } from "./nft-declared.ts";
import { decodeNftRule } from "./nft-decode.ts";
import { NFPROTO, ruleTargets, tableRef } from "./netlink-state.ts";
import { planNftSteps } from "./nftables.ts";
import { nftReadScope } from "./read-scope.ts";

function ruleState(r: NftRule): NftRuleState {
  return {
    chain: r.chain,
    handle: Number(r.handle),
    comment: r.comment,
    rule: decodeNftRule(r.family, r.exprs),
    targets: ruleTargets(r.exprs),
  };
}

export function nftStateOf(refs: readonly NftTableRef[], rs: Ruleset): NftState {
  const state = new Map<string, NftTableState>();
  for (const ref of refs) {
    const t = tableRef(ref);
    const table = find(rs.tables, (x) => x.family === t.family && x.name === t.name);
    if (table === undefined) continue;
    const held = rs.chains.filter((c) => c.family === t.family && c.table === t.name);
    const rules = rs.rules.filter((r) => r.family === t.family && r.table === t.name).map(ruleState);
    state.set(nftTableKey(ref), { chains: new Set(held.map((c) => c.name)), rules, declared: declaredFromKernel(table.flags, held) });
  }
  return state;
}

export function readNftOver(s: NftSession, refs: readonly NftTableRef[]): NftState {
  return nftStateOf(refs, s.read(refs.map((r) => tableRef(r))));
}

function stepRequest(step: NftStep): Request | undefined {
  const t = tableRef(step.ref);
  switch (step.op) {
    case "add-table":
      return newTableRequest(t.family, t.name, step.comment);
    case "add-chain":
      return newChainRequest({ family: t.family, table: t.name, name: step.chain, ...(step.base ? hookSpec(step.base) : {}), ...(step.comment !== undefined ? { comment: step.comment } : {}) });
    case "flush-chain":
      return flushChainRequest(t.family, t.name, step.chain);
    case "delete-rule":
      return delRuleRequest(t.family, t.name, step.chain, BigInt(step.handle));
    case "delete-chain":
      return delChainRequest(t.family, t.name, step.chain);
    case "delete-table":
      return delTableRequest(t.family, t.name);
    case "add-rule": {
      const exprs = compileRule(NFPROTO[step.ref.family], step.rule);
      return exprs === undefined ? undefined : newRuleRequest(t.family, t.name, step.chain, exprs, step.comment);
    }
  }
}

/** The plan's steps as netlink messages, or undefined when one of them needs nft's own parser. */
function nftRequests(steps: readonly NftStep[]): Request[] | undefined {
  const out: Request[] = [];
  for (const s of steps) {
    const r = stepRequest(s);
    if (r === undefined) return undefined;
    out.push(r);
  }
  return out;
}

/** The state without what lets a plan leave out declaring tables and chains again. */
function undeclared(state: NftState): NftState {
  return new Map([...state].map(([k, t]) => [k, { chains: t.chains, rules: t.rules }]));
}

/**
 * Applies an nft plan as one netlink batch and returns undefined; or, when a step cannot be
 * expressed here, changes nothing and returns the steps it planned, for `nft -f -` (planned once,
 * from this read, under the caller's lock). `kept`: what those steps leave in place for another tool.
 */
export function applyNftOver(s: NftSession, plan: NftPlan, refs: readonly NftTableRef[], kept: string[] = []): readonly NftStep[] | undefined {
  let unsent: NftStep[] | undefined;
  let notes: string[] = [];
  transact(s, refs.map((r) => tableRef(r, nftReadScope(plan, r))), (rs) => {
    notes = [];
    const state = nftStateOf(refs, rs);
    const reqs = nftRequests(planNftSteps(plan, state, notes));
    if (reqs !== undefined) {
      unsent = undefined;
      return reqs;
    }
    // `nft -f -` is not tied to this read's generation: there every table and chain is declared.
    notes = [];
    unsent = planNftSteps(plan, undeclared(state), notes);
    return [];
  });
  // Only the attempt that went in (or was handed back for `nft -f -`) counts.
  kept.push(...notes);
  return unsent;
}
