/**
 * An nft plan resolved against the ruleset read, on a copy of it: the steps of one transaction
 * (handles known, rules already there skipped). Rules are compared as typed data (rule.ts). A
 * rule is deleted only when it is ours (named by an op: equal to a rule of ours, carrying our
 * comment, or our entry jump); anything else found in a chain we keep in shape or remove stays
 * where it is, and the `notes` say so, for stderr.
 */
import { type CommentMatch, type NftDeclared, type NftOp, type NftPlan, type NftRuleSpec, type NftRuleState, type NftState, type NftStep, type NftTableRef, nftTableKey } from "./model.ts";
import { alreadyDeclared } from "./nft-declared.ts";
import { nftListedRuleText } from "./nft-text.ts";
import { ruleJumpTarget, sameRule } from "./rule.ts";
import { checkNftComment, checkNftIdentifier } from "./validate.ts";

interface SimTable {
  chains: Set<string>;
  rules: NftRuleState[];
  /** As the kernel held it when read (netlink only); none for a table the plan adds. */
  readonly declared?: NftDeclared;
}

function matches(comment: string | undefined, m: CommentMatch): boolean {
  if (comment === undefined) return false;
  return "equals" in m ? comment === m.equals : comment.startsWith(m.prefix);
}

const sameSpec = (r: NftRuleState, w: NftRuleSpec): boolean => r.comment === w.comment && sameRule(r.rule, w.rule);

function describe(ref: NftTableRef, r: NftRuleState): string {
  return `${ref.family} ${ref.table} ${r.chain}: handle ${r.handle}: ${nftListedRuleText(r, ref.family)}`;
}

class Simulation {
  readonly steps: NftStep[] = [];
  readonly notes: string[] = [];
  readonly #tables = new Map<string, SimTable>();

  constructor(state: NftState) {
    for (const [key, t] of state) this.#tables.set(key, { chains: new Set(t.chains), rules: [...t.rules], ...(t.declared ? { declared: t.declared } : {}) });
  }

  table(ref: NftTableRef): SimTable {
    const key = nftTableKey(ref);
    let t = this.#tables.get(key);
    if (!t) {
      t = { chains: new Set(), rules: [] };
      this.#tables.set(key, t);
    }
    return t;
  }

  /** Forgets the table; false when it was neither read nor added by the plan. */
  dropTable(ref: NftTableRef): boolean {
    return this.#tables.delete(nftTableKey(ref));
  }

  deleteRule(ref: NftTableRef, rule: NftRuleState): void {
    this.steps.push({ op: "delete-rule", ref, chain: rule.chain, handle: rule.handle });
    const t = this.table(ref);
    t.rules = t.rules.filter((r) => r !== rule);
  }

  addRule(ref: NftTableRef, chain: string, spec: NftRuleSpec): void {
    this.steps.push({ op: "add-rule", ref, chain, rule: spec.rule, ...(spec.comment !== undefined ? { comment: spec.comment } : {}) });
    const target = ruleJumpTarget(spec.rule);
    // Handle -1: rules added in this transaction cannot be deleted by a later op of it.
    this.table(ref).rules.push({ chain, handle: -1, comment: spec.comment, rule: spec.rule, targets: target === undefined ? [] : [target] });
  }

  keptForeign(ref: NftTableRef, why: string, rules: readonly NftRuleState[]): void {
    for (const r of rules) this.notes.push(`${describe(ref, r)} (${why})`);
  }
}

/** The chain's rules of ours become `op.rules` (in order, after whatever else is there). */
function syncRules(sim: Simulation, op: Extract<NftOp, { op: "sync-rules" }>): void {
  const t = sim.table(op.ref);
  const comments = new Set(op.rules.flatMap((w) => (w.comment === undefined ? [] : [w.comment])));
  const inChain = t.rules.filter((r) => r.chain === op.chain);
  const ours = (r: NftRuleState): boolean =>
    op.rules.some((w) => sameSpec(r, w)) || (r.comment !== undefined && comments.has(r.comment)) || (op.ownsJumpTo !== undefined && r.targets.includes(op.ownsJumpTo));
  const owned = inChain.filter(ours);
  const foreign = inChain.filter((r) => !ours(r) && !(op.siblings !== undefined && matches(r.comment, op.siblings)));
  if (foreign.length > 0) sim.keptForeign(op.ref, "another's rule in a chain tscni keeps in shape", foreign);
  const inShape = owned.length === op.rules.length && owned.every((r, i) => sameSpec(r, op.rules[i] as NftRuleSpec));
  if (inShape) return;
  for (const r of owned) if (r.handle >= 0) sim.deleteRule(op.ref, r);
  for (const w of op.rules) sim.addRule(op.ref, op.chain, w);
}

