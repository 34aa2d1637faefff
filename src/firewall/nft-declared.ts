/**
 * Whether an `add table` / `add chain` step would change nothing, judged from what a netlink read
 * saw. Declaring again an existing chain is not free: the kernel records a chain update even
 * when nothing differs, and that commit's clean-up waits for an RCU grace period when the
 * socket closes, i.e. at the plugin's exit (docs/performance.md, "Waits"). So a step is left
 * out only when the kernel holds the object exactly as the step declares it; in every other
 * case (no netlink read, another hook, priority, type or policy, a table with flags) the step
 * stays, and the kernel answers it as before (an error for another hook, an update of a policy).
 */
import type { NftChain } from "../netlink/nft/messages.ts";
import type { NftBaseChain, NftBaseChainRead, NftDeclared, NftStep } from "./model.ts";

const HOOK_NAMES: readonly NftBaseChain["hook"][] = ["prerouting", "input", "forward", "output", "postrouting"];
const POLICY_NAMES: Readonly<Record<number, string>> = { 0: "drop", 1: "accept" };

function baseRead(c: NftChain): NftBaseChainRead | null {
  if (c.hook === undefined) return null;
  return {
    type: c.type ?? "filter",
    hook: HOOK_NAMES[c.hook.hooknum] ?? `hook ${c.hook.hooknum}`,
    priority: c.hook.priority,
    policy: c.policy === undefined ? "accept" : (POLICY_NAMES[c.policy] ?? `policy ${c.policy}`),
  };
}

/** The table's flags and its chains' hooks, from the kernel's table and chain messages. */
export function declaredFromKernel(flags: number, chains: readonly NftChain[]): NftDeclared {
  return { flags, chains: new Map(chains.map((c) => [c.name, baseRead(c)])) };
}

/** A base chain held as `have` is what `want` declares (a policy left out is not declared). */
function sameBase(have: NftBaseChainRead, want: NftBaseChain): boolean {
  return have.type === want.type && have.hook === want.hook && have.priority === want.priority && (want.policy === undefined || have.policy === want.policy);
}

/**
 * True when the kernel already holds what `step` declares, as read in `declared`, and the chain
 * is still there in the plan's simulation (`chainsNow`: a plan may have removed it by then).
 * NEWTABLE is sent with flags 0, so only a table with flags 0 is left alone; a chain declared
 * without a hook is any existing chain (the kernel accepts that for a base chain too).
 */
export function alreadyDeclared(step: Extract<NftStep, { op: "add-table" | "add-chain" }>, declared: NftDeclared | undefined, chainsNow: ReadonlySet<string>): boolean {
  if (declared === undefined) return false;
  if (step.op === "add-table") return declared.flags === 0;
  const have = declared.chains.get(step.chain);
  if (have === undefined || !chainsNow.has(step.chain)) return false;
  if (step.base === undefined) return true;
  return have !== null && sameBase(have, step.base);
}
