/**
 * Which chains' rules a call reads: only those its plan touches, so the cost of an ADD, CHECK or
 * DEL does not grow with the number of pods on the node (each pod adds chains and rules to the
 * same tables; the kernel filters a rule dump by chain). The operator views (gc, doctor) read
 * every chain. `undefined` means every chain.
 */
import type { Family, IptablesPlan, NftPlan, NftTableRef } from "./model.ts";
import { nftTableKey } from "./model.ts";
import { IPTABLES_ENTRY_CHAINS, SHARED } from "./names.ts";

/**
 * The chains of `family`'s nat table the plans read. Removing a chain first removes the rules
 * jumping to it, and the layouts (ours and the reference's) only jump to a per-attachment chain
 * from the entry chains; a jump from anywhere else makes the kernel refuse the batch (EBUSY), and
 * the caller then retries with every chain read.
 */
export function iptablesReadScope(plans: readonly IptablesPlan[], family: Family): string[] {
  const chains = new Set<string>();
  for (const plan of plans) {
    if (plan.family !== family) continue;
    for (const op of plan.ops) {
      chains.add(op.chain);
      if (op.op === "remove-chain") for (const c of [...IPTABLES_ENTRY_CHAINS, SHARED.hostportLegacySnat]) chains.add(c);
    }
  }
  return [...chains];
}

/**
 * The chains of one nft table whose rules the plan depends on: where it skips duplicates or
 * deletes by comment. A chain removal reads the whole table (any chain of it may jump there).
 */
export function nftReadScope(plan: NftPlan, ref: NftTableRef): string[] | undefined {
  const key = nftTableKey(ref);
  const chains = new Set<string>();
  for (const op of plan.ops) {
    if (nftTableKey(op.ref) !== key) continue;
    if (op.op === "remove-chain" || op.op === "delete-chain" || op.op === "delete-rule") return undefined;
    if (op.op === "delete-rules") for (const c of op.chains) chains.add(c);
    if (op.op === "add-rule" && op.unique === true) chains.add(op.chain);
  }
  return [...chains];
}
