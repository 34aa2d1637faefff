/**
 * Plan statements compiled to nf_tables expressions, for the statement shapes whose encoding is
 * pinned by golden batches recorded from nft itself. Anything else returns undefined and the
 * whole transaction goes through `nft -f -` instead (user-written conditions, for one).
 */
import type { ChainSpec } from "../netlink/nft/messages.ts";
import type { Expr } from "../netlink/nft/expr.ts";
import type { NftBaseChain } from "./model.ts";

const HOOKS: Readonly<Record<NftBaseChain["hook"], number>> = { prerouting: 0, input: 1, forward: 2, output: 3, postrouting: 4 };
const NF_ACCEPT = 1;

export function hookSpec(base: NftBaseChain): Pick<ChainSpec, "hook" | "type" | "policy"> {
  return {
    hook: { hooknum: HOOKS[base.hook], priority: base.priority },
    type: base.type,
    ...(base.policy === "accept" ? { policy: NF_ACCEPT } : {}),
  };
}

/** Expressions for one rule's statement tokens in a table of `tableFamily`, or undefined. */
export function compileRule(_tableFamily: number, _tokens: readonly string[]): Expr[] | undefined {
  return undefined;
}
