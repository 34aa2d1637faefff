/**
 * Renders an nft plan to one `nft -f -` transaction for nft 1.0.6, against the tables read with
 * `nft -a list table`. nft 1.0.6 has no `destroy`: deleting a missing rule or chain aborts the
 * transaction, and rules can only be deleted by handle, so every deletion is resolved here from
 * the listing. `add rule` always appends, so rules meant to be unique are skipped when an
 * identical one (same chain, statement text and comment) is listed.
 */
import {
  type CommentMatch,
  type NftOp,
  type NftPlan,
  type NftRuleState,
  type NftState,
  type NftStep,
  type NftTableRef,
  type NftTableState,
  nftTableKey,
} from "./model.ts";
import { nftString } from "./quote.ts";
import { checkNftComment, checkNftIdentifier } from "./validate.ts";

const RULE_LINE = /^\s*(.*?)(?: comment "([^"]*)")? # handle (\d+)$/;
const CHAIN_OPEN = /^\s*chain (\S+) \{/;
const BLOCK_OPEN = /\{(?:\s*#.*)?$/;

/** Reads the text of `nft -a list table <family> <name>`: chains, and each rule's handle. */
export function parseNftList(text: string): NftTableState {
  const chains = new Set<string>();
  const rules: NftRuleState[] = [];
  let chain: string | undefined;
  let depth = 0;
  for (const line of text.split("\n")) {
    const trimmed = line.trim();
    if (trimmed === "}") {
      depth--;
      if (depth <= 1) chain = undefined;
      continue;
    }
    const open = CHAIN_OPEN.exec(line);
    if (open && depth === 1) {
      chain = open[1] ?? "";
      chains.add(chain);
      depth++;
      continue;
    }
    if (BLOCK_OPEN.test(trimmed)) {
      depth++;
      continue;
    }
    if (chain === undefined || depth !== 2) continue;
    const m = RULE_LINE.exec(line);
    if (!m) continue;
    const expr = m[1] ?? "";
    rules.push({ chain, handle: Number(m[3]), comment: m[2], expr, targets: jumpTargets(expr) });
  }
  return { chains, rules };
}

function jumpTargets(expr: string): string[] {
  const tokens = expr.split(/\s+/);
  const out: string[] = [];
  tokens.forEach((t, i) => {
    const next = tokens[i + 1];
    if ((t === "jump" || t === "goto") && next !== undefined) out.push(next);
  });
  return out;
}

function matches(comment: string | undefined, m: CommentMatch): boolean {
  if (comment === undefined) return false;
  return "equals" in m ? comment === m.equals : comment.startsWith(m.prefix);
}

function where(ref: NftTableRef): string {
  return `${ref.family} ${ref.table}`;
}

class Simulation {
  readonly steps: NftStep[] = [];
  private readonly tables = new Map<string, { chains: Set<string>; rules: NftRuleState[] }>();

  constructor(state: NftState) {
    for (const [key, t] of state) this.tables.set(key, { chains: new Set(t.chains), rules: [...t.rules] });
  }

  table(ref: NftTableRef): { chains: Set<string>; rules: NftRuleState[] } {
    const key = nftTableKey(ref);
    let t = this.tables.get(key);
    if (!t) {
      t = { chains: new Set(), rules: [] };
      this.tables.set(key, t);
    }
    return t;
  }

  /** Forgets the table; false when it was neither read nor added by the plan. */
  dropTable(ref: NftTableRef): boolean {
    return this.tables.delete(nftTableKey(ref));
  }

  deleteRule(ref: NftTableRef, rule: NftRuleState): void {
    this.steps.push({ op: "delete-rule", ref, chain: rule.chain, handle: rule.handle });
    const t = this.table(ref);
    t.rules = t.rules.filter((r) => r !== rule);
  }
}

function baseSpec(step: Extract<NftStep, { op: "add-chain" }>): string {
  const parts: string[] = [];
  if (step.base) {
    parts.push(`type ${step.base.type} hook ${step.base.hook} priority ${step.base.priority} ;`);
    if (step.base.policy) parts.push(`policy ${step.base.policy} ;`);
  }
  if (step.comment !== undefined) parts.push(`comment ${nftString(checkNftComment(step.comment))} ;`);
  return parts.length > 0 ? ` { ${parts.join(" ")} }` : "";
}

function stepText(step: NftStep): string {
  const at = `${where(step.ref)}`;
  switch (step.op) {
    case "add-table":
      return `add table ${at}${step.comment !== undefined ? ` { comment ${nftString(checkNftComment(step.comment))} ; }` : ""}`;
    case "add-chain":
      return `add chain ${at} ${step.chain}${baseSpec(step)}`;
    case "flush-chain":
      return `flush chain ${at} ${step.chain}`;
    case "add-rule":
      return `add rule ${at} ${step.chain} ${step.expr.join(" ")}${step.comment !== undefined ? ` comment ${nftString(checkNftComment(step.comment))}` : ""}`;
    case "delete-rule":
      return `delete rule ${at} ${step.chain} handle ${step.handle}`;
    case "delete-chain":
      return `delete chain ${at} ${step.chain}`;
    case "delete-table":
      return `delete table ${at}`;
  }
}

function renderOp(sim: Simulation, op: NftOp): void {
  checkNftIdentifier("table name", op.ref.table);
  if ("chain" in op) checkNftIdentifier("chain name", op.chain);
  if ("comment" in op && op.comment !== undefined) checkNftComment(op.comment);
  switch (op.op) {
    case "add-table":
      sim.steps.push(op);
      sim.table(op.ref);
      return;
    case "add-chain":
      sim.steps.push(op);
      sim.table(op.ref).chains.add(op.chain);
      return;
    case "flush-chain": {
      sim.steps.push(op);
      const t = sim.table(op.ref);
      t.rules = t.rules.filter((r) => r.chain !== op.chain);
      return;
    }
    case "add-rule": {
      const expr = op.expr.join(" ");
      const t = sim.table(op.ref);
      if (op.unique && t.rules.some((r) => r.chain === op.chain && r.expr === expr && r.comment === op.comment)) return;
      sim.steps.push(op);
      // Handle -1: rules added in this transaction cannot be deleted by a later op of it.
      t.rules.push({ chain: op.chain, handle: -1, comment: op.comment, expr, targets: jumpTargets(expr) });
      return;
    }
    case "delete-rules": {
      for (const c of op.chains) checkNftIdentifier("chain name", c);
      const t = sim.table(op.ref);
      for (const r of [...t.rules]) {
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
    case "delete-chain": {
      const t = sim.table(op.ref);
      if (!t.chains.has(op.chain)) return;
      // The kernel refuses to delete a chain something still jumps to.
      for (const r of [...t.rules]) if (r.handle >= 0 && r.targets.includes(op.chain) && r.chain !== op.chain) sim.deleteRule(op.ref, r);
      sim.steps.push({ op: "flush-chain", ref: op.ref, chain: op.chain }, { op: "delete-chain", ref: op.ref, chain: op.chain });
      t.chains.delete(op.chain);
      t.rules = t.rules.filter((r) => r.chain !== op.chain);
      return;
    }
  }
}

/** The steps that bring `state` to what `plan` asks for (none when nothing is needed). */
export function planNftSteps(plan: NftPlan, state: NftState): NftStep[] {
  const sim = new Simulation(state);
  for (const op of plan.ops) renderOp(sim, op);
  return sim.steps;
}

/** The `nft -f -` input that brings `state` to what `plan` asks for, or "" when nothing is needed. */
export function renderNft(plan: NftPlan, state: NftState): string {
  return renderNftSteps(planNftSteps(plan, state));
}

/** `nft -f -` input for steps already resolved ("" for none). */
export function renderNftSteps(steps: readonly NftStep[]): string {
  return steps.length > 0 ? `${steps.map(stepText).join("\n")}\n` : "";
}

/** The tables whose current content the plan depends on (to resolve handles or skip duplicates). */
export function tablesToRead(plan: NftPlan): NftTableRef[] {
  const seen = new Map<string, NftTableRef>();
  for (const op of plan.ops) {
    const needs = op.op !== "add-table" && op.op !== "add-chain" && op.op !== "flush-chain" && (op.op !== "add-rule" || op.unique === true);
    if (needs) seen.set(nftTableKey(op.ref), op.ref);
  }
  return [...seen.values()];
}

/** For CHECK: how many rules of `chain` carry exactly this comment. */
export function countRulesWithComment(state: NftTableState | undefined, chain: string, comment: string): number {
  return (state?.rules ?? []).filter((r) => r.chain === chain && r.comment === comment).length;
}
