/**
 * Iptables plans written in-process on iptables-nft nodes: the plan's ops are resolved against
 * the `nat` table as read over netlink (rule handles known) into nf_tables messages that build
 * exactly what `iptables-restore --noflush` would (xt-encode.ts), all families in ONE batch tied
 * to the generation it was planned from. A plan with a rule the encoder does not know (user
 * conditions) is not expressible: the caller then runs iptables-restore.
 */
import { CniError, ErrorCode } from "../cni/index.ts";
import type { Request } from "../netlink/message.ts";
import { readVerdict } from "../netlink/nft/expr.ts";
import type { NftRule } from "../netlink/nft/messages.ts";
import { delChainRequest, delRuleRequest, flushChainRequest } from "../netlink/nft/messages.ts";
import type { Ruleset } from "../netlink/nft/session.ts";
import { NAT_BUILTINS, xtBaseChainRequest, xtRuleRequest, xtTableRequest, xtUserChainRequest } from "../netlink/nft/xt-messages.ts";
import { some } from "../plain-array.ts";
import { applyOp, type TableEdit } from "./iptables-ops.ts";
import type { Family, IptablesPlan } from "./model.ts";
import { iptablesTable } from "./netlink-state.ts";
import { type Rule, ruleJumpTarget, sameRule } from "./rule.ts";
import { decodeXtRule } from "./xt-decode.ts";
import { encodeXtRule } from "./xt-encode.ts";

/**
 * A rule of the table as the batch sees it. A kernel rule's target and model are worked out only
 * when asked (memoised): a node with kube-proxy or hundreds of pods holds thousands of rules, and
 * a call looks closely at only a few of them.
 */
class HeldRule {
  #target: string | undefined | null = null;
  #model: Rule | undefined;

  constructor(
    private readonly nfproto: number,
    private readonly rule: Pick<NftRule, "exprs" | "lastExpr"> | undefined,
    readonly handle?: bigint,
    model?: Rule,
  ) {
    this.#model = model;
  }

  /** A rule this batch adds; `target` as for kernel rules: the chain it jumps to, if any. */
  static added(model: Rule, target: string | undefined): HeldRule {
    const r = new HeldRule(0, undefined, undefined, model);
    r.#target = target;
    return r;
  }

  /** The chain it jumps or goes to: iptables-nft rules end with their verdict. */
  get target(): string | undefined {
    if (this.#target === null) this.#target = readVerdict(this.rule?.lastExpr ?? lastOf(this.rule?.exprs))?.chain;
    return this.#target;
  }

  get model(): Rule {
    this.#model ??= decodeXtRule(this.nfproto, this.rule?.exprs ?? []);
    return this.#model;
  }
}

class NotExpressible extends Error {}

/** The last element without `at` (a JS-written builtin JSC compiles on first use). */
const lastOf = <T>(xs: readonly T[] | undefined): T | undefined => (xs === undefined ? undefined : xs[xs.length - 1]);


/** One family's nat table as the batch changes it, op by op. */
class TableSim implements TableEdit<HeldRule> {
  readonly out: Request[] = [];
  readonly #nfproto: number;
  #tableExists: boolean;
  /** Chains the kernel has (built-ins only once created). */
  readonly #chains = new Set<string>();
  readonly #rules = new Map<string, HeldRule[]>();

  constructor(
    readonly family: Family,
    rs: Ruleset,
  ) {
    const t = iptablesTable(family);
    this.#nfproto = t.family;
    this.#tableExists = some(rs.tables, (x) => x.family === t.family && x.name === t.name);
    for (const c of rs.chains) if (c.family === t.family && c.table === t.name) this.#chains.add(c.name);
    for (const r of rs.rules) {
      if (r.family !== t.family || r.table !== t.name) continue;
      this.rulesOf(r.chain).push(new HeldRule(t.family, r, r.handle));
    }
  }

