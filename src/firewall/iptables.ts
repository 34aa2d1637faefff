/**
 * Renders an iptables plan to one `iptables-restore --noflush` batch for table nat, against the
 * state read from `iptables-save -t nat`. The batch only declares chains that are missing (a
 * declaration empties an existing chain) and only deletes rules and chains that exist (a failed
 * deletion aborts the whole batch), so applying it is all-or-nothing and never disturbs rules
 * other software keeps in the shared chains.
 */
import { applyOp, type TableEdit } from "./iptables-ops.ts";
import { ownedJump } from "./iptables-owned.ts";
import type { Family, IptablesPlan, IptablesState, RuleArgs } from "./model.ts";
import { type Rule, ruleArgs, sameRule as sameModel } from "./rule.ts";
import { parseRuleArgs } from "./rule-parse.ts";
import { iptablesToken, splitRestoreLine } from "./quote.ts";
import { checkByteLength, LIMITS } from "./validate.ts";

const BUILTIN_CHAINS = ["PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"];

/** Reads the `*nat` section of `iptables-save` output. */
export function parseIptablesSave(text: string): IptablesState {
  const chains = new Set<string>(BUILTIN_CHAINS);
  const rules = new Map<string, RuleArgs[]>();
  let inNat = false;
  for (const line of text.split("\n")) {
    if (line.startsWith("*")) inNat = line === "*nat";
    if (!inNat) continue;
    if (line.startsWith(":")) {
      const name = line.slice(1).split(" ")[0];
      if (name) chains.add(name);
    } else if (line.startsWith("-A ")) {
      const [, chain, ...args] = splitRestoreLine(line);
      if (chain === undefined) continue;
      chains.add(chain);
      const list = rules.get(chain) ?? [];
      list.push(args);
      rules.set(chain, list);
    }
  }
  return { chains, rules };
}

/** The chain a rule jumps or goes to, if any. */
export function ruleTarget(args: RuleArgs): string | undefined {
  for (let i = 0; i < args.length - 1; i++) {
    const t = args[i];
    if (t === "-j" || t === "--jump" || t === "-g" || t === "--goto") return args[i + 1];
  }
  return undefined;
}

/** The `-m comment --comment` text of a rule, if it has one. */
export function ruleComment(args: RuleArgs): string | undefined {
  const i = args.indexOf("--comment");
  return i >= 0 ? args[i + 1] : undefined;
}

/**
 * The chains that rules of `from` jump to which are ours (`isOurs`), not `valid`, and named by a
 * rule whose comment starts with `commentPrefix`: how GC attributes a per-attachment chain to a
 * network without keeping state.
 */
export function staleJumpTargets(
  state: IptablesState,
  from: string,
  isOurs: (chain: string) => boolean,
  commentPrefix: string,
  valid: ReadonlySet<string>,
): string[] {
  const stale = new Set<string>();
  for (const rule of state.rules.get(from) ?? []) {
    const chain = ruleTarget(rule);
    if (chain === undefined || !isOurs(chain) || valid.has(chain)) continue;
    if (ruleComment(rule)?.startsWith(commentPrefix)) stale.add(chain);
  }
  return [...stale];
}

function sameTokens(a: RuleArgs, b: RuleArgs): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

const parsed = new WeakMap<RuleArgs, Rule>();

function modelOf(saved: RuleArgs): Rule {
  let model = parsed.get(saved);
  if (model === undefined) {
    model = parseRuleArgs(saved);
    parsed.set(saved, model);
  }
  return model;
}

/**
 * Whether a rule read as text is the planned one, compared as models. A rule carrying the user's
 * conditions (the one opaque node, tokens only) is compared by its tokens.
 */
function isPlanned(family: Family, saved: RuleArgs, want: Rule): boolean {
  if (want.matches.some((m) => m.kind === "conditions")) return sameTokens(saved, ruleArgs(family, want));
  return sameModel(modelOf(saved), want);
}

/** A mutable copy of the state, updated as each op is rendered so later ops see earlier ones. */
class Simulation implements TableEdit<RuleArgs> {
  readonly chains: Set<string>;
  readonly rules: Map<string, RuleArgs[]>;
  readonly declarations: string[] = [];
  readonly lines: string[] = [];

  constructor(
    readonly family: Family,
    state: IptablesState,
  ) {
    this.chains = new Set(state.chains);
    this.rules = new Map([...state.rules].map(([c, r]) => [c, [...r]]));
  }