function removeChain(sim: Simulation, op: Extract<NftOp, { op: "remove-chain" | "delete-chain" }>): void {
  const t = sim.table(op.ref);
  if (!t.chains.has(op.chain)) return;
  const owner = op.op === "remove-chain" ? op.owner : undefined;
  const ours = (r: NftRuleState): boolean => owner === undefined || r.comment === owner;
  const inside = t.rules.filter((r) => r.chain === op.chain);
  const jumps = t.rules.filter((r) => r.chain !== op.chain && r.targets.includes(op.chain));
  const foreign = [...inside, ...jumps].filter((r) => !ours(r));
  if (foreign.length > 0) {
    // Deleting the chain would take another's rule with it: only ours go.
    sim.keptForeign(op.ref, `another's rule: chain ${op.chain} stays`, foreign);
    for (const r of [...inside, ...jumps]) if (ours(r) && r.handle >= 0) sim.deleteRule(op.ref, r);
    return;
  }
  // The kernel refuses to delete a chain something still jumps to.
  for (const r of jumps) if (r.handle >= 0) sim.deleteRule(op.ref, r);
  sim.steps.push({ op: "flush-chain", ref: op.ref, chain: op.chain }, { op: "delete-chain", ref: op.ref, chain: op.chain });
  t.chains.delete(op.chain);
  t.rules = t.rules.filter((r) => r.chain !== op.chain);
}

function resolveOp(sim: Simulation, op: NftOp): void {
  checkNftIdentifier("table name", op.ref.table);
  if ("chain" in op) checkNftIdentifier("chain name", op.chain);
  if ("comment" in op && op.comment !== undefined) checkNftComment(op.comment);
  switch (op.op) {
    // What already exists exactly as declared is not declared again (nft-declared.ts).
    case "add-table":
      if (!alreadyDeclared(op, sim.table(op.ref).declared, new Set())) sim.steps.push(op);
      return;
    case "add-chain": {
      const t = sim.table(op.ref);
      if (!alreadyDeclared(op, t.declared, t.chains)) sim.steps.push(op);
      t.chains.add(op.chain);
      return;
    }
    case "flush-chain": {
      sim.steps.push(op);
      const t = sim.table(op.ref);
      t.rules = t.rules.filter((r) => r.chain !== op.chain);
      return;
    }
    case "add-rule": {
      const spec = { rule: op.rule, ...(op.comment !== undefined ? { comment: op.comment } : {}) };
      if (op.unique && sim.table(op.ref).rules.some((r) => r.chain === op.chain && sameSpec(r, spec))) return;
      sim.addRule(op.ref, op.chain, spec);
      return;
    }
    case "sync-rules":
      for (const w of op.rules) if (w.comment !== undefined) checkNftComment(w.comment);
      return syncRules(sim, op);
    case "delete-rules": {
      for (const c of op.chains) checkNftIdentifier("chain name", c);
      for (const r of [...sim.table(op.ref).rules]) {
        if (r.handle >= 0 && op.chains.includes(r.chain) && matches(r.comment, op.match)) sim.deleteRule(op.ref, r);
      }
      return;
    }
    case "delete-rule": {
      const rule = sim.table(op.ref).rules.find((r) => r.chain === op.chain && r.handle === op.handle);
      if (rule) sim.deleteRule(op.ref, rule);
      return;
    }
    case "delete-table":
      if (sim.dropTable(op.ref)) sim.steps.push(op);
      return;
    case "remove-chain":
    case "delete-chain":
      return removeChain(sim, op);
  }
}

/** The steps that bring `state` to what `plan` asks for, and what was left in place that is not ours. */
export function resolveNftPlan(plan: NftPlan, state: NftState): { steps: NftStep[]; notes: string[] } {
  const sim = new Simulation(state);
  for (const op of plan.ops) resolveOp(sim, op);
  return { steps: sim.steps, notes: sim.notes };
}
