/**
 * kubenet's outbound masquerade, the agent's one call into src/firewall: traffic from this node's
 * pod CIDRs to anything outside the cluster's pod CIDRs leaves with the node's address; traffic
 * between pods (any node) keeps its source. One chain per family, rewritten as a whole, and one
 * jump per local pod CIDR from nat POSTROUTING. Nothing but src/firewall/index.ts is used, so the
 * backend's own transaction and lock apply.
 */
import { applyIptablesEach, type Family, type IptablesPlan, resolveIptables, type Rule } from "../firewall/index.ts";

export const MASQ_CHAIN = "TSCNI-AGENT-MASQ";
const MULTICAST: Readonly<Record<Family, string>> = { 4: "224.0.0.0/4", 6: "ff00::/8" };
const familyOf = (cidr: string): Family => (cidr.includes(":") ? 6 : 4);

export interface MasqueradeWant {
  /** This node's pod CIDRs (sources). */
  local: readonly string[];
  /** Every pod CIDR of the cluster (destinations left alone). */
  cluster: readonly string[];
}

/**
 * Whether this process can write the rules (iptables-restore on its PATH). A scratch image has
 * none: the agent then leaves masquerading to the bridge on the host (ipMasq), which NATs
 * pod-to-pod traffic across nodes too, and says so.
 */
export function canMasquerade(): boolean {
  return resolveIptables(4) !== null;
}

export function masqueradePlans(want: MasqueradeWant): IptablesPlan[] {
  return ([4, 6] as const).flatMap((family): IptablesPlan[] => {
    const local = want.local.filter((c) => familyOf(c) === family);
    if (local.length === 0) return [];
    const cluster = [...new Set(want.cluster.filter((c) => familyOf(c) === family))].sort();
    return [
      {
        family,
        ops: [
          {
            op: "sync-chain",
            chain: MASQ_CHAIN,
            rules: [
              ...cluster.map((c): Rule => ({ dst: { cidr: c }, matches: [], verdict: { kind: "return" } })),
              { dst: { cidr: MULTICAST[family], not: true }, matches: [], verdict: { kind: "masquerade" } },
            ],
          },
          {
            op: "sync-jumps",
            chain: "POSTROUTING",
            target: MASQ_CHAIN,
            rules: local.map((c): Rule => ({ src: { cidr: c }, matches: [], verdict: { kind: "jump", chain: MASQ_CHAIN } })),
          },
        ],
      },
    ];
  });
}

/** Applies the masquerade; returns one message per family that failed (empty: all done). */
export async function syncMasquerade(want: MasqueradeWant): Promise<string[]> {
  const outcomes = await applyIptablesEach(masqueradePlans(want));
  return outcomes.flatMap((o) => (o.error === undefined ? [] : [`IPv${o.family} masquerade: ${o.error.message}`]));
}

/** Removes the chain and its jumps from both families (uninstall). */
export async function removeMasquerade(families: readonly Family[] = [4, 6]): Promise<string[]> {
  const outcomes = await applyIptablesEach(families.map((family) => ({ family, ops: [{ op: "remove-chain", chain: MASQ_CHAIN }] })));
  return outcomes.flatMap((o) => (o.error === undefined ? [] : [`IPv${o.family} masquerade removal: ${o.error.message}`]));
}