  listed(chain: string): boolean {
    return this.chains.has(chain);
  }

  chainsRead(): Iterable<string> {
    return [...this.rules.keys()];
  }

  rulesOf(chain: string): RuleArgs[] {
    let list = this.rules.get(chain);
    if (!list) {
      list = [];
      this.rules.set(chain, list);
    }
    return list;
  }

  model(rule: RuleArgs): Rule {
    return modelOf(rule);
  }

  target(rule: RuleArgs): string | undefined {
    return ruleTarget(rule);
  }

  same(rule: RuleArgs, want: Rule): boolean {
    return isPlanned(this.family, rule, want);
  }

  has(chain: string, want: Rule): boolean {
    return this.rulesOf(chain).some((r) => isPlanned(this.family, r, want));
  }

  /** A declaration line creates the chain (it would empty an existing one: only for missing chains). */
  create(chain: string): void {
    this.declarations.push(`:${chain} - [0:0]`);
    this.chains.add(chain);
    this.rules.set(chain, []);
  }

  emit(command: string, chain: string, args: RuleArgs): void {
    this.lines.push([command, iptablesToken(chain), ...args.map(iptablesToken)].join(" "));
  }

  add(chain: string, want: Rule, first: boolean): void {
    const args = ruleArgs(this.family, want);
    if (first) {
      this.lines.push(["-I", iptablesToken(chain), "1", ...args.map(iptablesToken)].join(" "));
      this.rulesOf(chain).unshift(args);
    } else {
      this.emit("-A", chain, args);
      this.rulesOf(chain).push(args);
    }
  }

  /** Deletes by the rule's own tokens as read: iptables matches `-D` against exactly those. */
  delete(chain: string, args: RuleArgs): void {
    this.emit("-D", chain, args);
    const list = this.rulesOf(chain);
    const i = list.indexOf(args);
    if (i >= 0) list.splice(i, 1);
  }

  flush(chain: string): void {
    this.lines.push(`-F ${iptablesToken(chain)}`);
    this.rules.set(chain, []);
  }

  drop(chain: string): void {
    this.lines.push(`-X ${iptablesToken(chain)}`);
    this.chains.delete(chain);
    this.rules.delete(chain);
  }
}

/**
 * The restore input that brings `state` to what `plan` asks for, or "" when nothing is missing
 * (then no restore needs to run at all).
 */
export function renderIptables(plan: IptablesPlan, state: IptablesState, kept: string[] = []): string {
  const sim = new Simulation(plan.family, state);
  for (const op of plan.ops) applyOp(sim, op, kept);
  if (sim.declarations.length === 0 && sim.lines.length === 0) return "";
  const body = [...sim.declarations, ...sim.lines];
  for (const line of body) checkByteLength("iptables rule", line, LIMITS.restoreLine);
  return ["*nat", ...body, "COMMIT", ""].join("\n");
}

/**
 * For CHECK: the first thing the plan's per-container part (its sync ops) expects that the state
 * lacks, worded like the reference's messages; undefined when everything is present.
 */
export function findMissing(plan: IptablesPlan, state: IptablesState): string | undefined {
  for (const op of plan.ops) {
    if (op.op === "sync-chain") {
      if (!state.chains.has(op.chain)) return `chain ${op.chain} not found in iptables table nat`;
      const have = state.rules.get(op.chain) ?? [];
      for (const r of op.rules) {
        if (!have.some((h) => isPlanned(plan.family, h, r))) return `rule [${ruleArgs(plan.family, r).join(" ")}] in chain ${op.chain} not found in table nat`;
      }
    } else if (op.op === "sync-jumps") {
      // Extra match tokens (conditions) are printed back in iptables' own order, which tscni
      // cannot predict, so entry rules are checked by how many jump to the chain.
      const have = (state.rules.get(op.chain) ?? []).filter((r) => ruleTarget(r) === op.target && ownedJump(op.chain, op.target, modelOf(r)));
      if (have.length < op.rules.length) {
        const first = op.rules.find((r) => !have.some((h) => isPlanned(plan.family, h, r))) ?? op.rules[0];
        return `rule [${first === undefined ? "" : ruleArgs(plan.family, first).join(" ")}] in chain ${op.chain} not found in table nat`;
      }
    }
  }
  return undefined;
}