  chainsRead(): Iterable<string> {
    const out: string[] = [];
    for (const c of this.#rules.keys()) out.push(c);
    return out;
  }

  model(rule: HeldRule): Rule {
    return rule.model;
  }

  target(rule: HeldRule): string | undefined {
    return rule.target;
  }

  same(rule: HeldRule, want: Rule): boolean {
    return sameRule(rule.model, want);
  }

  rulesOf(chain: string): HeldRule[] {
    let list = this.#rules.get(chain);
    if (!list) {
      list = [];
      this.#rules.set(chain, list);
    }
    return list;
  }

  /** What iptables-save lists: the built-ins always, whether or not nf_tables has them yet. */
  listed(chain: string): boolean {
    return this.#chains.has(chain) || chain in NAT_BUILTINS;
  }

  #table(): void {
    if (this.#tableExists) return;
    this.out.push(xtTableRequest(this.#nfproto, "nat"));
    this.#tableExists = true;
  }

  create(chain: string): void {
    this.#table();
    this.out.push(chain in NAT_BUILTINS ? xtBaseChainRequest(this.#nfproto, "nat", chain) : xtUserChainRequest(this.#nfproto, "nat", chain));
    this.#chains.add(chain);
    this.#rules.set(chain, []);
  }

  add(chain: string, model: Rule, first: boolean): void {
    const rule = encodeXtRule(this.family, model);
    if (rule === undefined) throw new NotExpressible();
    if (!this.#chains.has(chain)) {
      if (!(chain in NAT_BUILTINS)) throw new NotExpressible();
      this.create(chain);
    }
    // What the encoded verdict jumps to (the encoder has no in-process form for a goto). The read
    // looked every jump target up by name, so a target it did not find is missing (an
    // externalSetMarkChain nobody made): the kernel would refuse the whole batch with a bare
    // ENOENT; say which chain, as iptables does.
    const target = ruleJumpTarget(model);
    if (target !== undefined && !this.#chains.has(target)) {
      throw new CniError(ErrorCode.Internal, `${this.family === 6 ? "ip6tables" : "iptables"} nat: Chain '${target}' does not exist`);
    }
    this.out.push(xtRuleRequest(this.#nfproto, "nat", chain, rule, first));
    const held = HeldRule.added(model, target);
    if (first) this.rulesOf(chain).unshift(held);
    else this.rulesOf(chain).push(held);
  }

  /**
   * Only rules that jump where this one does (or, for a target like MASQUERADE, jump nowhere) are
   * spelled out and compared.
   */
  has(chain: string, model: Rule): boolean {
    const target = ruleJumpTarget(model);
    return some(this.rulesOf(chain), (r) => r.target === target && sameRule(r.model, model));
  }

  delete(chain: string, rule: HeldRule): void {
    if (rule.handle === undefined) throw new NotExpressible();
    this.out.push(delRuleRequest(this.#nfproto, "nat", chain, rule.handle));
    const list = this.rulesOf(chain);
    list.splice(list.indexOf(rule), 1);
  }

  flush(chain: string): void {
    this.out.push(flushChainRequest(this.#nfproto, "nat", chain));
    this.#rules.set(chain, []);
  }

  drop(chain: string): void {
    this.out.push(delChainRequest(this.#nfproto, "nat", chain));
    this.#chains.delete(chain);
    this.#rules.delete(chain);
  }
}

/**
 * The messages that bring the read ruleset to what the plans ask for (none: nothing to do), or
 * undefined when a rule has no in-process form.
 */
export function xtRequests(plans: readonly IptablesPlan[], rs: Ruleset, kept: string[] = []): Request[] | undefined {
  // One simulation per family, shared by that family's plans, so a later plan sees the chains
  // and rules an earlier one adds.
  const sims = new Map<Family, TableSim>();
  try {
    for (const plan of plans) {
      let sim = sims.get(plan.family);
      if (sim === undefined) {
        sim = new TableSim(plan.family, rs);
        sims.set(plan.family, sim);
      }
      for (const op of plan.ops) applyOp(sim, op, kept);
    }
  } catch (err) {
    if (err instanceof NotExpressible) return undefined;
    throw err;
  }
  const out: Request[] = [];
  for (const sim of sims.values()) out.push(...sim.out);
  return out;
}
