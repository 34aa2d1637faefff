/**
 * Resolves an nft plan against the tables read (netlink dump, or `nft -a list table`) into the
 * steps of one transaction, and renders them as `nft -f -` input for nft 1.0.6. nft 1.0.6 has
 * no `destroy`: deleting a missing rule or chain aborts the transaction, and rules can only be
 * deleted by handle, so every deletion is resolved here from the listing. `add rule` always
 * appends, so rules meant to be unique are skipped when an equal one (same chain, typed rule
 * and comment) is listed. Rules that are not ours are never deleted: a chain we keep in shape
 * is changed around them, and the caller is told which (nft-resolve.ts).
 */
import {
  type NftPlan,
  type NftRuleState,
  type NftState,
  type NftStep,
  type NftTableRef,
  type NftTableState,
  nftTableKey,
} from "./model.ts";
import { resolveNftPlan } from "./nft-resolve.ts";
import { nftRuleText, parseNftText } from "./nft-text.ts";
import { nftString } from "./quote.ts";
import { checkNftComment } from "./validate.ts";

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
    // A comment may hold `{` and `#` (nft strings have no escapes, so none holds `"`): not a block.
    if (BLOCK_OPEN.test(trimmed.replace(/"[^"]*"/g, '""'))) {
      depth++;
      continue;
    }
    if (chain === undefined || depth !== 2) continue;
    const m = RULE_LINE.exec(line);
    if (!m) continue;
    const expr = m[1] ?? "";
    rules.push({ chain, handle: Number(m[3]), comment: m[2], rule: parseNftText(expr), targets: jumpTargets(expr) });
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

function where(ref: NftTableRef): string {
  return `${ref.family} ${ref.table}`;
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
      return `add rule ${at} ${step.chain} ${nftRuleText(step.rule, step.ref.family)}${step.comment !== undefined ? ` comment ${nftString(checkNftComment(step.comment))}` : ""}`;
    case "delete-rule":
      return `delete rule ${at} ${step.chain} handle ${step.handle}`;
    case "delete-chain":
      return `delete chain ${at} ${step.chain}`;
    case "delete-table":
      return `delete table ${at}`;
  }
}

/**
 * The steps that bring `state` to what `plan` asks for (none when nothing is needed). `kept`
 * receives what they leave in place for another tool (said on stderr once the write went in).
 */
export function planNftSteps(plan: NftPlan, state: NftState, kept: string[] = []): NftStep[] {
  const { steps, notes } = resolveNftPlan(plan, state);
  kept.push(...notes);
  return steps;
}

/** The `nft -f -` input that brings `state` to what `plan` asks for, or "" when nothing is needed. */
export function renderNft(plan: NftPlan, state: NftState, kept: string[] = []): string {
  return renderNftSteps(planNftSteps(plan, state, kept));
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
