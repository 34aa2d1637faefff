/**
 * What bridge (ipMasq) needs from iptables, as plans of typed rules (rule.ts), in the form
 * `iptables-save` prints them, so a rule read back from the kernel equals the planned one and a
 * repeated ADD adds nothing. Apart from portmap's plans (iptables-plans.ts), whose conditions
 * checker a masquerading ADD does not load.
 */
import type { Family, IptablesOp, IptablesPlan } from "./model.ts";
import { masqChainName, masqComment } from "./names.ts";
import type { AttachmentRef, MasqRequest } from "./plans-types.ts";
import { accept, comment, jump, masquerade, type Match } from "./rule.ts";
import { type Cidr, checkIptablesComment, checkText, parseCidr } from "./validate.ts";

const MULTICAST: Readonly<Record<Family, string>> = { 4: "224.0.0.0/4", 6: "ff00::/8" };
export const HOST_PREFIX: Readonly<Record<Family, number>> = { 4: 32, 6: 128 };

export function note(text: string): Match {
  return comment(checkIptablesComment(text));
}

export function checkIds(network: string, containerId: string): void {
  checkText("network name", network);
  checkText("container ID", containerId);
}

/** bridge ipMasq ADD: one plan per family that has addresses. */
export function masqIptablesAdd(req: MasqRequest): IptablesPlan[] {
  checkIds(req.network, req.containerId);
  const chain = masqChainName(req.network, req.containerId);
  const owned = note(masqComment(req.network, req.containerId));
  // Loops, not map/filter: JSC compiles each array builtin from source on its first use in a
  // process, and a masquerading ADD would use `filter` only here (docs/performance.md).
  const cidrs: Cidr[] = [];
  for (const a of req.addresses) cidrs.push(parseCidr("container address", a));
  const plans: IptablesPlan[] = [];
  for (const family of [4, 6] as const) {
    const ops: IptablesOp[] = [{ op: "ensure-chain", chain }];
    for (const c of cidrs) {
      if (c.family !== family) continue;
      ops.push(
        { op: "append", chain, rule: { dst: { cidr: c.network }, matches: [owned], verdict: accept } },
        { op: "append", chain, rule: { dst: { cidr: MULTICAST[family], not: true }, matches: [owned], verdict: masquerade } },
        { op: "append", chain: "POSTROUTING", rule: { src: { cidr: `${c.address}/${HOST_PREFIX[family]}` }, matches: [owned], verdict: jump(chain) } },
      );
    }
    if (ops.length > 1) plans.push({ family, ops });
  }
  return plans;
}

/**
 * bridge ipMasq DEL for both families. Every rule jumping to the attachment's chain goes, not only
 * the ones for addresses still known, so a DEL after the link vanished does not leak rules.
 */
export function masqIptablesDel(ref: Pick<AttachmentRef, "network" | "containerId">): IptablesPlan[] {
  checkIds(ref.network, ref.containerId);
  const chain = masqChainName(ref.network, ref.containerId);
  return ([4, 6] as const).map((family) => ({ family, ops: [{ op: "remove-chain", chain }] }));
}
