/**
 * Which chains' rules a call reads: only those its plan touches, so the cost of an ADD, CHECK or
 * DEL does not grow with the number of pods on the node (each pod adds chains and rules to the
 * same tables; the kernel filters a rule dump by chain). The operator views (gc, doctor) read
 * every chain. `undefined` means every chain.
 */
import type { Family, IptablesPlan, NftPlan, NftTableRef } from "./model.ts";
import { nftTableKey } from "./model.ts";
import { DNAT_CHAIN_PREFIX, IPTABLES_ENTRY_CHAINS, MASQ_CHAIN, SHARED } from "./names.ts";
import { type Rule, ruleJumpTarget } from "./rule.ts";

/**
 * The chains of `family`'s nat table whose rules the plans read, given the chains the table has.
 * A rule that jumps to a chain the table does not have yet cannot be there (the kernel refuses a
 * jump to a missing chain), so adding it reads nothing: a new pod's ADD does not read the entry
 * chains every other pod has a jump in. Removing a chain first removes the rules jumping to it,
 * and the layouts (ours and the reference's) only jump to a per-attachment chain from the one
 * entry chain of its kind (`jumpedFrom`); a jump from anywhere else makes the kernel refuse the
 * batch (EBUSY), and the caller then retries with every chain read.
 */
export function iptablesReadScope(plans: readonly IptablesPlan[], family: Family): (existing: ReadonlySet<string>) => string[] {
  return (existing) => {
    const out: string[] = [];
    for (const c of scopeOf(plans, family, existing).chains) out.push(c);
    return out;
  };
}

/**
 * Of the chains `iptablesReadScope` reads, those read only to find the jumps to the chains the
 * plans remove (the entry chains, which hold a jump per pod), each with those chains: the read
 * may leave out every other rule there (read.ts drops a rule message that holds none of their
 * names' bytes before decoding it), since a removal looks at nothing else in them. A chain that
 * another op names (an append's duplicate check, a sync) or that is removed itself is read whole.
 */
export function iptablesJumpsOnly(plans: readonly IptablesPlan[], family: Family): (existing: ReadonlySet<string>) => Map<string, string[]> {
  return (existing) => scopeOf(plans, family, existing).jumps;
}

/** The chains read, in the order they are first named, and those of them read for the jumps to removed chains. */
function scopeOf(plans: readonly IptablesPlan[], family: Family, existing: ReadonlySet<string>): { chains: Set<string>; jumps: Map<string, string[]> } {
  const chains = new Set<string>();
  const whole = new Set<string>();
  const removed: string[] = [];
  const read = (chain: string, target?: string): void => {
    if (!existing.has(chain)) return; // a chain the table does not have holds no rules
    if (target === undefined || existing.has(target) || !createdBy(plans, family, target)) {
      chains.add(chain);
      whole.add(chain);
    }
  };
  for (const plan of plans) {
    if (plan.family !== family) continue;
    for (const op of plan.ops) {
      if (op.op === "append" || op.op === "insert-first") read(op.chain, ruleJumpTarget(op.rule));
      else if (op.op === "sync-jumps") read(op.chain, op.target);
      else if (op.op === "sync-chain") read(op.chain);
      else if (op.op === "remove-chain" && existing.has(op.chain)) {
        whole.add(op.chain);
        if (!removed.includes(op.chain)) removed.push(op.chain);
        chains.add(op.chain);
        for (const c of jumpedFrom(op.chain)) chains.add(c);
      }
    }
  }
  const jumps = new Map<string, string[]>();
  for (const c of chains) if (!whole.has(c)) jumps.set(c, removed);
  return { chains, jumps };
}

/**
 * Every chain of `family`'s nat table the plans can ask about: each op's chain, every jump target,
 * and for a removal the chains a jump to it may sit in. Only these are looked up (by name), not the
 * table's whole chain list, which grows with the pods. A built-in no op names is not looked up:
 * the writers consult only the chains the ops name (a missing built-in is created when a rule goes
 * in), so a masquerade ADD asks for POSTROUTING and its own chain, not PREROUTING, INPUT and OUTPUT.
 */
export function iptablesChainNames(plans: readonly IptablesPlan[], family: Family): string[] {
  const names = new Set<string>();
  const target = (rule: Rule): void => {
    const t = ruleJumpTarget(rule);
    if (t !== undefined) names.add(t);
  };
  for (const plan of plans) {
    if (plan.family !== family) continue;
    for (const op of plan.ops) {
      names.add(op.chain);
      if (op.op === "append" || op.op === "insert-first") target(op.rule);
      else if (op.op === "sync-chain") for (const r of op.rules) target(r);
      else if (op.op === "sync-jumps") {
        names.add(op.target);
        for (const r of op.rules) target(r);
      } else if (op.op === "remove-chain") for (const c of jumpedFrom(op.chain)) names.add(c);
    }
  }
  const out: string[] = [];
  for (const n of names) out.push(n);
  return out;
}

const EVERY_ENTRY: readonly string[] = [...IPTABLES_ENTRY_CHAINS, SHARED.hostportLegacySnat];
const MASQ_ENTRY: readonly string[] = ["POSTROUTING"];
const DNAT_ENTRY: readonly string[] = [SHARED.hostportDnat];

/**
 * The chains the plugins' jumps to `chain` sit in: a masquerade chain is entered from POSTROUTING
 * and a DNAT chain from CNI-HOSTPORT-DNAT (the only jumps ownedJump counts as the plugins'); any
 * other chain from any entry chain. Each of the two entry chains holds a jump per pod, so a DEL
 * does not read the other one.
 */
function jumpedFrom(chain: string): readonly string[] {
  if (MASQ_CHAIN.test(chain)) return MASQ_ENTRY;
  return chain.startsWith(DNAT_CHAIN_PREFIX) ? DNAT_ENTRY : EVERY_ENTRY;
}

function createdBy(plans: readonly IptablesPlan[], family: Family, chain: string): boolean {
  for (const p of plans) {
    if (p.family !== family) continue;
    for (const op of p.ops) if ((op.op === "ensure-chain" || op.op === "sync-chain") && op.chain === chain) return true;
  }
  return false;
}

/**
 * The chains of one nft table whose rules the plan depends on: where it skips duplicates or
 * deletes by comment, or keeps in shape around rules that are not ours. A chain removal reads the whole table (any chain of it may jump there).
 */
export function nftReadScope(plan: NftPlan, ref: NftTableRef): string[] | undefined {
  const key = nftTableKey(ref);
  const chains = new Set<string>();
  for (const op of plan.ops) {
    if (nftTableKey(op.ref) !== key) continue;
    if (op.op === "remove-chain" || op.op === "delete-chain" || op.op === "delete-rule") return undefined;
    if (op.op === "delete-rules") for (const c of op.chains) chains.add(c);
    if ((op.op === "add-rule" && op.unique === true) || op.op === "sync-rules") chains.add(op.chain);
  }
  return [...chains];
}
